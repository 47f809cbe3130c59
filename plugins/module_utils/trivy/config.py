# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Trivy's configuration file (trivy.yaml), built from typed settings and checked first.

Plain Python, no Ansible imports (the `trivy_config` filters, the trivy role and the tests
share it). `build_config` turns the role's flat settings into the nested trivy.yaml document;
`validate_config` checks a document against Trivy's own JSON Schema
(`schema/trivy-config.json` upstream) made strict. The ignore policy is ignores.py.

Why the schema is made strict: upstream's schema describes the known keys but allows any
other key and any string as a duration, while Trivy itself silently ignores an unknown key
(a typo such as `severities:` turns a gate off without a word) and fails at scan time on a
bad duration. `strict_schema` adds, without changing anything upstream declares:
`additionalProperties: false` on every object that lists its properties, a Go-duration
pattern (no sign, so no negative values) on `timeout` and the other duration strings, and
the 0..255 range of a process exit code on `exit-code`.
"""
from __future__ import annotations

import copy
import json

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.schema_messages import (
    SECRET_KEY,
    schema_error_text,
)

# time.ParseDuration without a sign: "5m", "1h30m", "0.5s", "0". A JSON Schema pattern is
# searched, so it is anchored at both ends; \Z, not "$", which would accept "5m\n".
GO_DURATION = r"^(0|([0-9]+(\.[0-9]+)?(ns|us|\u00b5s|ms|s|m|h))+)\Z"
_DURATION_KEYS = {("timeout",), ("cache", "ttl")}

# Flat setting name -> path in trivy.yaml. Order is the order of the written file.
SETTINGS = (
    ("timeout", ("timeout",)),
    ("severity", ("severity",)),
    ("exit_code", ("exit-code",)),
    ("ignorefile", ("ignorefile",)),
    ("cache_dir", ("cache", "dir")),
    ("cache_backend", ("cache", "backend")),
    ("db_repositories", ("db", "repository")),
    ("java_db_repositories", ("db", "java-repository")),
    ("skip_db_update", ("db", "skip-update")),
    ("skip_java_db_update", ("db", "java-skip-update")),
    ("no_progress", ("db", "no-progress")),
    ("scanners", ("scan", "scanners")),
    ("offline_scan", ("scan", "offline")),
    ("skip_version_check", ("scan", "skip-version-check")),
    ("disable_telemetry", ("scan", "disable-telemetry")),
    ("ignore_unfixed", ("vulnerability", "ignore-unfixed")),
    ("ignore_status", ("vulnerability", "ignore-status")),
    ("server_addr", ("server", "addr")),
    ("server_listen", ("server", "listen")),
)


class TrivyConfigError(ValueError):
    """Settings that cannot become a valid trivy.yaml or ignore file."""


def strict_schema(schema):
    """Upstream's schema with the additions described in the module docstring."""
    strict = copy.deepcopy(schema)

    def walk(node, path):
        if not isinstance(node, dict):
            return
        if node.get("type") == "object" and "properties" in node:
            node.setdefault("additionalProperties", False)
        for key, child in node.get("properties", {}).items():
            child_path = path + (key,)
            if child_path in _DURATION_KEYS and child.get("type") == "string":
                child.setdefault("pattern", GO_DURATION)
            if child_path == ("exit-code",):
                child.setdefault("minimum", 0)
                child.setdefault("maximum", 255)
            walk(child, child_path)

    walk(strict, ())
    return strict


def _set(document, path, value):
    node = document
    for key in path[:-1]:
        node = node.setdefault(key, {})
    node[path[-1]] = value


def _merge(base, extra):
    for key, value in extra.items():
        if isinstance(value, dict) and isinstance(base.get(key), dict):
            _merge(base[key], value)
        else:
            base[key] = copy.deepcopy(value)
    return base


