"""The Trivy gate (plugins/module_utils/trivy/gate.py) against Trivy's own golden reports.

The reports under fixtures/trivy/ are real `trivy` output recorded by Trivy's integration
tests; pairs of them are the same scan with and without a filter, so the gate must reproduce
Trivy's filtered output exactly.
"""
from __future__ import annotations

import copy
import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils import predicates
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    gate as trivy_gate,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    ignores as trivy_ignores,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    reports as trivy_reports,
)

TODAY = dt.date(2026, 11, 25)


def load(shared_fixtures, name):
    return json.loads((shared_fixtures / "trivy" / name).read_text())


def v2(**fields):
    """The smallest Trivy schema-v2 report the gate recognises, plus ``fields``."""
    return dict({"SchemaVersion": 2, "ArtifactName": "t", "ArtifactType": "container_image"},
                **fields)


def keyset(findings):
    return {(f["target"], f["id"], f["package"], f["installed"]) for f in findings}


def report_keyset(report):
    return {(r["Target"], v["VulnerabilityID"], v["PkgName"], v["InstalledVersion"])
            for r in report.get("Results") or [] for v in r.get("Vulnerabilities") or []}


def test_alpine_at_high_reproduces_trivys_severity_filter(shared_fixtures):
    full = load(shared_fixtures, "alpine-39.json")
    expected = report_keyset(load(shared_fixtures, "alpine-39-high-critical.json"))
    result = trivy_gate.gate(full, severity="HIGH", today=TODAY)
    assert keyset(result["blocking"]) == expected
    assert len(result["blocking"]) == len(expected) == 2
    assert result["passed"] is False
    assert result["counts"]["CRITICAL"] == 2 and result["counts"]["MEDIUM"] == 4
    # Trivy's explicit list form gives the same answer.
    assert keyset(trivy_gate.gate(full, severity="HIGH,CRITICAL",
                                  today=TODAY)["blocking"]) == expected


def test_centos_ignore_unfixed_reproduces_trivys_output(shared_fixtures):
    full = load(shared_fixtures, "centos-7.json")
    expected = report_keyset(load(shared_fixtures, "centos-7-ignore-unfixed.json"))
    result = trivy_gate.gate(full, severity="UNKNOWN", ignore_unfixed=True, today=TODAY)
    assert keyset(result["blocking"]) == expected
    assert [(f["id"], f["reason"]) for f in result["ignored"]] == [
        ("CVE-2019-18276", "unfixed (status will_not_fix)")]
    # Without the flag the will_not_fix finding is back.
    assert len(trivy_gate.gate(full, severity="UNKNOWN", today=TODAY)["blocking"]) == 3


@pytest.mark.parametrize("status", ["affected", "will_not_fix", "fix_deferred", "end_of_life"])
def test_every_unfixed_status_is_dropped(status):
    report = v2(Results=[{"Target": "t", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-1", "PkgName": "p", "Severity": "HIGH", "Status": status},
        {"VulnerabilityID": "CVE-2", "PkgName": "p", "Severity": "HIGH", "Status": "fixed",
         "FixedVersion": "2"}]}])
    result = trivy_gate.gate(report, ignore_unfixed=True, today=TODAY)
    assert [f["id"] for f in result["blocking"]] == ["CVE-2"]


def test_status_missing_falls_back_to_fixed_version():
    report = v2(Results=[{"Target": "t", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-NOFIX", "Severity": "HIGH"},
        {"VulnerabilityID": "CVE-FIX", "Severity": "HIGH", "FixedVersion": "1.2"}]}])
    result = trivy_gate.gate(report, ignore_unfixed=True, today=TODAY)
    assert [f["id"] for f in result["blocking"]] == ["CVE-FIX"]
    assert result["ignored"][0]["reason"] == "unfixed (status unknown)"


@pytest.mark.parametrize("name", ["npm.json", "secrets.json", "alpine-39.json", "centos-7.json"])
def test_other_report_kinds_load(shared_fixtures, name):
    result = trivy_gate.gate(load(shared_fixtures, name), severity="LOW", today=TODAY)
    assert result["total"] == sum(result["counts"].values()) > 0
    assert result["artifact"]


def test_secrets_block_by_severity(shared_fixtures):
    result = trivy_gate.gate(load(shared_fixtures, "secrets.json"), severity="CRITICAL",
                             today=TODAY)
    assert [(f["kind"], f["id"]) for f in result["blocking"]] == [
        ("secret", "aws-access-key-id")]


def test_every_field_is_optional():
    # every field below the report's recognised header (fail closed: {} itself is refused)
    for report in (v2(), v2(Results=None), v2(Results=[{}]),
                   v2(Results=[{"Vulnerabilities": [{}]}])):
        result = trivy_gate.gate(report, severity="UNKNOWN", today=TODAY)
        assert result["total"] == len(result["blocking"])
    with pytest.raises(ValueError, match="no SchemaVersion"):
        trivy_gate.gate({}, severity="UNKNOWN", today=TODAY)
    # a finding without Severity is UNKNOWN, as in Trivy
    only = trivy_gate.gate(v2(Results=[{"Vulnerabilities": [{}]}]), severity="UNKNOWN")
    assert only["blocking"][0]["severity"] == "UNKNOWN"


