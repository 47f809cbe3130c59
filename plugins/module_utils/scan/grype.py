# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""grype's JSON report (``grype -o json``) as the gate's normalised findings.

The gate (``trivy.gate.gate``) works on flat finding dicts; this module yields the same dicts
from grype's ``matches[]`` so severity threshold, ignore-unfixed, ignores and budgets apply
unchanged. Mapping:

* severity: grype's ``Critical``/``High``/``Medium``/``Low`` map to the Trivy names;
  ``Negligible`` and ``Unknown`` map to ``UNKNOWN``, the rank below ``LOW`` (grype orders
  Unknown < Negligible < Low, so a threshold of LOW or above treats them alike). The original
  word stays in ``scanner_severity``.
* fix state (``vulnerability.fix.state``): ``fixed`` is fixed; ``not-fixed``, ``wont-fix`` and
  ``unknown`` are unfixed (the three states grype's own ``--only-fixed`` drops). A match with
  an empty or missing state counts as fixed when ``fix.versions`` names a version, as the gate
  treats a Trivy finding without ``Status``. ``status`` carries Trivy's word for the state
  (``fixed``, ``affected``, ``will_not_fix``, ``unknown``) so ignore-unfixed reads one field.
* target: the first location path of the matched package (where grype found it), which is
  what ignore ``paths`` globs match; the artifact is ``source.target.userInput`` (an image) or
  the scanned directory.
* ``relatedVulnerabilities`` ids become ``aliases``: an ignore or VEX statement on the CVE
  applies to grype's GHSA match of it.
"""
from __future__ import annotations

GRYPE_SEVERITIES = {
    "critical": "CRITICAL", "high": "HIGH", "medium": "MEDIUM", "low": "LOW",
    "negligible": "UNKNOWN", "unknown": "UNKNOWN",
}
# grype fix.state -> the Trivy status word the gate's ignore-unfixed reads.
FIX_STATE_STATUS = {"fixed": "fixed", "not-fixed": "affected", "wont-fix": "will_not_fix",
                    "unknown": "unknown"}
UNFIXED_FIX_STATES = ("not-fixed", "wont-fix", "unknown")
OS_PACKAGE_TYPES = frozenset(("apk", "deb", "rpm", "alpm", "portage", "nix"))
REPORT_FORMATS = ("trivy", "grype")


def is_grype_report(report):
    """True for grype's JSON document: a mapping with a ``matches`` list."""
    return isinstance(report, dict) and isinstance(report.get("matches"), list) and \
        "Results" not in report and "SchemaVersion" not in report


def detect_format(report, wanted="auto"):
    """``trivy`` or ``grype`` for a loaded report; ``wanted`` other than auto is checked."""
    if wanted not in ("auto", *REPORT_FORMATS):
        raise ValueError(f"report_format={wanted!r}; accepted: auto, {', '.join(REPORT_FORMATS)}")
    found = "grype" if is_grype_report(report) else "trivy"
    if wanted not in ("auto", found):
        hint = "no 'matches' list" if wanted == "grype" else "a 'matches' list"
        raise ValueError(f"report_format={wanted!r} but the report has {hint}: it looks "
                         f"like a {found} report")
    return found


def grype_artifact(report):
    """The scanned thing: image reference as the user gave it, directory or file path."""
    source = report.get("source") or {}
    target = source.get("target")
    if isinstance(target, dict):
        return str(target.get("userInput") or target.get("path") or target.get("imageID") or "")
    return str(target or "")


def _severity(word):
    return GRYPE_SEVERITIES.get(str(word or "").strip().lower(), "UNKNOWN")


def _status(fix):
    state = str(fix.get("state") or "").strip().lower()
    if state in FIX_STATE_STATUS:
        return FIX_STATE_STATUS[state]
    return "fixed" if fix.get("versions") else ""


def _finding(match, artifact_name):
    vuln = match.get("vulnerability") or {}
    pkg = match.get("artifact") or {}
    fix = vuln.get("fix") or {}
    locations = [loc.get("path") for loc in pkg.get("locations") or () if loc.get("path")]
    ptype = pkg.get("type") or ""
    urls = vuln.get("urls") or []
    finding = {
        "kind": "vulnerability",
        "id": vuln.get("id") or "",
        "package": pkg.get("name") or "",
        "installed": pkg.get("version") or "",
        "fixed": ", ".join(str(v) for v in fix.get("versions") or ()),
        "status": _status(fix),
        "severity": _severity(vuln.get("severity")),
        "target": locations[0] if locations else artifact_name,
        "class": "os-pkgs" if ptype in OS_PACKAGE_TYPES else "lang-pkgs",
        "type": ptype,
        "url": vuln.get("dataSource") or (urls[0] if urls else ""),
        "title": vuln.get("description") or "",
        "scanner_severity": vuln.get("severity") or "Unknown",
        "fix_state": fix.get("state") or "",
    }
    if locations:
        finding["pkg_path"] = locations[0]
    if pkg.get("purl"):
        finding["purl"] = pkg["purl"]
    aliases = [r.get("id") for r in match.get("relatedVulnerabilities") or ()
               if r.get("id") and r.get("id") != finding["id"]]
    if aliases:
        finding["aliases"] = aliases
    return finding


def iter_grype_findings(report):
    """Yield one normalised finding per grype match (see the module docstring)."""
    if not is_grype_report(report):
        raise ValueError("not a grype JSON report: expected a mapping with a 'matches' list "
                         "(grype -o json)")
    artifact = grype_artifact(report)
    for match in report["matches"]:
        if isinstance(match, dict):
            yield _finding(match, artifact)
