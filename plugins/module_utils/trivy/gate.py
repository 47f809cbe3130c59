# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Gate a Trivy JSON report: severity threshold, ignore-unfixed, ignores with expiry, budgets.

Input is a Trivy report of schema version 2 (``trivy ... --format json``). Trivy omits empty
fields, so every key is optional here: a report without ``Results``, a result without
``Vulnerabilities`` or a finding without ``Severity``/``Status``/``FixedVersion`` is valid.

Semantics follow Trivy's own filter (``pkg/result/filter.go``, ``pkg/flag/vulnerability_flags.go``,
``pkg/result/ignore.go``):

* severity: a finding without ``Severity`` is ``UNKNOWN``.
* ignore-unfixed is Trivy's shorthand for "ignore every status except ``fixed``"; the statuses
  Trivy actually emits for unfixed findings are affected, will_not_fix, fix_deferred and
  end_of_life. A finding written without ``Status`` (older Trivy, other producers) is treated
  as fixed when it names a ``FixedVersion`` and as unfixed otherwise, which is how Trivy's
  detector assigns the status in the first place.
* ignore entries: the one ignore model of ignores.py (also what the trivy role writes): match
  by id, then by path glob against the result target or the package path, then by purl. An
  entry applies until its ``expired_at`` day begins in UTC, as in Trivy, and the gate says so
  in a warning once it has expired. License entries are accepted and carried, but the gate has
  no license findings to apply them to.
