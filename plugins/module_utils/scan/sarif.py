# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""SARIF 2.1.0 of gate results, for GitHub code scanning (``upload-sarif``) and other viewers.

One run per scanner (Trivy, grype), one rule per vulnerability id (as Trivy writes them) and
one result per finding: blocking ones at level ``error``; the others (below the threshold or
within a budget) at ``warning`` (CRITICAL, HIGH, MEDIUM) or ``note`` (LOW, UNKNOWN); ignored
ones (ignore entry, VEX, ignore-unfixed) at the same severity level with a ``suppressions``
entry of kind ``external`` whose justification is the ignore's statement (the VEX statement,
or the gate's reason for an unfixed finding). ``findings="blocking"`` keeps only the blocking
ones. Rego ``deny`` messages become results of the rule ``rego-policy-deny``.

The log is written in pieces (:func:`sarif_chunks`, compact JSON, one piece per rule and per
result), never built whole: 100,000 findings stream to a file.

``properties.security-severity`` (what GitHub ranks alerts by) follows Trivy's SARIF writer:
CRITICAL 9.5, HIGH 8.0, MEDIUM 5.5, LOW 2.0, UNKNOWN 0.0. Locations are relative URIs:
the package path when the scanner gives one, else the result target (an image's OS target
loses its " (alpine 3.9.2)" suffix), percent-encoded so ``alpine:3.9`` stays a path.
"""
from __future__ import annotations

import hashlib
import json
import re
from urllib.parse import quote

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    expect_items,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    url_error,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    SEVERITIES,
)

SARIF_SCHEMA = ("https://raw.githubusercontent.com/oasis-tcs/sarif-spec/main/sarif-2.1/schema/"
                "sarif-schema-2.1.0.json")
_SCORES = {"CRITICAL": "9.5", "HIGH": "8.0", "MEDIUM": "5.5", "LOW": "2.0"}
SECURITY_SEVERITY = {sev: _SCORES.get(sev, "0.0") for sev in SEVERITIES}
TOOLS = {
    "trivy": {"name": "Trivy", "fullName": "Trivy Vulnerability Scanner",
              "informationUri": "https://github.com/aquasecurity/trivy"},
    "grype": {"name": "grype", "fullName": "Anchore grype vulnerability scanner",
              "informationUri": "https://github.com/anchore/grype"},
}
POLICY_RULE = "rego-policy-deny"
_RULE_NAMES = {"secret": "Secret", "misconfiguration": "Misconfiguration"}
_REGION = {"startLine": 1, "startColumn": 1, "endLine": 1, "endColumn": 1}


def _level(severity):
    return "error" if severity in ("CRITICAL", "HIGH") else \
        "warning" if severity == "MEDIUM" else "note"


def _uri(finding, artifact):
    where = finding.get("pkg_path") or finding.get("target") or artifact or "report"
    where = re.sub(r" \([^)]*\)$", "", where).lstrip("/") or "report"
    # backslashreplace: a lone surrogate (only possible in a mapping given inline, the
    # readers refuse it) becomes an escape, never a UnicodeEncodeError.
    return quote(where, safe="/._-~@+", errors="backslashreplace")


def _help_uri(url):
    """The finding's advisory URL when it is a plain web URL (http_urls.url_error: a host, no
    whitespace, control characters or credentials), else None: a SARIF viewer links it."""
    return url if url_error(url, "url") is None else None


def _rule(finding):
    kind = finding.get("kind", "vulnerability")
    name = _RULE_NAMES.get(kind) or ("OsPackageVulnerability" if finding.get("class") ==
                                     "os-pkgs" else "LanguageSpecificPackageVulnerability")
    sev = finding["severity"]
    title = finding.get("title") or f"{finding['id']} in {finding.get('package') or 'target'}"
    lines = [f"Vulnerability {finding['id']}" if kind == "vulnerability" else
             f"{kind.capitalize()} {finding['id']}", f"Severity: {sev}"]
    if finding.get("package"):
        lines.append(f"Package: {finding['package']}")
    if finding.get("fixed"):
        lines.append(f"Fixed Version: {finding['fixed']}")
    if finding.get("url"):
        lines.append(f"Link: [{finding['id']}]({finding['url']})")
    rule = {
        "id": finding["id"],
        "name": name,
        "shortDescription": {"text": title.splitlines()[0][:1000]},
        "fullDescription": {"text": title},
        "defaultConfiguration": {"level": _level(sev)},
        "help": {"text": "\n".join(lines), "markdown": "  \n".join(lines)},
        "properties": {"precision": "very-high", "security-severity": SECURITY_SEVERITY[sev],
                       "tags": [kind, "security", sev]},
    }
    if _help_uri(finding.get("url")):
        rule["helpUri"] = finding["url"]
    return rule


def _message(finding, reason=None):
    lines = []
    if finding.get("package"):
        lines += [f"Package: {finding['package']}",
                  f"Installed Version: {finding.get('installed') or 'unknown'}"]
    lines += [f"Vulnerability {finding['id']}" if finding.get("kind") == "vulnerability"
              else f"{finding.get('kind', 'finding').capitalize()} {finding['id']}",
              f"Severity: {finding['severity']}",
              f"Fixed Version: {finding.get('fixed') or 'none'}"]
    if finding.get("url"):
        lines.append(f"Link: [{finding['id']}]({finding['url']})")
    if reason:
        lines.append(f"Ignored: {reason}")
    return "\n".join(lines)


def _location(finding, artifact):
    what = "@".join(p for p in (finding.get("package"), finding.get("installed")) if p)
    target = finding.get("target") or artifact or "report"
    return {
        "physicalLocation": {"artifactLocation": {"uri": _uri(finding, artifact),
                                                  "uriBaseId": "ROOTPATH"},
                             "region": dict(_REGION)},
        "message": {"text": f"{target}: {what}" if what else target},
    }


def _fingerprint(finding, artifact):
    key = "|".join(str(finding.get(k) or "") for k in ("id", "package", "installed", "target"))
    return hashlib.sha256(f"{artifact}|{key}".encode("utf-8", "surrogatepass")).hexdigest()


# The finding lists of a gate result the log reads: "other" is what trivy_gate passes (every
# finding that neither blocks nor is ignored); a module result has only "tolerated" of those.
FINDING_PARTS = ("blocking", "ignored", "other", "tolerated")
SARIF_FINDINGS = ("all", "blocking")
_FINDING_TEXT = ("title",)    # read as text (split into lines); the rest is only formatted


def _check_result(res, where):
    """A gate result's parts that the log reads, checked once: lists of findings with an id
    and a known severity, a title as text; InputError naming the path otherwise."""
    expect(res.get("artifact"), str, f"{where}.artifact", optional=True)
    expect(res.get("report_format"), str, f"{where}.report_format", optional=True)
    expect_items(res.get("policy_denials"), (list, tuple), f"{where}.policy_denials", str,
                 optional=True)
    for part in FINDING_PARTS:
        findings = expect_items(res.get(part), (list, tuple), f"{where}.{part}", dict,
                                optional=True)
        for index, finding in enumerate(findings or ()):
            at = f"{where}.{part}[{index}]"
            if "id" not in finding:
                raise InputError(f"{at} has no id")
            expect(finding["id"], str, f"{at}.id")
            if finding.get("severity") not in SECURITY_SEVERITY:
                raise InputError(f"{at}.severity must be one of "
                                 f"{', '.join(SECURITY_SEVERITY)}")
            for key in _FINDING_TEXT:
                expect(finding.get(key), str, f"{at}.{key}", optional=True)


def _justification(finding):
    """Why an ignored finding is suppressed: the ignore entry's statement, the VEX statement
    (or justification), else the gate's reason (``unfixed (status affected)``)."""
    ignore = finding.get("ignore")
    if isinstance(ignore, dict) and isinstance(ignore.get("statement"), str):
        return ignore["statement"]
    vex = finding.get("vex")
    if isinstance(vex, dict):
        why = vex.get("statement") or vex.get("justification")
        if isinstance(why, str) and why:
            return why
    reason = finding.get("reason")
    return reason if isinstance(reason, str) and reason else "ignored"


