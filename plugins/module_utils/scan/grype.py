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
* ``relatedVulnerabilities`` ids become ``aliases``: an ignore on the CVE applies to grype's
  GHSA match of it. VEX, as in Trivy, matches the finding's own id only.
"""
# The type checks compare exact types on purpose: bool is an int subclass and must not pass
# as a count or a version. pylint: disable=unidiomatic-typecheck
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.gate import (
    check_trivy_report,
    describe_document,
)

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
# Top-level keys only a Trivy report has: a grype document carrying one is refused.
TRIVY_KEYS = ("SchemaVersion", "Results", "ArtifactName", "ArtifactType")


def _type_name(value):
    return "null" if value is None else "bool" if isinstance(value, bool) else \
        type(value).__name__


def _wrong(path, wanted, value):
    return InputError(f"{path} must be {wanted}, got {_type_name(value)}")


def _mapping(value, path, required=False):
    if value is None and not required:
        return {}
    if type(value) is not dict:
        raise _wrong(path, "a mapping", value)
    return value


def _items(value, path):
    if value is None:
        return ()
    if type(value) is not list:
        raise _wrong(path, "a list", value)
    return value


def _text(item, key, path):
    value = item.get(key)
    if value is None:
        return ""
    if type(value) is not str:
        raise _wrong(f"{path}.{key}", "text", value)
    return value


def is_grype_report(report):
    """True for grype's JSON document: ``matches`` a list, ``descriptor.name`` grype, a
    ``source`` mapping, and none of Trivy's keys."""
    if not isinstance(report, dict) or type(report.get("matches")) is not list:
        return False
    descriptor = report.get("descriptor")
    return isinstance(descriptor, dict) and descriptor.get("name") == "grype" and \
        isinstance(report.get("source"), dict) and \
        not any(key in report for key in TRIVY_KEYS)


def looks_like_trivy(report):
    return isinstance(report, dict) and any(key in report for key in TRIVY_KEYS)


def looks_like_grype(report):
    return isinstance(report, dict) and any(key in report for key in ("matches", "descriptor"))


def check_grype_report(report):
    """Refuse a document that is not grype's JSON report, naming what is wrong with it."""
    if not isinstance(report, dict):
        raise InputError(f"not a grype JSON report: it is a {_type_name(report)}")
    if looks_like_trivy(report):
        raise InputError("not a grype JSON report: it carries Trivy's keys ("
                         + ", ".join(k for k in TRIVY_KEYS if k in report) + ")")
    if "matches" not in report:
        raise InputError("not a grype JSON report: no 'matches' list")
    if type(report["matches"]) is not list:
        raise _wrong("matches", "a list", report["matches"])
    descriptor = _mapping(report.get("descriptor"), "descriptor", required=True)
    if descriptor.get("name") != "grype":
        raise InputError(f"not a grype JSON report: descriptor.name is "
                         f"{one_line(repr(descriptor.get('name')))[:60]}, not 'grype'")
    _mapping(report.get("source"), "source", required=True)


def detect_format(report, wanted="auto"):
    """``trivy`` or ``grype`` for a loaded report; ``wanted`` other than auto is checked.

    Recognised positively: a document that looks like both scanners' reports, or like
    neither, is refused with what it looked like.
    """
    if wanted not in ("auto", *REPORT_FORMATS):
        raise ValueError(f"report_format={wanted!r}; accepted: auto, {', '.join(REPORT_FORMATS)}")
    trivy_like, grype_like = looks_like_trivy(report), looks_like_grype(report)
    if trivy_like and grype_like:
        raise InputError("the report looks like both a Trivy report ("
                         + ", ".join(k for k in TRIVY_KEYS if k in report)
                         + ") and a grype report (matches/descriptor); refused")
    if wanted == "grype" or (wanted == "auto" and grype_like):
        if wanted == "grype" and not grype_like:
            raise InputError("report_format='grype' but the report has no 'matches' list: it "
                             "looks like a trivy report" if trivy_like else
                             f"report_format='grype' but the report has no 'matches' list: "
                             f"{describe_document(report)}")
        check_grype_report(report)
        return "grype"
    if wanted == "trivy" and grype_like:
        raise InputError("report_format='trivy' but the report has a 'matches' list: it looks "
                         "like a grype report")
    if not trivy_like:
        raise InputError(f"not a Trivy or grype report: {describe_document(report)}")
    check_trivy_report(report)
    return "trivy"