"""
# The type checks compare exact types on purpose: bool is an int subclass and must not pass
# as a count or a version. pylint: disable=unidiomatic-typecheck
from __future__ import annotations

import datetime as _dt

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.ignores import (
    MAX_EXPIRY_DAYS,
    check_expiry_bound,
    entry_matches,
    expiry_warnings,
    is_expired,
    load_ignore_policy,
    parse_day,
    today_utc,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.reports import (
    summarize,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    SEVERITIES,
    blocking_set,
    check_budgets,
)

# Every status of trivy-db's types.Statuses except "fixed": what --ignore-unfixed ignores.
UNFIXED_STATUSES = frozenset((
    "unknown", "not_affected", "affected", "under_investigation", "will_not_fix",
    "fix_deferred", "end_of_life",
))

_SEVERITY_OF = {name: name for name in SEVERITIES}


def _vuln_finding(vuln, where, at, target, rclass, rtype):
    """One vulnerability; ``where``/``at`` name it (formatted only for a refusal)."""
    if type(vuln) is not dict:
        raise _wrong(f"{where}[{at}]", "a mapping", vuln)
    # The fields one by one, not a loop: this runs 50,000 times for a large report.
    get = vuln.get
    ident, pkg, installed = get("VulnerabilityID"), get("PkgName"), get("InstalledVersion")
    fixed, status, sev = get("FixedVersion"), get("Status"), get("Severity")
    url, title, pkg_path = get("PrimaryURL"), get("Title"), get("PkgPath")
    if not ((ident is None or type(ident) is str) and (pkg is None or type(pkg) is str)
            and (installed is None or type(installed) is str)
            and (fixed is None or type(fixed) is str) and (status is None or type(status) is str)
            and (sev is None or type(sev) is str) and (url is None or type(url) is str)
            and (title is None or type(title) is str)
            and (pkg_path is None or type(pkg_path) is str)):
        _text(vuln, _VULN_TEXT, f"{where}[{at}]")    # raises, naming the field
    severity = _SEVERITY_OF.get(sev) or _severity_word(sev, f"{where}[{at}]")
    finding = {
        "kind": "vulnerability", "id": ident or "", "package": pkg or "",
        "installed": installed or "", "fixed": fixed or "", "status": status or "",
        "severity": severity, "target": target, "class": rclass, "type": rtype,
        "url": url or "", "title": title or "",
    }
    # Only where present (ignore entries match on them): keeps 50,000-finding results lean.
    if pkg_path:
        finding["pkg_path"] = pkg_path
    ident = get("PkgIdentifier")
    if ident is not None:
        if type(ident) is not dict:
            raise _wrong(f"{where}[{at}].PkgIdentifier", "a mapping", ident)
        purl = ident.get("PURL")
        if purl is not None and type(purl) is not str:
            raise _wrong(f"{where}[{at}].PkgIdentifier.PURL", "text", purl)
        if purl:
            finding["purl"] = purl
    return finding


def _secret_finding(item, where, at, target, rclass, rtype):
    path = f"{where}[{at}]"
    if type(item) is not dict:
        raise _wrong(path, "a mapping", item)
    ident, status, sev, title = _text(item, _SECRET_TEXT, path)
    line = item.get("StartLine")
    if line is not None and type(line) is not int:
        raise _wrong(f"{path}.StartLine", "an integer", line)
    return {
        "kind": "secret", "id": ident, "package": "", "installed": f"line {line}" if line else "",
        "fixed": "", "status": status, "severity": _severity_word(sev, path), "target": target,
        "class": rclass, "type": rtype, "url": "", "title": title,
    }


def _misconf_finding(item, where, at, target, rclass, rtype):
    path = f"{where}[{at}]"
    if type(item) is not dict:
        raise _wrong(path, "a mapping", item)
    ident, avdid, url, status, sev, title = _text(item, _MISCONF_TEXT, path)
    severity = _severity_word(sev, path)
    if (status or "FAIL") != "FAIL":
        return None
    finding = {
        "kind": "misconfiguration", "id": ident or avdid, "package": "", "installed": "",
        "fixed": "", "status": status, "severity": severity, "target": target,
        "class": rclass, "type": rtype, "url": url, "title": title,
    }
    if avdid and avdid != finding["id"]:
        finding["aliases"] = [avdid]
    return finding


# --------------------------------------------------------------------------- recognition

# Trivy's types.Report and types.Result (pkg/types/report.go): the keys the gate reads.
REPORT_KEYS = ("SchemaVersion", "CreatedAt", "ReportID", "ArtifactID", "ArtifactName",
               "ArtifactType", "Metadata", "Results", "Trivy")
RESULT_KEYS = ("Target", "Class", "Type", "Packages", "Vulnerabilities", "MisconfSummary",
               "Misconfigurations", "Secrets", "Licenses", "CustomResources")
_VULN_TEXT = ("VulnerabilityID", "PkgName", "InstalledVersion", "FixedVersion", "Status",
              "Severity", "PrimaryURL", "Title", "PkgPath")
_SECRET_TEXT = ("RuleID", "Status", "Severity", "Title")
_MISCONF_TEXT = ("ID", "AVDID", "PrimaryURL", "Status", "Severity", "Title")


def _type_name(value):
    return "null" if value is None else "bool" if isinstance(value, bool) else \
        type(value).__name__


def _wrong(path, wanted, value):
    return InputError(f"{path} must be {wanted}, got {_type_name(value)}")


def _check_case(doc, known, where):
    """Refuse a key that differs from one of Trivy's only in case (``vulnerabilities``):
    Trivy never writes it, and reading past it would hide every finding under it."""
    lower = {k.lower(): k for k in known}
    for key in doc:
        if key not in known and isinstance(key, str) and key.lower() in lower:
            raise InputError(f"{where}{key!r} is not a Trivy key (Trivy writes "
                             f"{lower[key.lower()]!r}); refused")


def _text(item, keys, path):
    """The text fields ``keys`` of ``item`` (absent or null: ""); a wrong type is refused."""
    out = []
    get = item.get
    for key in keys:
        value = get(key)
        if value is None:
            out.append("")
        elif type(value) is str:
            out.append(value)
        else:
            raise _wrong(f"{path}.{key}", "text", value)
    return out


def _list(value, path):
    if value is None:
        return ()
    if type(value) is not list:
        raise _wrong(path, "a list", value)
    return value


def _severity_word(value, path):
    if not value:
        return "UNKNOWN"
    sev = _SEVERITY_OF.get(value) or _SEVERITY_OF.get(value.strip().upper())
    if sev is None:
        raise InputError(f"{path}.Severity {one_line(value)[:60]!r} is not one of "
                         f"{', '.join(SEVERITIES)}; refused")
    return sev


def check_trivy_report(report):
    """Refuse anything but a Trivy schema-v2 JSON report, naming what it looks like.

    A Trivy report here has ``SchemaVersion`` 2 (an integer), ``ArtifactName`` and
    ``ArtifactType`` as text and ``Results`` absent or a list (pkg/types/report.go).
    """
    if isinstance(report, list):
        raise InputError("report is a JSON list: that is Trivy's schema v1 (before 0.20); "
                         "rescan with a current Trivy to get schema v2")
    if not isinstance(report, dict):
        raise InputError(f"report must be a mapping (Trivy JSON), got {_type_name(report)}")
    schema = report.get("SchemaVersion")
    if "SchemaVersion" not in report:
        raise InputError(f"not a Trivy report: no SchemaVersion; {describe_document(report)}")
    if type(schema) is not int or schema != 2:
        raise InputError(f"report SchemaVersion={one_line(repr(schema))[:40]}; only schema "
                         "version 2 (an integer) is supported")
    for key in ("ArtifactName", "ArtifactType"):
        if key not in report:
            raise InputError(f"not a Trivy schema-v2 report: {key} is missing")
        if type(report[key]) is not str:
            raise _wrong(key, "text", report[key])
    _check_case(report, REPORT_KEYS, "report key ")
    _list(report.get("Results"), "Results")


def describe_document(doc):
    """What a document that is not a scanner report looks like, for a refusal."""
    if isinstance(doc, list):
        return "it is a JSON list"
    if not isinstance(doc, dict):
        return f"it is a {_type_name(doc)}"
    if "runs" in doc and ("$schema" in doc or "version" in doc):
        return "it looks like a SARIF log"
    if doc.get("bomFormat") == "CycloneDX" or "specVersion" in doc and "bomFormat" in doc:
        return "it looks like a CycloneDX BOM"
    if "spdxVersion" in doc:
        return "it looks like an SPDX document"
    if "statements" in doc and "@context" in doc:
        return "it looks like an OpenVEX document"
    if "matches" in doc or "descriptor" in doc:
        return "it looks like a grype report"
    keys = sorted(str(k) for k in doc)[:10]
    return f"unknown document with keys [{one_line(', '.join(keys))[:200]}]"


def iter_findings(report):
    """Yield one flat finding dict per vulnerability, secret and failed misconfiguration.

    The report is recognised first (:func:`check_trivy_report`) and every field the gate reads
    is type-checked here, in the one pass that normalises it: a wrong type is an InputError
    naming its path (``Results[3].Vulnerabilities[0].PkgName must be text, got int``).
    """
    check_trivy_report(report)
    for r_at, result in enumerate(_list(report.get("Results"), "Results")):
        where = f"Results[{r_at}]"
        if type(result) is not dict:
            raise _wrong(where, "a mapping", result)
        _check_case(result, RESULT_KEYS, f"{where}: key ")
        target, rclass, rtype = _text(result, ("Target", "Class", "Type"), where)
        section = f"{where}.Vulnerabilities"
        for at, vuln in enumerate(_list(result.get("Vulnerabilities"), section)):
            yield _vuln_finding(vuln, section, at, target, rclass, rtype)
        section = f"{where}.Secrets"
        for at, secret in enumerate(_list(result.get("Secrets"), section)):
            yield _secret_finding(secret, section, at, target, rclass, rtype)
        section = f"{where}.Misconfigurations"
        for at, mis in enumerate(_list(result.get("Misconfigurations"), section)):
            finding = _misconf_finding(mis, section, at, target, rclass, rtype)
            if finding is not None:
                yield finding


# --------------------------------------------------------------------------- the gate

def _is_unfixed(finding):
    status = finding["status"]
    if status:
        return status != "fixed"
    return not finding["fixed"]


def gate(report, severity="HIGH", ignore_unfixed=False, ignores=None,  # noqa: PLR0917
         budgets=None, today=None, findings=None, max_expiry_days=MAX_EXPIRY_DAYS):
    """Gate one Trivy report and return a result dict (see module docstring for the rules).

    ``severity``: minimum blocking severity (``HIGH`` = HIGH and CRITICAL) or an explicit
    comma list / list as Trivy's ``--severity`` takes. ``ignores``: ignore policy as accepted
    by :func:`load_ignore_policy`. ``budgets``: ``{"MEDIUM": 3}`` tolerates up to 3 MEDIUM
    findings (at any threshold) and blocks all of them beyond that. ``today``: date used for
    expiry (default: today's UTC date). ``findings``: normalised findings to gate instead of
    the Trivy report's (scan/build_gate.py feeds grype reports and VEX-filtered ones here).
    ``max_expiry_days``: an ignore entry expiring further out than this from ``today`` is
    refused (a year-9999 expiry is a permanent ignore).

    Result keys: passed, artifact, severity, blocking_severities, counts (every finding in the
    report by severity), blocking_counts, blocking, ignored (each with a ``reason``),
    tolerated (within a budget), budgets (per severity: limit, found, exceeded), warnings,
    total, summary.
    """
    selected = blocking_set(severity)
    limits = check_budgets(budgets)
    policy = load_ignore_policy(ignores)
    if today is None:
        today = today_utc()
    elif not isinstance(today, _dt.date) or isinstance(today, _dt.datetime):
        today = parse_day(str(today)[:10], "today")

    check_expiry_bound(policy, today, max_expiry_days)
    warnings = expiry_warnings(policy, today)
    active = {}
    for entry in policy:
        expired = is_expired(entry, today)
        active.setdefault((entry["kind"], entry["id"]), []).append(
            dict(entry, expired=True) if expired else entry)

    counts = dict.fromkeys(SEVERITIES, 0)
    ignored, candidates = [], []
    expired_hits = {}
    total = 0
    for finding in iter_findings(report) if findings is None else findings:
        total += 1
        sev = finding["severity"]
        counts[sev] += 1
        if ignore_unfixed and finding["kind"] == "vulnerability" and _is_unfixed(finding):
            finding["reason"] = f"unfixed (status {finding['status'] or 'unknown'})"
            ignored.append(finding)
            continue
        entries = active.get((finding["kind"], finding["id"]))
        if entries is None and finding.get("aliases"):
            for alias in finding["aliases"]:
                entries = active.get((finding["kind"], alias))
                if entries:
                    break
        if entries:
            hit = next((e for e in entries if entry_matches(e, finding)), None)
            if hit is not None and not hit.get("expired"):
                finding["reason"] = (f"ignored until {hit['expired_at'].isoformat()}: "
                                     f"{hit['statement']}")
                finding["ignore"] = {"statement": hit["statement"],
                                     "expired_at": hit["expired_at"].isoformat()}
                ignored.append(finding)
                continue
            if hit is not None:
                expired_hits[hit["id"]] = expired_hits.get(hit["id"], 0) + 1
        if sev in selected or sev in limits:
            candidates.append(finding)

    by_sev = {}
    for finding in candidates:
        by_sev.setdefault(finding["severity"], []).append(finding)
    blocking, tolerated, budget_report = [], [], {}
    for sev in reversed(SEVERITIES):
        found = by_sev.get(sev, [])
        if sev in limits:
            exceeded = len(found) > limits[sev]
            budget_report[sev] = {"limit": limits[sev], "found": len(found),
                                  "exceeded": exceeded}
            (blocking if exceeded else tolerated).extend(found)
        else:
            blocking.extend(found)

    blocking_counts = dict.fromkeys(SEVERITIES, 0)
    for finding in blocking:
        blocking_counts[finding["severity"]] += 1
    for ident, hits in sorted(expired_hits.items()):
        warnings.append(f"{hits} finding(s) of {ident} were not hidden: its ignore expired")

    result = {
        "passed": not blocking,
        "artifact": report.get("ArtifactName") or "",
        "artifact_type": report.get("ArtifactType") or "",
        "severity": severity if isinstance(severity, str) else ",".join(severity),
        "blocking_severities": [s for s in SEVERITIES if s in selected],
        "ignore_unfixed": bool(ignore_unfixed),
        "total": total,
        "counts": counts,
        "blocking_counts": blocking_counts,
        "blocking": blocking,
        "ignored": ignored,
        "tolerated": tolerated,
        "budgets": budget_report,
        "warnings": warnings,
    }
    result["summary"] = summarize(result)
    return result
