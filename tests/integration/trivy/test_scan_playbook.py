"""playbooks/scan.yml run for real with ansible-playbook on Trivy's recorded reports.

The reports are upstream's real trivy output (fixtures/trivy/, golden files of Trivy's
integration tests). Trivy itself cannot be installed here, so the image path of the
playbook is exercised only up to the point where trivy_scan names the missing binary.
"""
from __future__ import annotations

import datetime as dt
import json
import xml.etree.ElementTree as ET

import pytest
from conftest import run_playbook

TODAY = dt.date(2026, 11, 25)


def play(tmp_path, **extra):
    extra.setdefault("scan_junit_path", str(tmp_path / "junit.xml"))
    extra.setdefault("scan_today", TODAY.isoformat())
    varsfile = tmp_path / "vars.json"
    varsfile.write_text(json.dumps(extra))
    return run_playbook(["playbooks/scan.yml", "-e", f"@{varsfile}"], timeout=300)


@pytest.fixture
def reports(shared_fixtures):
    return {name: str(shared_fixtures / "trivy" / f"{name}.json")
            for name in ("alpine-39", "centos-7", "npm", "secrets")}


def test_blocking_report_fails_the_play_with_summary_and_junit(tmp_path, reports):
    proc = play(tmp_path, scan_reports=[reports["alpine-39"], reports["npm"]])
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "trivy gate FAILED for testdata/fixtures/images/alpine-39.tar.gz" in out
    assert "CRITICAL CVE-2019-14697 musl 1.1.20-r4 -> 1.1.20-r5" in out
    assert "trivy gate FAILED for testdata/fixtures/repo/npm" not in out
    root = ET.parse(tmp_path / "junit.xml").getroot()
    suites = root.findall("testsuite")
    assert len(suites) == 2
    failing = [c for c in root.iter("testcase") if c.find("failure") is not None]
    assert sorted(c.get("name") for c in failing) == [
        "CVE-2019-14697 musl 1.1.20-r4", "CVE-2019-14697 musl-utils 1.1.20-r4"]


def test_passing_reports_pass_the_play(tmp_path, reports):
    proc = play(tmp_path, scan_reports=[reports["npm"], reports["centos-7"]],
                scan_severity="CRITICAL", scan_predicate_dir=str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert "trivy gate PASSED for testdata/fixtures/repo/npm" in proc.stdout
    assert ET.parse(tmp_path / "junit.xml").getroot().get("failures") == "0"
    predicate = json.loads((tmp_path / "npm.vuln.json").read_text())
    assert predicate["scanner"]["result"]["ArtifactName"] == "testdata/fixtures/repo/npm"
    assert predicate["invocation"]["parameters"] == ["--severity=CRITICAL"]
    assert (tmp_path / "centos-7.vuln.json").exists()


def test_ignore_with_future_expiry_passes_expired_one_blocks(tmp_path, reports):
    entry = {"id": "CVE-2019-14697", "statement": "musl is not reachable from the app"}
    future = play(tmp_path, scan_reports=[reports["alpine-39"]],
                  scan_ignores=[dict(entry, expired_at=str(TODAY + dt.timedelta(days=30)))])
    assert future.returncode == 0, future.stdout[-3000:]
    expired = play(tmp_path, scan_reports=[reports["alpine-39"]],
                   scan_ignores=[dict(entry, expired_at=str(TODAY - dt.timedelta(days=1)))])
    assert expired.returncode != 0
    out = expired.stdout + expired.stderr
    assert "expired on 2026-11-24" in out
    assert "CVE-2019-14697" in out


def test_ignore_without_statement_is_rejected(tmp_path, reports):
    proc = play(tmp_path, scan_reports=[reports["alpine-39"]],
                scan_ignores=[{"id": "CVE-2019-14697", "expired_at": "2099-01-01"}])
    assert proc.returncode != 0
    assert "ignores[0] (CVE-2019-14697): 'statement' is required" in proc.stdout


def test_budget_and_ignore_unfixed_through_the_playbook(tmp_path, reports):
    over = play(tmp_path, scan_reports=[reports["alpine-39"]], scan_severity="CRITICAL",
                scan_budgets={"MEDIUM": 3, "CRITICAL": 2})
    assert over.returncode != 0 and "budget MEDIUM: 4 found, 3 allowed (EXCEEDED)" in over.stdout
    centos = play(tmp_path, scan_reports=[reports["centos-7"]], scan_severity="LOW",
                  scan_ignore_unfixed=True, scan_budgets={"LOW": 1, "MEDIUM": 1})
    assert centos.returncode == 0, centos.stdout[-3000:]


def test_check_mode_gates_but_writes_no_junit(tmp_path, reports):
    proc = run_playbook(["playbooks/scan.yml", "--check", "-e", json.dumps({
        "scan_reports": [reports["npm"]], "scan_junit_path": str(tmp_path / "junit.xml")})],
        timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not (tmp_path / "junit.xml").exists()


def test_image_scan_names_missing_trivy(tmp_path):
    absent = str(tmp_path / "no-trivy-here" / "trivy")  # missing whether or not trivy is on PATH
    proc = play(tmp_path, scan_images=["127.0.0.1:15000/none:latest"], scan_trivy_path=absent)
    assert proc.returncode != 0
    assert "trivy is not installed on this host" in proc.stdout


def test_nothing_to_gate_is_refused(tmp_path):
    proc = play(tmp_path)
    assert proc.returncode != 0
    assert "Give scan_images" in proc.stdout
