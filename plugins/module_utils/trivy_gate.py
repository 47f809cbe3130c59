"""Gate a Trivy JSON report: severity threshold, ignore-unfixed, ignores with expiry, budgets.

Pure Python, no Ansible imports and no imports of other module_utils files, so it is importable
both from the collection and standalone (benches, the Pulumi program).

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
* ignore entries (``.trivyignore.yaml`` shape: id, paths, purls, statement, expired_at) match
  by id, then by path glob against the result target or the package path, then by purl.
  An entry whose ``expired_at`` is today or earlier no longer applies (Trivy compares the date,
  read as midnight UTC, with "now"), and the gate says so in a warning.

The gate additionally demands a ``statement`` and an ``expired_at`` on every ignore entry:
an accepted risk must say why and until when.
"""
from __future__ import annotations

import datetime as _dt
import json
import re
import xml.etree.ElementTree as ET

SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
_RANK = {name: rank for rank, name in enumerate(SEVERITIES)}
# Every status of trivy-db's types.Statuses except "fixed": what --ignore-unfixed ignores.
UNFIXED_STATUSES = frozenset((
    "unknown", "not_affected", "affected", "under_investigation", "will_not_fix",
    "fix_deferred", "end_of_life",
))
IGNORE_SECTIONS = {"vulnerabilities": "vulnerability", "secrets": "secret",
                   "misconfigurations": "misconfiguration"}
_ENTRY_KEYS = frozenset(("id", "paths", "purls", "statement", "expired_at"))
PREDICATE_TYPE = "https://cosign.sigstore.dev/attestation/vuln/v1"
SUMMARY_LINES = 20


# --------------------------------------------------------------------------- ignore policy

def _entry_name(index, entry):
    ident = entry.get("id") if isinstance(entry, dict) else None
    return f"ignore entry #{index + 1}" + (f" ({ident})" if ident else "")


def _as_date(value, where):
    if isinstance(value, _dt.datetime):
        return value.date()
    if isinstance(value, _dt.date):
        return value
    if isinstance(value, str):
        text = value.strip()
        try:
            return _dt.date.fromisoformat(text[:10])
        except ValueError:
            pass
    raise ValueError(f"{where}: expired_at={value!r} is not a date; use YYYY-MM-DD")


