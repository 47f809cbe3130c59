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


def test_vex_about_the_package_passes_the_gomod_report(shared_fixtures, tmp_path):
    # gomod.json has no Packages (no dependency graph): a statement naming the package itself
    # applies; upstream's openvex.json (the package as a subcomponent of another product)
    # cannot be proven against the report and must not hide the MEDIUM finding.
    upstream = str(shared_fixtures / "trivy/vex/openvex.json")
    report = str(shared_fixtures / "trivy/gomod.json")
    kept = play(tmp_path, scan_severity="MEDIUM", scan_report_format="trivy",
                scan_vex=[upstream], scan_reports=[report])
    assert kept.returncode != 0, kept.stdout[-3000:]
    assert "CVE-2022-23628" in kept.stdout
    doc = json.loads((shared_fixtures / "trivy/vex/openvex.json").read_text())
    opa = "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"
    doc["statements"][0]["products"] = [{"@id": opa}]
    own = tmp_path / "own.openvex.json"
    own.write_text(json.dumps(doc))
    proc = play(tmp_path, scan_severity="MEDIUM", scan_report_format="trivy",
                scan_vex=[str(own)], scan_reports=[report])
    assert proc.returncode == 0, proc.stdout[-3000:]
    # scan_sarif_path defaults to the JUnit path with .sarif: gate.junit.xml -> gate.sarif.
    log = json.loads((tmp_path / "gate.sarif").read_text())
    # MEDIUM and hidden by VEX: level warning (by severity), suppressed with its justification
    (hidden,) = [r for r in log["runs"][0]["results"] if r["ruleId"] == "CVE-2022-23628"]
    assert hidden["level"] == "warning" and hidden["suppressions"][0]["kind"] == "external"
    # the VEX statement's text as justification, its justification code among the properties
    assert hidden["suppressions"][0]["justification"] == "The vulnerable code isn't called"
    assert hidden["suppressions"][0]["properties"]["vex"]["justification"] == \
        "vulnerable_code_not_in_execute_path"