def test_schema_v1_and_bad_severity_rejected():
    with pytest.raises(ValueError, match="schema v1"):
        trivy_gate.gate([{"Target": "x"}])
    with pytest.raises(ValueError, match="SchemaVersion=1"):
        trivy_gate.gate({"SchemaVersion": 1})
    with pytest.raises(ValueError, match="severity='SEVERE'"):
        trivy_gate.gate(v2(), severity="SEVERE")


def _ignore(expired_at, **extra):
    return [dict({"id": "CVE-2019-14697", "statement": "musl not reachable from the app",
                  "expired_at": expired_at}, **extra)]


def test_ignore_hides_finding_until_it_expires(shared_fixtures):
    report = load(shared_fixtures, "alpine-39.json")
    tomorrow = (TODAY + dt.timedelta(days=1)).isoformat()
    result = trivy_gate.gate(report, ignores=_ignore(tomorrow), today=TODAY)
    assert result["passed"] is True
    assert {f["package"] for f in result["ignored"]} == {"musl", "musl-utils"}
    assert all("musl not reachable" in f["reason"] for f in result["ignored"])
    assert result["warnings"] == []


def test_ignore_expired_yesterday_blocks_again_with_warning(shared_fixtures):
    report = load(shared_fixtures, "alpine-39.json")
    yesterday = (TODAY - dt.timedelta(days=1)).isoformat()
    result = trivy_gate.gate(report, ignores=_ignore(yesterday), today=TODAY)
    assert result["passed"] is False
    assert {f["package"] for f in result["blocking"]} == {"musl", "musl-utils"}
    assert result["ignored"] == []
    assert any("CVE-2019-14697 expired on " + yesterday in w for w in result["warnings"])
    assert "warning:" in result["summary"]


def test_ignore_paths_and_purls_narrow_the_match(shared_fixtures):
    npm = load(shared_fixtures, "npm.json")
    base = {"id": "CVE-2019-11358", "statement": "s", "expired_at": "2027-06-01"}
    hit = trivy_gate.gate(npm, severity="LOW", ignores=[dict(base, paths=["**/*-lock.json"])],
                          today=TODAY)
    miss = trivy_gate.gate(npm, severity="LOW", ignores=[dict(base, paths=["bar/package.json"])],
                           today=TODAY)
    assert hit["passed"] and not miss["passed"]
    purl_hit = trivy_gate.gate(npm, severity="LOW", ignores=[dict(base, purls=["pkg:npm/jquery"])],
                               today=TODAY)
    purl_miss = trivy_gate.gate(npm, severity="LOW", today=TODAY,
                                ignores=[dict(base, purls=["pkg:npm/jquery@9.9.9"])])
    assert purl_hit["passed"] and not purl_miss["passed"]


@pytest.mark.parametrize(("entry", "message"), [
    ({"id": "CVE-1", "expired_at": "2099-01-01"},
     r"ignores\[0\] \(CVE-1\): 'statement' is required"),
    ({"id": "CVE-1", "statement": " ", "expired_at": "2099-01-01"}, "'statement' is required"),
    ({"id": "CVE-1", "statement": "why"}, "'expired_at' is required"),
    ({"statement": "why", "expired_at": "2099-01-01"}, "'id' is required"),
    ({"id": "CVE-1", "statement": "why", "expired_at": "soon"}, "is not a date"),
    ({"id": "CVE-1", "statement": "why", "expired_at": "2099-01-01", "pathz": []},
     "unknown key"),
])
def test_incomplete_ignore_entries_are_rejected(entry, message):
    with pytest.raises(ValueError, match=message):
        trivy_ignores.load_ignore_policy([entry])


def test_upstream_example_ignore_file_is_rejected_for_missing_statements(shared_fixtures):
    """Trivy's own example .trivyignore.yaml has no statements: our policy refuses it."""
    import yaml
    data = yaml.safe_load((shared_fixtures / "trivy" / "example.trivyignore.yaml").read_text())
    with pytest.raises(ValueError, match=r"ignores vulnerabilities\[0\] \(CVE-2019-0001\): "
                                         r"'statement' is required") as exc:
        trivy_ignores.load_ignore_policy(data)
    assert "ignores licenses[0] (GPL-3.0): 'statement' is required" in str(exc.value)


def test_policy_round_trips_to_trivyignore_yaml():
    entries = trivy_ignores.load_ignore_policy({"vulnerabilities": _ignore(dt.date(2027, 1, 31),
                                                                           paths=["app/**"])})
    assert entries[0]["expired_at"] == dt.date(2027, 1, 31)
    assert trivy_ignores.to_trivyignore(entries) == {"vulnerabilities": [{
        "id": "CVE-2019-14697", "statement": "musl not reachable from the app",
        "expired_at": "2027-01-31", "paths": ["app/**"]}]}


