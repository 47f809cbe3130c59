# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What a gate result becomes: a summary, JUnit XML, the cosign vuln predicate.
"""
from __future__ import annotations

import datetime as _dt
import xml.etree.ElementTree as ET

from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    SEVERITIES,
)

SUMMARY_LINES = 20

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
    verdict = "PASSED" if not blocking else "FAILED"
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
    warnings = result.get("warnings") or result.get("gate_warnings") or []
    lines.extend(f"  warning: {w}" for w in warnings[:5])
    return "\n".join(lines)


def to_junit(result):
    """JUnit XML: one testsuite per gated report, one failing testcase per blocking finding.

    ``result`` is one gate result or a list of them. A report with nothing blocking gets a
    single passing testcase so dashboards still show that it was gated.
    """
    results = result if isinstance(result, (list, tuple)) else [result]
    suites = ET.Element("testsuites", name="trivy gate")
    total_tests = total_failures = 0
    for res in results:
        blocking = res.get("blocking", [])
        suite = ET.SubElement(suites, "testsuite", name=f"trivy: {res.get('artifact') or 'report'}",
                              tests=str(max(len(blocking), 1)), failures=str(len(blocking)),
                              errors="0", skipped="0")
        total_tests += max(len(blocking), 1)
        total_failures += len(blocking)
        for finding in blocking:
            what = " ".join(p for p in (finding["package"], finding["installed"]) if p)
            case = ET.SubElement(suite, "testcase", classname=finding["target"] or "report",
                                 name=f"{finding['id']} {what}".strip())
            fix = finding.get("fixed") or "no fixed version"
            failure = ET.SubElement(case, "failure", type=finding["severity"],
                                    message=f"{finding['severity']} {finding['id']} in "
                                            f"{what or finding['target']}; fixed: {fix}")
            failure.text = "\n".join(x for x in (finding.get("title"), finding.get("url")) if x)
        if not blocking:
            ET.SubElement(suite, "testcase", classname="trivy", name="no blocking findings")
        warnings = res.get("warnings") or res.get("gate_warnings")
        if warnings:
            ET.SubElement(suite, "system-out").text = "\n".join(warnings)
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
    version = str((report.get("Trivy") or {}).get("Version") or "")
    # cosign reads both timestamps as RFC 3339 times: never leave them empty.
    created = report.get("CreatedAt") or _dt.datetime.now(_dt.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    started = scan_started or created
    finished = scan_finished or created
    params = list((invocation or {}).get("parameters") or [])
    if result is not None:
        params += [f"--severity={','.join(result['blocking_severities'])}"]
        if result.get("ignore_unfixed"):
            params.append("--ignore-unfixed")
    db = report.get("Trivy", {}).get("DB") if isinstance(report.get("Trivy"), dict) else None
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