def grype_artifact(report):
    """The scanned thing: image reference as the user gave it, directory or file path."""
    source = report.get("source") or {}
    target = source.get("target")
    if isinstance(target, dict):
        for key in ("userInput", "path", "imageID"):
            if isinstance(target.get(key), str) and target[key]:
                return target[key]
        return ""
    return target if isinstance(target, str) else ""


def _severity(word, path):
    sev = GRYPE_SEVERITIES.get(word.strip().lower() or "unknown")
    if sev is None:
        raise InputError(f"{path}.severity {one_line(word)[:60]!r} is not a grype severity "
                         "(Critical, High, Medium, Low, Negligible, Unknown); refused")
    return sev


def _status(state, versions):
    state = state.strip().lower()
    if state in FIX_STATE_STATUS:
        return FIX_STATE_STATUS[state]
    return "fixed" if versions else ""


def _finding(match, path, artifact_name):
    if type(match) is not dict:
        raise _wrong(path, "a mapping", match)
    vpath, apath = f"{path}.vulnerability", f"{path}.artifact"
    vuln = _mapping(match.get("vulnerability"), vpath)
    pkg = _mapping(match.get("artifact"), apath)
    fix = _mapping(vuln.get("fix"), f"{vpath}.fix")
    versions = []
    for at, version in enumerate(_items(fix.get("versions"), f"{vpath}.fix.versions")):
        if type(version) is not str:
            raise _wrong(f"{vpath}.fix.versions[{at}]", "text", version)
        versions.append(version)
    locations = []
    for at, loc in enumerate(_items(pkg.get("locations"), f"{apath}.locations")):
        where = _text(_mapping(loc, f"{apath}.locations[{at}]", required=True), "path",
                      f"{apath}.locations[{at}]")
        if where:
            locations.append(where)
    urls = []
    for at, url in enumerate(_items(vuln.get("urls"), f"{vpath}.urls")):
        if type(url) is not str:
            raise _wrong(f"{vpath}.urls[{at}]", "text", url)
        urls.append(url)
    ptype = _text(pkg, "type", apath)
    word = _text(vuln, "severity", vpath)
    state = _text(fix, "state", f"{vpath}.fix")
    finding = {
        "kind": "vulnerability",
        "id": _text(vuln, "id", vpath),
        "package": _text(pkg, "name", apath),
        "installed": _text(pkg, "version", apath),
        "fixed": ", ".join(versions),
        "status": _status(state, versions),
        "severity": _severity(word, vpath),
        "target": locations[0] if locations else artifact_name,
        "class": "os-pkgs" if ptype in OS_PACKAGE_TYPES else "lang-pkgs",
        "type": ptype,
        "url": _text(vuln, "dataSource", vpath) or (urls[0] if urls else ""),
        "title": _text(vuln, "description", vpath),
        "scanner_severity": word or "Unknown",
        "fix_state": state,
    }
    if locations:
        finding["pkg_path"] = locations[0]
    purl = _text(pkg, "purl", apath)
    if purl:
        finding["purl"] = purl
    aliases = []
    for at, related in enumerate(_items(match.get("relatedVulnerabilities"),
                                        f"{path}.relatedVulnerabilities")):
        ident = _text(_mapping(related, f"{path}.relatedVulnerabilities[{at}]", required=True),
                      "id", f"{path}.relatedVulnerabilities[{at}]")
        if ident and ident != finding["id"]:
            aliases.append(ident)
    if aliases:
        finding["aliases"] = aliases
    return finding


def iter_grype_findings(report):
    """Yield one normalised finding per grype match (see the module docstring); every field
    read is type-checked here, a wrong type refused naming its path (``matches[2]...``)."""
    check_grype_report(report)
    artifact = grype_artifact(report)
    for at, match in enumerate(report["matches"]):
        yield _finding(match, f"matches[{at}]", artifact)
