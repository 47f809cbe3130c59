# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""playbooks/scan.yml with the build gate's variables, run for real with ansible-playbook on
recorded Trivy and grype reports (upstream goldens in tests/fixtures)."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import jsonschema
from conftest import run_playbook

SEED_POLICY = """package misujob.security

deny[msg] {
  input.results[_].vulnerability.severity == "Critical"
  msg := "Critical vulnerability found in image. Deployment blocked."
}
"""


def play(tmp_path, **extra):
    extra.setdefault("scan_junit_path", str(tmp_path / "gate.junit.xml"))
    extra.setdefault("scan_today", "2026-11-25")
    varsfile = tmp_path / "vars.json"
    varsfile.write_text(json.dumps(extra))
    return run_playbook(["playbooks/scan.yml", "-e", f"@{varsfile}"], timeout=300)


def test_seed_policy_blocks_grype_and_trivy_reports_and_sarif_is_valid(shared_fixtures, tmp_path):
    policy = tmp_path / "seed.rego"
    policy.write_text(SEED_POLICY)
    proc = play(tmp_path, scan_severity="CRITICAL", scan_budgets={"CRITICAL": 5},
                scan_policies=[str(policy)], scan_sarif_path=str(tmp_path / "gate.sarif"),
                scan_reports=[str(shared_fixtures / "grype/TestJsonImgsPresenter.json"),
                              str(shared_fixtures / "trivy/gomod.json")])
    out = proc.stdout + proc.stderr
    assert proc.returncode != 0
    assert "trivy gate FAILED for user-input" in out
    assert "policy deny: Critical vulnerability found in image. Deployment blocked." in out
    log = json.loads((tmp_path / "gate.sarif").read_text())
    schema = json.loads((shared_fixtures / "sarif/sarif-schema-2.1.0.json").read_text())
    jsonschema.validate(log, schema, cls=jsonschema.Draft7Validator)
    assert [r["tool"]["driver"]["name"] for r in log["runs"]] == ["grype", "Trivy"]
    root = ET.parse(tmp_path / "gate.junit.xml").getroot()
    assert [c.get("name") for c in root.iter("testcase") if c.get("classname") == "policy"] == [
        "Critical vulnerability found in image. Deployment blocked."]


def test_vex_and_format_pass_the_gomod_report(shared_fixtures, tmp_path):
    proc = play(tmp_path, scan_severity="CRITICAL", scan_report_format="trivy",
                scan_vex=[str(shared_fixtures / "trivy/vex/openvex.json")],
                scan_reports=[str(shared_fixtures / "trivy/gomod.json")])
    assert proc.returncode == 0, proc.stdout[-3000:]
    # scan_sarif_path defaults to the JUnit path with .sarif: gate.junit.xml -> gate.sarif.
    log = json.loads((tmp_path / "gate.sarif").read_text())
    (note,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "CVE-2022-23628"]
    assert note["level"] == "note"
    assert "vulnerable_code_not_in_execute_path" in note["suppressions"][0]["justification"]
