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
from __future__ import annotations

import datetime as _dt

from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.ignores import (
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


def _severity(value):
    sev = _SEVERITY_OF.get(value)
    if sev is None:
        sev = _SEVERITY_OF.get(str(value or "").upper(), "UNKNOWN")
    return sev


def _vuln_finding(vuln, target, rclass, rtype):
    get = vuln.get
    finding = {
        "kind": "vulnerability",
        "id": get("VulnerabilityID") or "",
        "package": get("PkgName") or "",
        "installed": get("InstalledVersion") or "",
        "fixed": get("FixedVersion") or "",
        "status": get("Status") or "",
        "severity": _severity(get("Severity")),
        "target": target,
        "class": rclass,
        "type": rtype,
        "url": get("PrimaryURL") or "",
        "title": get("Title") or "",
    }
    # Only where present (ignore entries match on them): keeps 50,000-finding results lean.
    if get("PkgPath"):
        finding["pkg_path"] = vuln["PkgPath"]
    ident = get("PkgIdentifier")
    if isinstance(ident, dict) and ident.get("PURL"):
        finding["purl"] = ident["PURL"]
    return finding


def _other_finding(kind, item, target, rclass, rtype):
    if kind == "secret":
        ident, url = item.get("RuleID") or "", ""
        line = item.get("StartLine")
        installed = f"line {line}" if line else ""
    else:
        ident, url, installed = item.get("ID") or item.get("AVDID") or "", \
            item.get("PrimaryURL") or "", ""
    finding = {
        "kind": kind, "id": ident, "package": "", "installed": installed, "fixed": "",
        "status": item.get("Status") or "", "severity": _severity(item.get("Severity")),
        "target": target, "class": rclass, "type": rtype, "url": url,
        "title": item.get("Title") or "",
    }
    if item.get("AVDID") and item["AVDID"] != ident:
        finding["aliases"] = [item["AVDID"]]
    return finding


def iter_findings(report):
    """Yield one flat finding dict per vulnerability, secret and failed misconfiguration."""
    if isinstance(report, list):
        raise ValueError("report is a JSON list: that is Trivy's schema v1 (before 0.20); "
                         "rescan with a current Trivy to get schema v2")
    if not isinstance(report, dict):
        raise ValueError(f"report must be a mapping (Trivy JSON), got {type(report).__name__}")
    schema = report.get("SchemaVersion", 2)
    if schema != 2:
        raise ValueError(f"report SchemaVersion={schema!r}; only schema version 2 is supported")
    results = report.get("Results") or []
    if not isinstance(results, list):
        raise ValueError("report Results must be a list")
    for result in results:
        if not isinstance(result, dict):
            continue
        target = result.get("Target") or ""
        rclass = result.get("Class") or ""
        rtype = result.get("Type") or ""
        for vuln in result.get("Vulnerabilities") or ():
            yield _vuln_finding(vuln, target, rclass, rtype)
        for secret in result.get("Secrets") or ():
            yield _other_finding("secret", secret, target, rclass, rtype)
        for mis in result.get("Misconfigurations") or ():
            if (mis.get("Status") or "FAIL") == "FAIL":
                yield _other_finding("misconfiguration", mis, target, rclass, rtype)


# --------------------------------------------------------------------------- the gate

def _is_unfixed(finding):
    status = finding["status"]
    if status:
        return status != "fixed"
    return not finding["fixed"]


def gate(report, severity="HIGH", ignore_unfixed=False, ignores=None,  # noqa: PLR0917
         budgets=None, today=None):
    """Gate one Trivy report and return a result dict (see module docstring for the rules).

    ``severity``: minimum blocking severity (``HIGH`` = HIGH and CRITICAL) or an explicit
    comma list / list as Trivy's ``--severity`` takes. ``ignores``: ignore policy as accepted
    by :func:`load_ignore_policy`. ``budgets``: ``{"MEDIUM": 3}`` tolerates up to 3 MEDIUM
    findings (at any threshold) and blocks all of them beyond that. ``today``: date used for
    expiry (default: today's UTC date).

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
    for finding in iter_findings(report):
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
