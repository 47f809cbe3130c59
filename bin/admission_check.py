#!/usr/bin/env python3
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Offline admission check as a command line (what `kyverno apply` does, without Kyverno).

    python3 bin/admission_check.py [--settings policy.yml] [--cel-engine cel-python] \
        [--report report.json] [--json] [--verbose] FILE...   (- reads standard input)

judges every Pod and pod controller in FILE (YAML, several documents) against the policies
builders.build_bundle makes from the settings (the mapping of the Pulumi stack's
``bulwark:policy`` or the kyverno role's ``kyverno_policy_settings``; a file holding that mapping
under one of those keys works too), with a real CEL engine. Prints ADMIT / DENY per resource with
the failing policies and their messages; the whole report (every verdict) goes as JSON to
``--report FILE`` (written atomically, never through a symlink) or, with ``--json``, to standard
output. Exits 1 when a resource is denied, 2 on bad input. The logic is
plugins/module_utils/kyverno/admission.py, the same as the admission_check module's; the
collection (installed, or the checkout) is found by bin/falco_rules_lint.py's collections_root().
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SETTINGS_KEYS = ("bulwark:policy", "kyverno_policy_settings", "cluster_policies_settings")


def _settings(path: str | None, yaml) -> dict:
    if not path:
        return {}
    data = yaml.safe_load(Path(path).read_text()) or {}
    if not isinstance(data, dict):
        raise ValueError(f"{path}: the settings must be a mapping")
    for key in SETTINGS_KEYS:                      # a stack file or a vars file
        if key in data:
            return data[key] or {}
    if "config" in data and isinstance(data["config"], dict) and "bulwark:policy" in data["config"]:
        return data["config"]["bulwark:policy"] or {}
    return data


def _documents(files, admission) -> list:
    docs = []
    for name in files:
        docs.extend(admission.load_documents(sys.stdin.read() if name == "-"
                                             else Path(name).read_text()))
    return docs


def main(argv=None) -> int:
    # Imported here: run as a script, the collection is on sys.path only once
    # collections_root() has put it there.
    import yaml
    from ansible_collections.bulwark.container_security.plugins.module_utils import safe_output
    from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
        admission,
        builders,
        validation,
    )

    ap = argparse.ArgumentParser(description="Judge Kubernetes manifests with Bulwark's admission "
                                             "policies, offline.")
    ap.add_argument("--settings", help="policy settings YAML (bulwark:policy mapping)")
    ap.add_argument("--cel-engine", default=admission.DEFAULT_CEL_ENGINE,
                    choices=admission.CEL_ENGINES)
    ap.add_argument("--report", help="write the whole report (every verdict) as JSON to this file")
    ap.add_argument("--json", action="store_true", help="print the whole report as JSON")
    ap.add_argument("--verbose", action="store_true", help="list passing verdicts too")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    missing = admission.missing_engine(a.cel_engine)
    if missing:
        print(f"admission check: the Python package {missing} is not installed", file=sys.stderr)
        return 2
    try:
        bundle = builders.build_bundle(_settings(a.settings, yaml))
        resources = _documents(a.files, admission)
        report = admission.evaluate(bundle, resources, a.cel_engine)
    except (OSError, ValueError, yaml.YAMLError, validation.SettingsError) as exc:
        print(f"admission check: {exc}", file=sys.stderr)
        return 2
    text = json.dumps(report, indent=1, sort_keys=True) + "\n"
    if a.report:
        try:
            safe_output.write_text(a.report, text, what="--report")
        except safe_output.OutputError as exc:
            print(f"admission check: {exc}", file=sys.stderr)
            return 2
    if a.json:
        print(text, end="")
    else:
        print("\n".join(admission.summary_lines(report, a.verbose)))
    where = f"; every verdict in {a.report}" if a.report else ""
    print(f"{len(report['resources']) - len(report['denied'])} admitted, "
          f"{len(report['denied'])} denied{where}", file=sys.stderr)
    return 1 if report["denied"] else 0


if __name__ == "__main__":
    from falco_rules_lint import collections_root  # bin/ is sys.path[0] for a script
    sys.path.insert(0, str(collections_root()))
    sys.exit(main())
