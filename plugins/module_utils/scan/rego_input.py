# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The ``input`` document a Rego policy sees (scan/rego.py's docstring describes it), and
the regopy Input it is passed as: strings JSON-escaped, UTC timestamps with ``+00:00``.
"""
from __future__ import annotations

import json
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.scan.rego_source import (
    _TITLE,
    SECTIONS,
    PolicyError,
    _printable,
)

try:
    import regopy
    from regopy import rego_shared as _rego_shared
except ImportError:  # scan/rego.py refuses policies without it
    regopy = None
    _rego_shared = None

# RFC 3339 date-time in UTC written with Z, which rego-cpp's time functions refuse.
_ZULU_RE = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d{1,9})?[Zz]", re.ASCII)
_ESCAPE_RE = re.compile(r'["\\\x00-\x1f]')  # what JSON escapes (ensure_ascii=False)
# Trivy status -> grype fix.state, so the results view reads alike for both scanners.
_FIX_STATE = {"fixed": "fixed", "affected": "not-fixed", "fix_deferred": "not-fixed",
              "end_of_life": "wont-fix", "will_not_fix": "wont-fix",
              "under_investigation": "unknown", "unknown": "unknown"}


def rego_string(value):
    """``value`` as the policy sees it: a UTC RFC 3339 time with ``Z`` gets ``+00:00`` and an
    upper-case ``T`` (rego-cpp's time.parse_rfc3339_ns refuses ``Z``, ``t`` and a space)."""
    if len(value) >= 20 and value[-1] in "Zz" and _ZULU_RE.fullmatch(value):
        return f"{value[:10]}T{value[11:-1]}+00:00"
    return value


def _encoded(value):
    """The bytes rego-cpp's regoInputString wants: the string's JSON escape without quotes.

    rego-cpp keeps strings escaped and writes them into its JSON output as they are; a raw
    ``"`` or ``\\`` (regopy's own Input passes them raw) breaks that output or adds values to
    it, and a raw NUL cuts the string. A lone surrogate is refused.
    """
    value = rego_string(value)
    if _ESCAPE_RE.search(value):
        value = json.dumps(value, ensure_ascii=False)[1:-1]
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise PolicyError("the policy input holds a string that is not valid Unicode (a lone "
                          f"surrogate): {_printable(value[:80])!r}") from None


def to_rego_input(value):
    """A regopy Input built with one C call per node (regopy's own builder makes several)."""
    lib = getattr(_rego_shared, "rego", None)
    if lib is None or not hasattr(_rego_shared, "rego_new_input"):
        raise PolicyError("this regopy has no regoInputString (regopy 1.5 has); the gate "
                          "cannot pass strings to it safely")
    handle = _rego_shared.rego_new_input()
    put_str, put_obj, put_item = lib.regoInputString, lib.regoInputObject, lib.regoInputObjectItem
    put_arr, put_int, put_float = lib.regoInputArray, lib.regoInputInt, lib.regoInputFloat
    put_bool, put_null = lib.regoInputBoolean, lib.regoInputNull
    encoded = {}

    def add(val):
        kind = type(val)
        if kind is str:
            raw = encoded.get(val)
            if raw is None:
                raw = encoded[val] = _encoded(val)
            put_str(handle, raw)
        elif kind is dict:
            for key, item in val.items():
                add(str(key))
                add(item)
                put_item(handle)
            put_obj(handle, len(val))
        elif kind is list or kind is tuple:
            for item in val:
                add(item)
            put_arr(handle, len(val))
        elif kind is bool:
            put_bool(handle, val)
        elif kind is int:
            put_int(handle, val)
        elif kind is float:
            put_float(handle, val)
        elif val is None:
            put_null(handle)
        else:
            raise PolicyError(f"cannot pass a {kind.__name__} to a Rego policy")

    add(value)
    built = regopy.Input.__new__(regopy.Input)
    built._impl = handle
    return built


def _fix_state(finding):
    if finding.get("fix_state"):
        return finding["fix_state"]
    status = finding.get("status")
    if not status:
        return "fixed" if finding.get("fixed") else "unknown"
    return _FIX_STATE.get(status, "unknown")


def _results_view(findings):
    """``input.results``: grype's match shape, severities in both scanners' words."""
    out = []
    for finding in findings:
        severity = finding["severity"]
        out.append({
            "vulnerability": {
                "id": finding["id"],
                "severity": finding.get("scanner_severity") or _TITLE.get(severity, "Unknown"),
                "Severity": severity,
                "fix": {"state": _fix_state(finding),
                        "versions": [v.strip() for v in finding["fixed"].split(",")
                                     if v.strip()]}},
            "artifact": {"name": finding["package"], "version": finding["installed"],
                         "type": finding.get("type", ""), "purl": finding.get("purl", "")},
            "target": finding["target"]})
    return out


_FINDING_KEYS = ("kind", "id", "severity", "package", "installed", "fixed", "status", "target",
                 "purl", "aliases", "title", "url", "state", "reason", "class", "type",
                 "pkg_path", "scanner_severity", "fix_state")


def policy_input(report, report_format, gate_result, findings, words=None):
    """The ``input`` document (module docstring); ``words`` None builds every section, else
    the sections named in it (:func:`input_sections`), each whole.

    ``findings`` are every normalised finding of the report in report order, the same dict
    objects the gate result lists under blocking, tolerated and ignored.
    """
    doc = _policy_input(report, report_format, gate_result, findings,
                        set(SECTIONS) if words is None else set(words))
    return doc


def _policy_input(report, report_format, gate_result, findings, want):
    doc = {}
    if "format" in want:
        doc["format"] = report_format
    if "artifact" in want:
        doc["artifact"] = gate_result.get("artifact", "")
    if "report" in want:
        doc["report"] = report
    ignored = {id(f) for f in gate_result["ignored"]}
    if "findings" in want:
        doc["findings"] = _findings_view(findings, gate_result, ignored)
    if "results" in want:
        doc["results"] = _results_view(f for f in findings if id(f) not in ignored and
                                       f["kind"] == "vulnerability")
    if "gate" in want:
        doc["gate"] = {"passed": gate_result["passed"], "counts": gate_result["counts"],
                       "blocking_counts": gate_result["blocking_counts"]}
    return doc


def _findings_view(findings, gate_result, ignored):
    verdict = dict.fromkeys(ignored, "ignored")
    for state in ("tolerated", "blocking"):
        verdict.update(dict.fromkeys(map(id, gate_result[state]), state))
    records = []
    for finding in findings:
        record = {k: finding[k] for k in _FINDING_KEYS if k in finding}
        record["state"] = verdict.get(id(finding), "passed")
        records.append(record)
    return records
