# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The CVE table of a node: the rescan's per-image reports (Trivy's own output) read through
trivy.gate's parser, each blocking finding with its package, versions and a fix first."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.posture import (
    checks,
    node,
)

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures"
ALPINE = FIXTURES / "trivy" / "alpine-39.json"
NOW = "2026-11-27T12:00:00+00:00"
TIMER = {"load": "loaded", "active": "active", "enabled": "enabled"}


def test_critical_findings_of_a_real_trivy_report(node_dir):
    facts = node.collect(node_dir(trivy_report=ALPINE))
    image = facts["build"]["rescan"]["images"][0]
    assert image["findings_error"] is None and image["findings_total"] == 2
    assert [(f["id"], f["package"], f["installed"], f["fixed"], f["severity"])
            for f in image["findings"]] == [
        ("CVE-2019-14697", "musl", "1.1.20-r4", "1.1.20-r5", "CRITICAL"),
        ("CVE-2019-14697", "musl-utils", "1.1.20-r4", "1.1.20-r5", "CRITICAL")]
    table = checks.vulnerabilities(facts)
    assert [v["blocking"] for v in table] == [True, True]
    assert table[0]["remedy"].startswith("upgrade musl to 1.1.20-r5 in docker.io/library/nginx")
    assert "trivy_ignore_entries" not in table[0]["remedy"]
    found = {c["id"]: c for c in checks.build_checks(facts["build"])}
    fix = found["build.image_vulnerabilities"]["fix"]
    assert fix.index("rebuild the image") < fix.index("trivy_ignore_entries")


def test_without_a_fixed_version_the_ignore_comes_last():
    remedy = checks.remedy({"package": "glibc", "fixed": ""}, "app:1")
    assert remedy.startswith("no fixed version of glibc yet: rebuild app:1")
    assert remedy.endswith("if you accept the risk")


@pytest.mark.parametrize("name, message", [
    ("../x.json", "is not a file of the run"),
    ("/etc/passwd", "is not a file of the run"),
    ("..", "is not a file of the run"),
    (None, "is not a file of the run"),
    ("absent.json", "cannot read Trivy report"),
])
def test_a_report_name_outside_the_run_is_refused(tmp_path, name, message):
    findings, total, error = node.image_findings(str(tmp_path), name)
    assert (findings, total) == ([], 0) and message in error


def test_a_report_that_is_not_trivy_json_is_named(tmp_path):
    shutil.copy(FIXTURES / "trivy" / "alpine-310.sarif", tmp_path / "x.json")
    _findings, _total, error = node.image_findings(str(tmp_path), "x.json")
    assert "SARIF" in error


def test_unreadable_details_are_said_in_the_reason(tmp_path, node_dir):
    params = node_dir(trivy_report=ALPINE)
    report = Path(params["rescan"]["reports_dir"]) / "latest" / "x.json"
    report.write_text(json.dumps({"SchemaVersion": 2, "ArtifactName": "x",
                                  "ArtifactType": "container_image",
                                  "Results": [{"Target": "t", "Vulnerabilities": [
                                      {"VulnerabilityID": 7, "Severity": "CRITICAL"}]}]}))
    rescan = node.rescan_facts(params["rescan"]["reports_dir"], NOW, TIMER)
    assert "VulnerabilityID" in rescan["images"][0]["findings_error"]
    found = {c["id"]: c for c in checks.build_checks(dict(rescan=dict(rescan, schedule="daily")))}
    assert found["build.image_vulnerabilities"]["status"] == "fail"
    assert "CVE details unreadable" in found["build.image_vulnerabilities"]["reason"]
