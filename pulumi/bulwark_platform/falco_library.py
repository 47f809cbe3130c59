"""The collection's Falco rules library (roles/falco), rendered for the Falco chart.

The falco role templates its rules library from its own defaults (lists of protected
directories, shells, package managers, ...). The chart's customRules want plain rules text,
so this renders the same templates with the same defaults. The templates use two Ansible
filters (regex_replace, to_json) that are given their Ansible meaning here. When the role or
its templates are missing or do not render, the library is skipped and the caller warns.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

from .settings import REPO_ROOT

FALCO_ROLE = REPO_ROOT / "roles" / "falco"


def _regex_replace(value, pattern="", replacement="", ignorecase=False, multiline=False):
    flags = (re.IGNORECASE if ignorecase else 0) | (re.MULTILINE if multiline else 0)
    return re.sub(pattern, replacement, str(value), flags=flags)


def render_collection_rules(role_dir: Path = FALCO_ROLE) -> dict[str, str]:
    """{file name: rules YAML} of the role's rules templates; {} when they cannot be used."""
    templates = sorted((role_dir / "templates" / "rules").glob("*.yaml.j2"))
    defaults_file = role_dir / "defaults" / "main.yml"
    if not templates or not defaults_file.is_file():
        return {}
    try:
        import jinja2
        import yaml

        defaults = yaml.safe_load(defaults_file.read_text(encoding="utf-8")) or {}
        env = jinja2.Environment(undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                                 autoescape=False)  # noqa: S701 - YAML, not HTML
        env.filters["regex_replace"] = _regex_replace
        env.filters["to_json"] = json.dumps
        context = dict(defaults, ansible_managed="Rendered by bulwark_platform from roles/falco")
        rendered = {}
        for template in templates:
            text = env.from_string(template.read_text(encoding="utf-8")).render(context)
            yaml.safe_load(text)   # must be YAML before the chart gets it
            rendered[template.name.removesuffix(".j2")] = text
        return rendered
    except Exception:  # noqa: BLE001 - any failure means: skip the library, caller warns
        return {}