def test_budget_allows_up_to_three_medium(shared_fixtures):
    report = load(shared_fixtures, "alpine-39.json")  # 4 MEDIUM, 2 CRITICAL
    assert trivy_gate.gate(report, severity="MEDIUM", budgets={"MEDIUM": 4,
                                                               "CRITICAL": 2})["passed"]
    over = trivy_gate.gate(report, severity="CRITICAL", budgets={"MEDIUM": 3})
    assert over["budgets"]["MEDIUM"] == {"limit": 3, "found": 4, "exceeded": True}
    assert over["blocking_counts"]["MEDIUM"] == 4
    three = copy.deepcopy(report)
    three["Results"][0]["Vulnerabilities"] = [
        v for v in three["Results"][0]["Vulnerabilities"]
        if not (v["PkgName"] == "libssl1.1" and v["VulnerabilityID"] == "CVE-2019-1551")]
    within = trivy_gate.gate(three, severity="MEDIUM", budgets={"MEDIUM": 3}, today=TODAY)
    assert within["budgets"]["MEDIUM"]["exceeded"] is False
    assert len(within["tolerated"]) == 3
    assert {f["severity"] for f in within["blocking"]} == {"CRITICAL"}
    with pytest.raises(ValueError, match="MEDIUM=-1"):
        trivy_gate.gate(report, budgets={"MEDIUM": -1})


def test_junit_has_one_testcase_per_blocking_finding(shared_fixtures):
    result = trivy_gate.gate(load(shared_fixtures, "alpine-39.json"), severity="MEDIUM",
                             today=TODAY)
    root = ET.fromstring(trivy_reports.to_junit(result))
    cases = root.findall("./testsuite/testcase")
    assert len(cases) == len(result["blocking"]) == 6
    assert all(c.find("failure") is not None for c in cases)
    assert root.get("failures") == "6"
    assert {c.find("failure").get("type") for c in cases} == {"MEDIUM", "CRITICAL"}


def test_junit_of_a_passing_gate_has_one_passing_case(shared_fixtures):
    result = trivy_gate.gate(load(shared_fixtures, "npm.json"), severity="HIGH", today=TODAY)
    root = ET.fromstring(trivy_reports.to_junit([result, result]))
    assert len(root.findall("./testsuite")) == 2
    assert root.get("failures") == "0"
    assert all(c.find("failure") is None for c in root.iter("testcase"))


def test_summary_fits_one_screen(shared_fixtures):
    report = load(shared_fixtures, "alpine-39.json")
    vulns = report["Results"][0]["Vulnerabilities"]
    report["Results"][0]["Vulnerabilities"] = vulns * 50
    result = trivy_gate.gate(report, severity="LOW", today=TODAY)
    lines = result["summary"].splitlines()
    assert len(lines) <= 25
    assert lines[0].startswith("trivy gate FAILED for testdata/fixtures/images/alpine-39")
    assert "and 280 more blocking" in result["summary"]


def test_vuln_predicate_shape(shared_fixtures):
    report = load(shared_fixtures, "alpine-39.json")
    result = trivy_gate.gate(report, severity="HIGH", ignore_unfixed=True, today=TODAY)
    pred = trivy_reports.to_vuln_predicate(report, result, invocation={"uri": "https://ci/run/1"})
    assert predicates.VULN_PREDICATE_TYPE == "https://cosign.sigstore.dev/attestation/vuln/v1"
    assert set(pred) == {"invocation", "scanner", "metadata"}
    assert set(pred["invocation"]) == {"parameters", "uri", "event_id", "builder.id"}
    assert pred["invocation"]["parameters"] == ["--severity=HIGH,CRITICAL", "--ignore-unfixed"]
    assert set(pred["scanner"]) == {"uri", "version", "db", "result"}
    assert pred["scanner"]["uri"] == "pkg:github/aquasecurity/trivy@dev"
    assert pred["scanner"]["result"] is report
    assert pred["metadata"]["scanFinishedOn"] == report["CreatedAt"]
    json.dumps(pred)


def test_filters_wrap_the_gate(shared_fixtures):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.bulwark.container_security.plugins.filter.trivy import FilterModule

    filters = FilterModule().filters()
    text = (shared_fixtures / "trivy" / "alpine-39.json").read_text()
    result = filters["trivy_gate"](text, "CRITICAL", today="2026-11-25")
    assert [f["package"] for f in result["blocking"]] == ["musl", "musl-utils"]
    assert ET.fromstring(filters["trivy_junit"]([result])).get("failures") == "2"
    assert filters["trivy_vuln_predicate"](text, result)["scanner"]["version"] == "dev"
    with pytest.raises(AnsibleFilterError, match="severity='BAD'"):
        filters["trivy_gate"]({}, "BAD")


def test_vuln_predicate_times_are_never_empty():
    pred = trivy_reports.to_vuln_predicate({"SchemaVersion": 2})
    started = pred["metadata"]["scanStartedOn"]
    assert dt.datetime.strptime(started, "%Y-%m-%dT%H:%M:%SZ")
    assert pred["metadata"]["scanFinishedOn"] == started