def _suppression(finding):
    suppression = {"kind": "external", "status": "accepted",
                   "justification": _justification(finding)}
    props = {}
    if isinstance(finding.get("reason"), str):
        props["reason"] = finding["reason"]
    ignore = finding.get("ignore")
    if isinstance(ignore, dict) and isinstance(ignore.get("expired_at"), str):
        props["expiredAt"] = ignore["expired_at"]
    vex = finding.get("vex")
    if isinstance(vex, dict):
        props["vex"] = {k: v for k, v in vex.items() if isinstance(v, str)}
    if props:
        suppression["properties"] = props
    return suppression


def level(severity, blocking):
    """The SARIF level of a finding: ``error`` when it blocks, else ``warning`` for CRITICAL,
    HIGH and MEDIUM and ``note`` for LOW and UNKNOWN (ignored findings alike, suppressed)."""
    if blocking:
        return "error"
    return "warning" if severity in ("CRITICAL", "HIGH", "MEDIUM") else "note"


_POLICY_RULE = {
    "id": POLICY_RULE, "name": "RegoPolicyDeny",
    "shortDescription": {"text": "A Rego policy of the build gate denied the image"},
    "fullDescription": {"text": "A deny rule of a Rego policy given to the gate returned "
                                "this message."},
    "defaultConfiguration": {"level": "error"},
    "properties": {"precision": "very-high", "security-severity": "8.0",
                   "tags": ["policy", "security"]},
}


