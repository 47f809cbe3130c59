# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""SARIF 2.1.0 of gate results, for GitHub code scanning (``upload-sarif``) and other viewers.

One run per scanner (Trivy, grype), one rule per vulnerability id (as Trivy writes them),
one result per blocking finding at level ``error``, and one per ignored finding at level
``note`` with a ``suppressions`` entry carrying the reason (accepted risk, unfixed, VEX
justification). Rego ``deny`` messages become results of the rule ``rego-policy-deny``.

``properties.security-severity`` (what GitHub ranks alerts by) follows Trivy's SARIF writer:
CRITICAL 9.5, HIGH 8.0, MEDIUM 5.5, LOW 2.0, UNKNOWN 0.0. Locations are relative URIs:
the package path when the scanner gives one, else the result target (an image's OS target
loses its " (alpine 3.9.2)" suffix), percent-encoded so ``alpine:3.9`` stays a path.
"""
from __future__ import annotations

import hashlib
import re
from urllib.parse import quote

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    expect_items,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    url_error,
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


class _Run:
    def __init__(self, scanner):
        tool = dict(TOOLS.get(scanner, TOOLS["trivy"]))
        self.driver = dict(tool, rules=[])
        self.index = {}
        self.results = []
        self.artifacts = []

    def rule_index(self, rule):
        at = self.index.get(rule["id"])
        if at is None:
            at = self.index[rule["id"]] = len(self.driver["rules"])
            self.driver["rules"].append(rule)
            return at
        known = self.driver["rules"][at]
        # One rule per id: keep the highest severity any package reported for it.
        if float(rule["properties"]["security-severity"]) > \
                float(known["properties"]["security-severity"]):
            self.driver["rules"][at] = dict(rule, id=known["id"])
        return at

    def add(self, finding, artifact, level, reason=None):
        result = {
            "ruleId": finding["id"],
            "ruleIndex": self.rule_index(_rule(finding)),
            "level": level,
            "message": {"text": _message(finding, reason)},
            "locations": [_location(finding, artifact)],
            "partialFingerprints": {"bulwarkFinding/v1": _fingerprint(finding, artifact)},
        }
        if reason:
            result["suppressions"] = [{"kind": "external", "status": "accepted",
                                       "justification": reason}]
        self.results.append(result)

    def add_denial(self, message, artifact):
        at = self.index.get(POLICY_RULE)
        if at is None:
            at = self.index[POLICY_RULE] = len(self.driver["rules"])
            self.driver["rules"].append({
                "id": POLICY_RULE, "name": "RegoPolicyDeny",
                "shortDescription": {"text": "A Rego policy of the build gate denied the image"},
                "fullDescription": {"text": "A deny rule of a Rego policy given to the gate "
                                            "returned this message."},
                "defaultConfiguration": {"level": "error"},
                "properties": {"precision": "very-high", "security-severity": "8.0",
                               "tags": ["policy", "security"]},
            })
        where = {"pkg_path": "", "target": artifact}
        self.results.append({
            "ruleId": POLICY_RULE, "ruleIndex": at, "level": "error",
            "message": {"text": message},
            "locations": [_location(where, artifact)],
            "partialFingerprints": {"bulwarkFinding/v1": hashlib.sha256(
                f"{artifact}|{message}".encode("utf-8", "surrogatepass")).hexdigest()},
        })

    def as_dict(self):
        run = {"tool": {"driver": self.driver}, "results": self.results,
               "columnKind": "utf16CodeUnits",
               "originalUriBaseIds": {"ROOTPATH": {"uri": "file:///"}}}
        if self.artifacts:
            run["properties"] = {"artifacts": self.artifacts}
        return run


_FINDING_TEXT = ("title",)    # read as text (split into lines); the rest is only formatted


def _check_result(res, where):
    """A gate result's parts that the log reads, checked once: lists of findings with an id
    and a known severity, a title as text; InputError naming the path otherwise."""
    expect(res.get("artifact"), str, f"{where}.artifact", optional=True)
    expect(res.get("report_format"), str, f"{where}.report_format", optional=True)
    expect_items(res.get("policy_denials"), (list, tuple), f"{where}.policy_denials", str,
                 optional=True)
    for part in ("blocking", "ignored"):
        findings = expect_items(res.get(part), (list, tuple), f"{where}.{part}", dict,
                                optional=True)
        for index, finding in enumerate(findings or ()):
            at = f"{where}.{part}[{index}]"
            if "id" not in finding:
                raise InputError(f"{at} has no id")
            if finding.get("severity") not in SECURITY_SEVERITY:
                raise InputError(f"{at}.severity must be one of "
                                 f"{', '.join(SECURITY_SEVERITY)}")
            for key in _FINDING_TEXT:
                expect(finding.get(key), str, f"{at}.{key}", optional=True)


def to_sarif(results, include_ignored=True):
    """SARIF 2.1.0 log (a dict) of one gate result or a list of them (module results work)."""
    results = results if isinstance(results, (list, tuple)) else [results]
    runs = {}
    for number, res in enumerate(results):
        if not isinstance(res, dict) or "blocking" not in res:
            continue
        _check_result(res, f"results[{number}]")
        run = runs.setdefault(res.get("report_format") or "trivy",
                              _Run(res.get("report_format") or "trivy"))
        artifact = res.get("artifact") or ""
        if artifact:
            run.artifacts.append(artifact)
        for finding in res.get("blocking") or ():
            run.add(finding, artifact, "error")
        for message in res.get("policy_denials") or ():
            run.add_denial(message, artifact)
        if include_ignored:
            for finding in res.get("ignored") or ():
                run.add(finding, artifact, "note", finding.get("reason") or "ignored")
    if not runs:
        runs["trivy"] = _Run("trivy")
    return {"version": "2.1.0", "$schema": SARIF_SCHEMA,
            "runs": [run.as_dict() for run in runs.values()]}
