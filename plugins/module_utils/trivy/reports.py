# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What a gate result becomes: a summary, JUnit XML, the cosign vuln predicate.
"""
from __future__ import annotations

import datetime as _dt
import re
import xml.etree.ElementTree as ET

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
    printable,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    SEVERITIES,
)

SUMMARY_LINES = 20
# What XML 1.0 cannot carry at all (Char production): left after printable(), which escapes
# the C0/C1 controls but tab and newline.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def xml_text(value):
    """``value`` as text an XML 1.0 document can hold: control characters (ESC, NUL, form
    feed) shown as escapes, non-characters and lone surrogates as ``\\uXXXX``."""
    text = printable(value if isinstance(value, str) else str(value))
    return _NOT_XML.sub(lambda m: f"\\u{ord(m.group()):04x}", text)


def _counts_text(counts):
    return ", ".join(f"{s} {counts[s]}" for s in reversed(SEVERITIES) if counts.get(s))


def _threshold_text(selected):
    for rank, name in enumerate(SEVERITIES):
        if list(selected) == list(SEVERITIES[rank:]):
            return f">= {name}"
    return ",".join(selected)


def summarize(result, max_lines=SUMMARY_LINES):
    """One screen of text: verdict, counts, the worst blocking findings, warnings."""
    name = result.get("artifact") or "report"
    blocking = result.get("blocking", [])
    denials = result.get("policy_denials") or []
    verdict = "PASSED" if result.get("passed", not blocking) else "FAILED"
    lines = [
        f"trivy gate {verdict} for {name}: {len(blocking)} blocking "
        f"(severity {_threshold_text(result.get('blocking_severities', []))}"
        f"{', unfixed ignored' if result.get('ignore_unfixed') else ''}), "
        f"{len(result.get('ignored', []))} ignored, {len(result.get('tolerated', []))} "
        f"within budget, {result.get('total', 0)} in report",
    ]
    if result.get("counts") and any(result["counts"].values()):
        lines.append(f"  report: {_counts_text(result['counts'])}")
    for sev, budget in result.get("budgets", {}).items():
        state = "EXCEEDED" if budget["exceeded"] else "ok"
        lines.append(f"  budget {sev}: {budget['found']} found, {budget['limit']} allowed "
                     f"({state})")
    for finding in blocking[:max_lines]:
        fix = f" -> {finding['fixed']}" if finding.get("fixed") else " (no fix)"
        what = " ".join(p for p in (finding["package"], finding["installed"]) if p)
        lines.append(f"  {finding['severity']:<8} {finding['id']} {what}{fix}"
                     f"  [{finding['target']}]")
    if len(blocking) > max_lines:
        lines.append(f"  ... and {len(blocking) - max_lines} more blocking finding(s)")
    lines.extend(f"  policy deny: {msg}" for msg in denials[:max_lines])
    warnings = result.get("warnings") or result.get("gate_warnings") or []
    lines.extend(f"  warning: {w}" for w in warnings[:5])
    # Finding ids, packages and messages come from the report: never raw to a terminal.
    return "\n".join(one_line(line) for line in lines)


def _element(parent, tag, **attrs):
    attrs = {key: xml_text(value) for key, value in attrs.items()}
    return ET.Element(tag, attrs) if parent is None else ET.SubElement(parent, tag, attrs)


def to_junit(result):
    """JUnit XML: one testsuite per gated report, one failing testcase per blocking finding.

    ``result`` is one gate result or a list of them. A report with nothing blocking gets a
    single passing testcase so dashboards still show that it was gated.
    """
    results = result if isinstance(result, (list, tuple)) else [result]
    suites = _element(None, "testsuites", name="trivy gate")
    total_tests = total_failures = 0
    for res in results:
        blocking = res.get("blocking", [])
        denials = res.get("policy_denials") or []
        suite = _element(suites, "testsuite",
                         name=f"trivy: {res.get('artifact') or 'report'}",
                         tests=str(max(len(blocking), 1)), failures=str(len(blocking)),
                         errors="0", skipped="0")
        total_tests += max(len(blocking), 1)
        total_failures += len(blocking)
        for finding in blocking:
            what = " ".join(p for p in (finding["package"], finding["installed"]) if p)
            case = _element(suite, "testcase", classname=finding["target"] or "report",
                            name=f"{finding['id']} {what}".strip())
            fix = finding.get("fixed") or "no fixed version"
            failure = _element(case, "failure", type=finding["severity"],
                               message=f"{finding['severity']} {finding['id']} in "
                                       f"{what or finding['target']}; fixed: {fix}")
            failure.text = xml_text("\n".join(
                x for x in (finding.get("title"), finding.get("url")) if x))
        for msg in denials:  # Rego deny messages (scan/build_gate.py) fail like findings
            _element(_element(suite, "testcase", classname="policy", name=msg),
                     "failure", type="policy", message=msg)
        suite.set("tests", str(max(len(blocking) + len(denials), 1)))
        suite.set("failures", str(len(blocking) + len(denials)))
        total_tests += len(denials) - (1 if denials and not blocking else 0)
        total_failures += len(denials)
        if not blocking and not denials:
            _element(suite, "testcase", classname="trivy", name="no blocking findings")
        warnings = res.get("warnings") or res.get("gate_warnings")
        if warnings:
            _element(suite, "system-out").text = xml_text("\n".join(warnings))
    suites.set("tests", str(total_tests))
    suites.set("failures", str(total_failures))
    return ET.tostring(suites, encoding="unicode", xml_declaration=True) + "\n"


def to_vuln_predicate(report, result=None, *, invocation=None, scan_started=None,
                      scan_finished=None, db_uri="", db_version=""):
    """Cosign vulnerability scan record (predicateType PREDICATE_TYPE) for ``cosign attest``.

    The shape is cosign's ``CosignVulnPredicate`` (invocation, scanner{uri, version, db,
    result}, metadata{scanStartedOn, scanFinishedOn}); ``scanner.result`` is the Trivy report
    as Trivy writes it. When a gate ``result`` is given, its verdict is added to
    ``invocation.parameters`` so a policy can read how the image was gated.
    """
    report = report or {}
    # Fields the gate does not read: used only when they have Trivy's types.
    trivy = report.get("Trivy") if isinstance(report.get("Trivy"), dict) else {}
    version = trivy.get("Version") if isinstance(trivy.get("Version"), str) else ""
    # cosign reads both timestamps as RFC 3339 times: never leave them empty.
    created = report.get("CreatedAt") if isinstance(report.get("CreatedAt"), str) else ""
    created = created or _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    started = scan_started or created
    finished = scan_finished or created
    params = list((invocation or {}).get("parameters") or [])
    if result is not None:
        if not isinstance(result, dict) or not isinstance(result.get("blocking_severities"), list):
            raise ValueError("result must be a trivy_gate result (with blocking_severities)")
        params += [f"--severity={','.join(map(str, result['blocking_severities']))}"]
        if result.get("ignore_unfixed"):
            params.append("--ignore-unfixed")
    db = trivy.get("DB") if isinstance(trivy.get("DB"), dict) else None
    return {
        "invocation": {
            "parameters": params,
            "uri": (invocation or {}).get("uri", ""),
            "event_id": (invocation or {}).get("event_id", ""),
            "builder.id": (invocation or {}).get("builder.id", ""),
        },
        "scanner": {
            "uri": f"pkg:github/aquasecurity/trivy@{version}" if version else
                   "pkg:github/aquasecurity/trivy",
            "version": version,
            "db": {"uri": db_uri,
                   "version": db_version or (str(db.get("UpdatedAt", "")) if db else "")},
            "result": report,
        },
        "metadata": {"scanStartedOn": started, "scanFinishedOn": finished},
    }
