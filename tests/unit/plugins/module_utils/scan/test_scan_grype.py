# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""grype's recorded JSON output (anchore/grype presenter goldens) through the same gate rules."""
from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import grype
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.reports import (
    to_junit,
)
from build_gate_support import TODAY, load


def ids(findings):
    return sorted((f["id"], f["package"], f["installed"]) for f in findings)


@pytest.mark.parametrize("name", ["grype/TestJsonImgsPresenter.json",
                                  "grype/TestJsonDirsPresenter.json"])
def test_severity_threshold_on_grype_reports(shared_fixtures, name):
    report = load(shared_fixtures, name)
    high = gate_report(report, severity="HIGH", today=TODAY)
    assert high["report_format"] == "grype"
    assert ids(high["blocking"]) == [("CVE-1999-0002", "package-2", "2.2.2")]
    assert high["passed"] is False and high["total"] == 2
    assert high["counts"] == {"UNKNOWN": 0, "LOW": 1, "MEDIUM": 0, "HIGH": 0, "CRITICAL": 1}
    low = gate_report(report, severity="LOW", today=TODAY)
    assert ids(low["blocking"]) == [("CVE-1999-0001", "package-1", "1.1.1"),
                                    ("CVE-1999-0002", "package-2", "2.2.2")]
    # The explicit list form works as for Trivy.
    assert ids(gate_report(report, severity="LOW,MEDIUM", today=TODAY)["blocking"]) == [
        ("CVE-1999-0001", "package-1", "1.1.1")]


def test_image_artifact_target_and_purl(shared_fixtures):
    result = gate_report(load(shared_fixtures, "grype/TestJsonImgsPresenter.json"), severity="LOW",
                         today=TODAY)
    assert result["artifact"] == "user-input" and result["artifact_type"] == "image"
    crit = next(f for f in result["blocking"] if f["id"] == "CVE-1999-0002")
    assert crit["target"] == "/foo/bar/somefile-2.txt" and crit["purl"] == "pkg:deb/package-2@2.2.2"
    assert crit["class"] == "os-pkgs" and crit["scanner_severity"] == "Critical"


def test_ignore_unfixed_reads_fix_state(shared_fixtures):
    report = load(shared_fixtures, "grype/TestJsonImgsPresenter.json")
    # CVE-1999-0001: state fixed (kept); CVE-1999-0002: empty state and no versions (unfixed).
    result = gate_report(report, severity="LOW", ignore_unfixed=True, today=TODAY)
    assert ids(result["blocking"]) == [("CVE-1999-0001", "package-1", "1.1.1")]
    assert [(f["id"], f["reason"]) for f in result["ignored"]] == [
        ("CVE-1999-0002", "unfixed (status unknown)")]


@pytest.mark.parametrize("state,unfixed", [("fixed", False), ("not-fixed", True),
                                           ("wont-fix", True), ("unknown", True),
                                           ("", False)])
def test_every_fix_state(shared_fixtures, state, unfixed):
    report = load(shared_fixtures, "grype/TestJsonImgsPresenter.json")
    match = report["matches"][0]  # CVE-1999-0001 names fix versions
    match["vulnerability"]["fix"]["state"] = state
    result = gate_report(dict(report, matches=[match]), severity="LOW", ignore_unfixed=True,
                         today=TODAY)
    assert bool(result["ignored"]) is unfixed
    where = "ignored" if unfixed else "blocking"
    assert grype.FIX_STATE_STATUS.get(state, "fixed") == result[where][0]["status"]


@pytest.mark.parametrize("word,rank", [("Negligible", "UNKNOWN"), ("Unknown", "UNKNOWN"),
                                       ("Low", "LOW"), ("Medium", "MEDIUM"), ("High", "HIGH"),
                                       ("Critical", "CRITICAL"), ("", "UNKNOWN")])
def test_severity_mapping_puts_negligible_below_low(shared_fixtures, word, rank):
    report = load(shared_fixtures, "grype/TestJsonImgsPresenter.json")
    report["matches"][0]["vulnerability"]["severity"] = word
    finding = next(grype.iter_grype_findings(report))
    assert finding["severity"] == rank
    at_low = gate_report(dict(report, matches=report["matches"][:1]), severity="LOW", today=TODAY)
    assert bool(at_low["blocking"]) is (rank != "UNKNOWN")


def test_ignores_with_statement_and_expiry_and_aliases(shared_fixtures):
    report = load(shared_fixtures, "grype/TestJsonImgsPresenter.json")
    report["matches"][1]["relatedVulnerabilities"] = [{"id": "GHSA-xxxx-yyyy-zzzz"}]
    entry = {"id": "GHSA-xxxx-yyyy-zzzz", "statement": "not reachable",
             "expired_at": "2026-12-31", "paths": ["/foo/bar/*"]}
    hidden = gate_report(report, severity="HIGH", ignores=[entry], today=TODAY)
    assert hidden["passed"] is True
    assert hidden["ignored"][0]["reason"] == "ignored until 2026-12-31: not reachable"
    expired = gate_report(report, severity="HIGH", ignores=[dict(entry, expired_at="2026-11-25")],
                          today=TODAY)
    assert expired["passed"] is False
    assert any("expired on 2026-11-25" in w for w in expired["warnings"])
    with pytest.raises(ValueError, match="'statement' is required"):
        gate_report(report, ignores=[{"id": "CVE-1999-0002", "expired_at": "2026-12-31"}])


def test_budgets_junit_and_summary(shared_fixtures):
    report = load(shared_fixtures, "grype/TestJsonImgsPresenter.json")
    within = gate_report(report, severity="CRITICAL", budgets={"CRITICAL": 1}, today=TODAY)
    assert within["passed"] is True and ids(within["tolerated"]) == [
        ("CVE-1999-0002", "package-2", "2.2.2")]
    over = gate_report(report, severity="CRITICAL", budgets={"CRITICAL": 0}, today=TODAY)
    assert over["passed"] is False and over["budgets"]["CRITICAL"]["exceeded"] is True
    assert over["summary"].splitlines()[0].startswith("trivy gate FAILED for user-input")
    suite = ET.fromstring(to_junit(over)).find("testsuite")
    assert suite.get("failures") == "1"
    assert suite.find("testcase").get("name") == "CVE-1999-0002 package-2 2.2.2"


def test_empty_grype_report_passes(shared_fixtures):
    result = gate_report(load(shared_fixtures, "grype/TestEmptyJsonPresenter.json"),
                         severity="UNKNOWN")
    assert result["passed"] is True and result["total"] == 0 and result["report_format"] == "grype"


def test_format_detection_and_mismatch(shared_fixtures):
    trivy, grype_report = (load(shared_fixtures, "trivy/alpine-39.json"),
                           load(shared_fixtures, "grype/TestJsonImgsPresenter.json"))
    assert grype.detect_format(trivy) == "trivy"
    empty = load(shared_fixtures, "grype/TestEmptyJsonPresenter.json")
    assert grype.detect_format(empty) == "grype"
    with pytest.raises(ValueError, match="report_format='grype' but the report has no 'matches'"):
        gate_report(trivy, report_format="grype")
    with pytest.raises(ValueError, match="looks like a grype report"):
        gate_report(grype_report, report_format="trivy")
    with pytest.raises(ValueError, match="accepted: auto, trivy, grype"):
        gate_report({}, report_format="snyk")