def _str_list(value, key, where):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(
            isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: {key}={value!r} must be a list of non-empty strings")
    return list(value)


def _validate_entry(index, entry, kind):
    where = _entry_name(index, entry)
    if not isinstance(entry, dict):
        raise ValueError(f"{where}: {entry!r} must be a mapping with id, statement, expired_at")
    unknown = sorted(set(entry) - _ENTRY_KEYS - {"kind"})
    if unknown:
        raise ValueError(f"{where}: unknown key(s) {unknown}; accepted: {sorted(_ENTRY_KEYS)}")
    ident = entry.get("id")
    if not isinstance(ident, str) or not ident.strip():
        raise ValueError(f"{where}: 'id' is required (a CVE, GHSA, secret rule or check id)")
    statement = entry.get("statement")
    if not isinstance(statement, str) or not statement.strip():
        raise ValueError(f"{where}: 'statement' is required: say why this finding is accepted")
    if entry.get("expired_at") in (None, ""):
        raise ValueError(f"{where}: 'expired_at' is required (YYYY-MM-DD): an accepted risk "
                         "must be reviewed again")
    purls = _str_list(entry.get("purls"), "purls", where)
    for purl in purls:
        if not purl.startswith("pkg:"):
            raise ValueError(f"{where}: purl {purl!r} must start with 'pkg:'")
    return {
        "kind": entry.get("kind", kind),
        "id": ident.strip(),
        "statement": statement.strip(),
        "expired_at": _as_date(entry["expired_at"], where),
        "paths": _str_list(entry.get("paths"), "paths", where),
        "purls": purls,
    }


def load_ignore_policy(data):
    """Validate an ignore policy and return its entries as a list of dicts.

    ``data`` is either the ``.trivyignore.yaml`` mapping (``vulnerabilities``, ``secrets``,
    ``misconfigurations`` sections) or a plain list of vulnerability entries. Each entry needs
    ``id``, ``statement`` and ``expired_at``; ``paths`` and ``purls`` are optional. Returned
    entries carry ``kind`` and ``expired_at`` as a ``datetime.date``. Raises ``ValueError``
    naming the entry when one is incomplete or malformed.
    """
    if data is None:
        return []
    pairs = []
    if isinstance(data, dict):
        unknown = sorted(set(data) - set(IGNORE_SECTIONS) - {"licenses"})
        if unknown:
            raise ValueError(f"ignore policy: unknown section(s) {unknown}; accepted: "
                             f"{sorted(IGNORE_SECTIONS)}")
        if data.get("licenses"):
            raise ValueError("ignore policy: 'licenses' entries are not gated here; "
                             "keep them in Trivy's own ignore file")
        for section, kind in IGNORE_SECTIONS.items():
            items = data.get(section) or []
            if not isinstance(items, list):
                raise ValueError(f"ignore policy: '{section}' must be a list of entries")
            pairs.extend((item, kind) for item in items)
    elif isinstance(data, (list, tuple)):
        pairs = [(item, "vulnerability") for item in data]
    else:
        raise ValueError(f"ignore policy: {type(data).__name__} given; expected a list of "
                         "entries or a mapping with a 'vulnerabilities' list")
    return [_validate_entry(i, item, kind) for i, (item, kind) in enumerate(pairs)]


def to_trivyignore(entries):
    """Validated entries -> the ``.trivyignore.yaml`` mapping Trivy reads (dates as strings)."""
    out = {}
    for entry in load_ignore_policy(entries):
        section = next(s for s, k in IGNORE_SECTIONS.items() if k == entry["kind"])
        item = {"id": entry["id"], "statement": entry["statement"],
                "expired_at": entry["expired_at"].isoformat()}
        if entry["paths"]:
            item["paths"] = list(entry["paths"])
        if entry["purls"]:
            item["purls"] = list(entry["purls"])
        out.setdefault(section, []).append(item)
    return out


_GLOB_CACHE = {}


def _glob_regex(pattern):
    """doublestar glob (as Trivy uses) -> compiled regex: ** crosses '/', * and ? do not."""
    compiled = _GLOB_CACHE.get(pattern)
    if compiled is not None:
        return compiled
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                if body.startswith(("!", "^")):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif c == "{":
            end = pattern.find("}", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                alts = pattern[i + 1:end].split(",")
                out.append("(?:" + "|".join(re.escape(a) for a in alts) + ")")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    compiled = re.compile("".join(out) + r"\Z", re.DOTALL)
    _GLOB_CACHE[pattern] = compiled
    return compiled


def _parse_purl(text):
    """'pkg:type/ns/name@version?q=v#sub' -> (type, namespace, name, version, qualifiers)."""
    if not text or not text.startswith("pkg:"):
        return None
    rest = text[4:].split("#", 1)[0]
    rest, _, query = rest.partition("?")
    rest, _, version = rest.partition("@")
    parts = rest.strip("/").split("/")
    ptype = parts[0].lower()
    name = parts[-1] if len(parts) > 1 else ""
    namespace = "/".join(parts[1:-1])
    quals = dict(q.split("=", 1) for q in query.split("&") if "=" in q) if query else {}
    return ptype, namespace, name, version, quals


def _purl_matches(pattern, target):
    if target is None:
        return True
    p, t = _parse_purl(pattern), _parse_purl(target)
    if p is None or t is None:
        return False
    if p[:3] != t[:3]:
        return False
    if p[3] and p[3] != t[3]:
        return False
    return all(t[4].get(k) == v for k, v in p[4].items())


def _entry_matches(entry, finding):
    if entry["paths"]:
        candidates = [c for c in (finding["target"], finding.get("pkg_path")) if c]
        if not any(_glob_regex(p).match(c) for p in entry["paths"] for c in candidates):
            return False
    purl = finding.get("purl")
    if entry["purls"] and purl:
        return any(_purl_matches(p, purl) for p in entry["purls"])
    return True


# --------------------------------------------------------------------------- report parsing

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

def _blocking_set(severity):
    """'HIGH' = HIGH and above; 'HIGH,CRITICAL' or a list = exactly those (Trivy's style)."""
    if isinstance(severity, str) and "," not in severity:
        name = severity.strip().upper()
        if name not in _RANK:
            raise ValueError(f"severity={severity!r}; accepted: {', '.join(SEVERITIES)}")
        return frozenset(SEVERITIES[_RANK[name]:])
    names = severity.split(",") if isinstance(severity, str) else list(severity or ())
    picked = {str(n).strip().upper() for n in names if str(n).strip()}
    bad = sorted(picked - set(SEVERITIES))
    if bad or not picked:
        raise ValueError(f"severity={severity!r}; accepted: {', '.join(SEVERITIES)}")
    return frozenset(picked)


def _check_budgets(budgets):
    out = {}
    for name, value in (budgets or {}).items():
        sev = str(name).strip().upper()
        if sev not in _RANK:
            raise ValueError(f"budgets: unknown severity {name!r}; accepted: "
                             f"{', '.join(SEVERITIES)}")
        limit = -1
        if not isinstance(value, bool):
            try:
                limit = int(str(value).strip())
            except ValueError:
                limit = -1
        if limit < 0:
            raise ValueError(f"budgets: {sev}={value!r} must be an integer >= 0")
        out[sev] = limit
    return out


def _is_unfixed(finding):
    status = finding["status"]
    if status:
        return status != "fixed"
    return not finding["fixed"]


def gate(report, severity="HIGH", ignore_unfixed=False, ignores=None,  # noqa: PLR0917
         budgets=None, today=None, findings=None):
    """Gate one Trivy report and return a result dict (see module docstring for the rules).

    ``severity``: minimum blocking severity (``HIGH`` = HIGH and CRITICAL) or an explicit
    comma list / list as Trivy's ``--severity`` takes. ``ignores``: ignore policy as accepted
    by :func:`load_ignore_policy`. ``budgets``: ``{"MEDIUM": 3}`` tolerates up to 3 MEDIUM
    findings (at any threshold) and blocks all of them beyond that. ``today``: date used for
    expiry (default: today's UTC date). ``findings``: normalised findings to gate instead of
    the Trivy report's (scan/grype.py feeds grype reports through here).

    Result keys: passed, artifact, severity, blocking_severities, counts (every finding in the
    report by severity), blocking_counts, blocking, ignored (each with a ``reason``),
    tolerated (within a budget), budgets (per severity: limit, found, exceeded), warnings,
    total, summary.
    """
    selected = _blocking_set(severity)
    limits = _check_budgets(budgets)
    policy = load_ignore_policy(ignores)
    if today is None:
        today = _dt.datetime.now(_dt.timezone.utc).date()
    elif not isinstance(today, _dt.date) or isinstance(today, _dt.datetime):
        today = _as_date(today, "today")

    warnings = []
    active = {}
    for entry in policy:
        if entry["expired_at"] <= today:
            warnings.append(
                f"ignore {entry['id']} expired on {entry['expired_at'].isoformat()} "
                f"(statement: {entry['statement']}); its findings block again")
            active.setdefault((entry["kind"], entry["id"]), []).append(
                dict(entry, expired=True))
        else:
            active.setdefault((entry["kind"], entry["id"]), []).append(entry)

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
            hit = next((e for e in entries if _entry_matches(e, finding)), None)
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


# --------------------------------------------------------------------------- outputs

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
        denials = res.get("policy_denials") or []
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
        for msg in denials:  # Rego deny messages (scan/build_gate.py) fail like findings
            ET.SubElement(ET.SubElement(suite, "testcase", classname="policy", name=msg),
                          "failure", type="policy", message=msg)
        suite.set("tests", str(max(len(blocking) + len(denials), 1)))
        suite.set("failures", str(len(blocking) + len(denials)))
        total_tests += len(denials) - (1 if denials and not blocking else 0)
        total_failures += len(denials)
        if not blocking and not denials:
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


# --------------------------------------------------------------------------- running trivy

SCAN_KINDS = ("image", "fs", "rootfs", "sbom")
CACHE_BACKENDS = ("fs", "memory")


def scan_command(target, kind="image", *, trivy="trivy", output=None, input_archive=False,
                 server=None, token_header=None, cache_dir=None, cache_backend=None,
                 scanners=None, skip_db_update=False, offline_scan=False,
                 db_repositories=(), java_db_repositories=(), timeout=None, config=None,
                 insecure=False):
    """argv of one ``trivy <kind> --format json`` run whose report the gate reads.

    The report must hold every finding, so the command pins ``--severity`` to all of them and
    ``--exit-code 0`` whatever ``trivy.yaml`` says: failing is the gate's job. The server
    token is not an argument (it would show in ``ps``); pass it as ``TRIVY_TOKEN`` in the
    environment (see :func:`scan_environment`).
    """
    if kind not in SCAN_KINDS:
        raise ValueError(f"kind={kind!r}; accepted: {', '.join(SCAN_KINDS)}")
    if not target:
        raise ValueError("target is required (image reference, directory or SBOM file)")
    if input_archive and kind != "image":
        raise ValueError("input_archive applies to kind=image only (trivy image --input)")
    if cache_backend and cache_backend not in CACHE_BACKENDS and \
            not str(cache_backend).startswith(("redis://", "rediss://")):
        raise ValueError(f"cache_backend={cache_backend!r}; accepted: fs, memory, redis://…")
    if server and not str(server).startswith(("http://", "https://")):
        raise ValueError(f"server={server!r} must be a URL such as http://trivy.internal:4954")
    argv = [trivy, kind, "--format", "json", "--quiet", "--exit-code", "0",
            "--severity", ",".join(SEVERITIES)]
    if config:
        argv += ["--config", config]
    if cache_dir:
        argv += ["--cache-dir", cache_dir]
    if cache_backend:
        argv += ["--cache-backend", cache_backend]
    if scanners:
        argv += ["--scanners", ",".join(scanners)]
    if server:
        argv += ["--server", server]
        if token_header:
            argv += ["--token-header", token_header]
    if skip_db_update:
        argv.append("--skip-db-update")
    if offline_scan:
        argv.append("--offline-scan")
    for repo in db_repositories or ():
        argv += ["--db-repository", repo]
    for repo in java_db_repositories or ():
        argv += ["--java-db-repository", repo]
    if timeout:
        argv += ["--timeout", str(timeout)]
    if insecure:
        argv.append("--insecure")
    if output:
        argv += ["--output", output]
    if input_archive:
        argv += ["--input", target]
    else:
        argv.append(target)
    return argv


def scan_environment(token=None):
    """Environment additions for a scan: the server token travels as TRIVY_TOKEN."""
    return {"TRIVY_TOKEN": token} if token else {}


# --------------------------------------------------------------------------- module glue (pure)

# Options shared by the trivy_gate and trivy_scan modules (documented in the doc fragment
# bulwark.container_security.trivy_gate); plain data, so it lives beside the logic it feeds.
GATE_ARGUMENT_SPEC = {
    "severity": {"type": "str", "default": "HIGH"},
    "ignore_unfixed": {"type": "bool", "default": False},
    "ignores": {"type": "raw"},
    "ignore_file": {"type": "path"},
    "budgets": {"type": "dict"},
    "today": {"type": "str"},
    "junit_path": {"type": "path"},
    "predicate_path": {"type": "path"},
    "fail_on_blocking": {"type": "bool", "default": True},
}


def merge_ignores(inline, from_file=None):
    """Ignore policy from a parsed .trivyignore.yaml mapping plus inline entries (either shape)."""
    if not from_file:
        return inline
    if not isinstance(from_file, dict):
        raise ValueError("ignore_file: expected a mapping with a 'vulnerabilities' list")
    merged = {k: list(v or []) for k, v in from_file.items()}
    if isinstance(inline, dict):
        for section, items in inline.items():
            merged[section] = merged.get(section, []) + list(items or [])
    elif inline:
        merged["vulnerabilities"] = merged.get("vulnerabilities", []) + list(inline)
    return merged


def gate_task(report, params, ignore_file_data=None):
    """Gate with module params; return (result, {output path: content}) for the module to write."""
    result = gate(report, severity=params.get("severity", "HIGH"),
                  ignore_unfixed=params.get("ignore_unfixed", False),
                  ignores=merge_ignores(params.get("ignores"), ignore_file_data),
                  budgets=params.get("budgets"), today=params.get("today"))
    return result, task_outputs(result, params, to_vuln_predicate(report, result))


def task_outputs(result, params, predicate):
    """{output path: content} of the JUnit and predicate files the module params ask for."""
    outputs = {}
    if params.get("junit_path"):
        outputs[params["junit_path"]] = to_junit(result)
    if params.get("predicate_path"):
        outputs[params["predicate_path"]] = json.dumps(predicate, indent=2, sort_keys=True) + "\n"
    return outputs