def build_config(settings, extra=None):
    """The trivy.yaml document for flat `settings` (names of SETTINGS), `extra` merged last.

    A setting that is None, an empty string or an empty list is left out, so Trivy's own
    default applies. Unknown setting names are an error (they would be silently dropped).
    """
    settings = dict(settings or {})
    known = {name for name, _path in SETTINGS}
    unknown = sorted(set(settings) - known)
    if unknown:
        raise TrivyConfigError(f"unknown trivy setting(s) {', '.join(unknown)}; known: "
                               f"{', '.join(sorted(known))}")
    document = {}
    for name, path in SETTINGS:
        value = settings.get(name)
        if value is None or value in ("", []):
            continue
        if name == "severity" and isinstance(value, (list, tuple)):
            value = [str(v).upper() for v in value]
        _set(document, path, value)
    if extra:
        if not isinstance(extra, dict):
            raise TrivyConfigError(f"trivy_config_extra must be a mapping, got "
                                   f"{type(extra).__name__}")
        _merge(document, extra)
    return document


def ignore_pair_error(document, where="trivy.yaml"):
    """Why `document` (a parsed trivy.yaml) says something Trivy will not do, or None.

    With any ``vulnerability.ignore-status``, Trivy 0.76 drops ``ignore-unfixed`` and only
    logs "'--ignore-unfixed' is ignored because '--ignore-status' is specified": the file
    would mean less than it says. Refused rather than warned, so the scans, rescans and the
    server all filter what the file names; list the statuses instead (ignore-unfixed is the
    statuses other than fixed)."""
    section = document.get("vulnerability") if isinstance(document, dict) else None
    if not isinstance(section, dict):
        return None
    statuses, unfixed = section.get("ignore-status"), section.get("ignore-unfixed")
    if statuses and unfixed is True:
        listed = ", ".join(str(s) for s in statuses) if isinstance(statuses, list) \
            else one_line(repr(statuses))
        return (f"{where} vulnerability: ignore-unfixed true with ignore-status [{listed}]: "
                "Trivy drops ignore-unfixed whenever ignore-status is set (only a warning in "
                "its log); set ignore-unfixed false and list every status to hide in "
                "ignore-status (unknown, not_affected, affected, under_investigation, "
                "will_not_fix, fix_deferred, end_of_life: all but fixed is ignore-unfixed)")
    return None


def _where(error):
    path = [str(p) for p in error.absolute_path]
    return ".".join(path) if path else "(top level)"


def validate_config(document, schema):
    """Error messages (empty when valid) for `document` against the strict form of `schema`."""
    try:
        import jsonschema
    except ImportError as exc:  # pragma: no cover - jsonschema is in requirements.txt
        raise TrivyConfigError("the python package jsonschema is needed on the controller to "
                               "validate trivy.yaml") from exc
    if isinstance(schema, str):
        schema = json.loads(schema)
    validator_cls = jsonschema.validators.validator_for(schema)
    validator = validator_cls(strict_schema(schema))
    errors = []
    for error in sorted(validator.iter_errors(document), key=lambda e: list(e.absolute_path)):
        if error.validator == "additionalProperties":
            allowed = sorted(error.schema.get("properties", {}))
            errors.append(f"trivy.yaml {_where(error)}: {error.message}; allowed keys here: "
                          f"{', '.join(allowed)}")
        elif error.validator == "pattern" and error.schema.get("pattern") == GO_DURATION \
                and isinstance(error.instance, str) \
                and not any(SECRET_KEY.search(str(p)) for p in error.absolute_path):
            errors.append(f"trivy.yaml {_where(error)}: {one_line(repr(error.instance))} is not a "
                          "non-negative Go duration like 5m, 90s or 1h30m")
        else:   # a value under a secret-like key (password, token, ...) is never echoed
            errors.append(f"trivy.yaml {_where(error)}: {schema_error_text(error)}")
    pair = ignore_pair_error(document)
    return errors + [pair] if pair else errors