def _entries(run_results, findings, include_ignored):
    """(kind, finding or message, artifact) of one run, in log order: blocking findings,
    policy denials, then (``findings="all"``) the other findings and the ignored ones."""
    for res in run_results:
        artifact = res.get("artifact") or ""
        for finding in res.get("blocking") or ():
            yield "error", finding, artifact
        for message in res.get("policy_denials") or ():
            yield "denial", message, artifact
        if findings != "all":
            continue
        others = res.get("other") if "other" in res else res.get("tolerated")
        for finding in others or ():
            yield "other", finding, artifact
        if include_ignored:
            for finding in res.get("ignored") or ():
                yield "ignored", finding, artifact


def _rules(run_results, findings, include_ignored):
    """{rule id: index} and the finding each rule is written from (None: the policy rule),
    one rule per id keeping the highest severity any package reported for it."""
    index, sources = {}, []
    for kind, item, _artifact in _entries(run_results, findings, include_ignored):
        ident = POLICY_RULE if kind == "denial" else item["id"]
        at = index.get(ident)
        if at is None:
            index[ident] = len(sources)
            sources.append(None if kind == "denial" else item)
        elif sources[at] is not None and float(SECURITY_SEVERITY[item["severity"]]) > \
                float(SECURITY_SEVERITY[sources[at]["severity"]]):
            sources[at] = item
    return index, sources


def _result(kind, item, artifact, rule_at):
    if kind == "denial":
        return {
            "ruleId": POLICY_RULE, "ruleIndex": rule_at, "level": "error",
            "message": {"text": item},
            "locations": [_location({"pkg_path": "", "target": artifact}, artifact)],
            "partialFingerprints": {"bulwarkFinding/v1": hashlib.sha256(
                f"{artifact}|{item}".encode("utf-8", "surrogatepass")).hexdigest()},
        }
    ignored = kind == "ignored"
    result = {
        "ruleId": item["id"], "ruleIndex": rule_at,
        "level": level(item["severity"], kind == "error"),
        "message": {"text": _message(item, (item.get("reason") or "ignored") if ignored
                                     else None)},
        "locations": [_location(item, artifact)],
        "partialFingerprints": {"bulwarkFinding/v1": _fingerprint(item, artifact)},
    }
    if ignored:
        result["suppressions"] = [_suppression(item)]
    return result


def _dump(value):
    return json.dumps(value, separators=(",", ":"))


def _run_chunks(scanner, run_results, findings, include_ignored):
    index, sources = _rules(run_results, findings, include_ignored)
    driver = dict(TOOLS.get(scanner, TOOLS["trivy"]))
    yield _dump({"tool": {"driver": driver}})[:-3] + ',"rules":['
    for at, source in enumerate(sources):
        yield ("," if at else "") + _dump(_POLICY_RULE if source is None else _rule(source))
    yield ']}},"results":['
    first = True
    for kind, item, artifact in _entries(run_results, findings, include_ignored):
        rule_at = index[POLICY_RULE if kind == "denial" else item["id"]]
        yield ("" if first else ",") + _dump(_result(kind, item, artifact, rule_at))
        first = False
    tail = {"columnKind": "utf16CodeUnits",
            "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}}}
    artifacts = [res["artifact"] for res in run_results if res.get("artifact")]
    if artifacts:
        tail["properties"] = {"artifacts": artifacts}
    yield "]," + _dump(tail)[1:]


def sarif_chunks(results, findings="all", include_ignored=True):
    """The SARIF 2.1.0 log of one gate result or a list of them (module results work), as
    compact JSON text in pieces: one per rule and per result, so that a 100,000-finding log
    is written to a file without ever being held whole (``"".join`` gives the document).

    ``findings``: ``all`` (every finding the results carry: blocking at level ``error``,
    the others at ``warning``/``note`` by severity, ignored ones suppressed) or ``blocking``
    (blocking findings and policy denials only). The results are checked here, before the
    first piece: InputError naming the path.
    """
    if not isinstance(findings, str) or findings not in SARIF_FINDINGS:
        shown = (one_line(repr(findings))[:40] if isinstance(findings, str)
                 else f"a {type(findings).__name__}")  # a mapping's values may be secrets
        raise InputError(f"sarif_findings={shown} must be one of {', '.join(SARIF_FINDINGS)}")
    results = results if isinstance(results, (list, tuple)) else [results]
    runs = {}
    for number, res in enumerate(results):
        if not isinstance(res, dict) or "blocking" not in res:
            continue
        _check_result(res, f"results[{number}]")
        runs.setdefault(res.get("report_format") or "trivy", []).append(res)
    return _log_chunks(runs or {"trivy": []}, findings, include_ignored)


def _log_chunks(runs, findings, include_ignored):
    yield _dump({"version": "2.1.0", "$schema": SARIF_SCHEMA})[:-1] + ',"runs":['
    for number, (scanner, run_results) in enumerate(runs.items()):
        if number:
            yield ","
        yield from _run_chunks(scanner, run_results, findings, include_ignored)
    yield "]}\n"


def to_sarif(results, include_ignored=True, findings="all"):
    """The SARIF 2.1.0 log of :func:`sarif_chunks` as a dict (for the filter and tests)."""
    return json.loads("".join(sarif_chunks(results, findings, include_ignored)))
