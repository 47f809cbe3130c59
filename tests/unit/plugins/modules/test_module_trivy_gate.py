# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""trivy_gate run in-process (patch_module_args) on grype and Trivy reports with the build
gate's options: report_format, policies, vex, sarif_path."""
from __future__ import annotations

import json

import pytest
from ansible_collections.bulwark.container_security.plugins.modules import (
    trivy_gate as gate_module,
)
from build_gate_support import SEED_POLICY
from conftest import run_module


def run(args, capsys):
    return run_module(gate_module, args, capsys)


@pytest.fixture
def seed_file(tmp_path):
    path = tmp_path / "seed.rego"
    path.write_text(SEED_POLICY)
    return str(path)


def test_grype_report_with_seed_policy_writes_sarif_and_junit(shared_fixtures, seed_file, tmp_path,
                                                              capsys):
    sarif, junit = tmp_path / "gate.sarif", tmp_path / "gate.xml"
    out = run({"path": str(shared_fixtures / "grype/TestJsonImgsPresenter.json"),
               "severity": "CRITICAL", "budgets": {"CRITICAL": 1}, "policies": [seed_file],
               "sarif_path": str(sarif), "junit_path": str(junit)}, capsys)
    assert out["failed"] is True and out["report_format"] == "grype"
    assert out["blocking"] == [] and out["policy_denials"] == [
        "Critical vulnerability found in image. Deployment blocked."]
    assert "policy deny: Critical vulnerability" in out["msg"]
    assert json.loads(sarif.read_text())["runs"][0]["tool"]["driver"]["name"] == "grype"
    assert 'classname="policy"' in junit.read_text()


def test_vex_option_suppresses_with_justification(shared_fixtures, capsys):
    out = run({"path": str(shared_fixtures / "trivy/gomod.json"), "severity": "UNKNOWN",
               "vex": [str(shared_fixtures / "trivy/vex/openvex.json")],
               "fail_on_blocking": False}, capsys)
    # Stricter than before: gomod.json lists no Packages, so nothing shows that the statement's
    # product (the root module) is above opa on every path; the finding is not hidden.
    assert out["vex_suppressed"] == 0
    assert "CVE-2022-23628" in {f["id"] for f in out["blocking"]}


def test_rego_syntax_error_fails_the_task_naming_file_and_line(shared_fixtures, tmp_path, capsys):
    broken = tmp_path / "broken.rego"
    broken.write_text("package b\n\ndeny[msg] {\n  msg := \n}\n")
    out = run({"path": str(shared_fixtures / "trivy/alpine-39.json"), "policies": [str(broken)],
               "fail_on_blocking": False}, capsys)
    assert out["failed"] is True and f"{broken}:4:" in out["msg"]


def test_missing_policy_file_and_wrong_format_are_named(shared_fixtures, tmp_path, capsys):
    out = run({"path": str(shared_fixtures / "trivy/alpine-39.json"),
               "policies": [str(tmp_path / "nope.rego")]}, capsys)
    assert out["failed"] is True and f"policies: cannot read {tmp_path / 'nope.rego'}" in out["msg"]
    out = run({"path": str(shared_fixtures / "trivy/alpine-39.json"), "report_format": "grype"},
              capsys)
    assert out["failed"] is True and "looks like a trivy report" in out["msg"]


def test_summary_markdown_and_github_step_summary(shared_fixtures, tmp_path, monkeypatch, capsys):
    runner_temp = tmp_path / "_temp"
    (runner_temp / "_runner_file_commands").mkdir(parents=True)
    step = runner_temp / "_runner_file_commands" / "step_summary_1"
    step.write_text("earlier step\n")
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(step))
    monkeypatch.setenv("RUNNER_TEMP", str(runner_temp))
    report = tmp_path / "gate.md"
    args = {"path": str(shared_fixtures / "trivy/alpine-39.json"), "fail_on_blocking": False,
            "summary_markdown": str(report), "sarif_path": str(tmp_path / "gate.sarif"),
            "sarif_findings": "blocking"}
    out = run(args, capsys)
    assert out["changed"] is True and out["step_summary"] == str(step)
    assert report.read_text().startswith("### ❌ Build gate failed")
    assert step.read_text() == "earlier step\n" + report.read_text()
    assert {r["level"] for r in json.loads((tmp_path / "gate.sarif").read_text())["runs"][0][
        "results"]} == {"error"}
    out = run(args, capsys)                 # same content: unchanged, appended once more
    assert out["changed"] is False and step.read_text().count("Build gate failed") == 2
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", "/etc/passwd")
    out = run(args, capsys)
    assert out["failed"] is True and "not inside RUNNER_TEMP" in out["msg"]
    monkeypatch.delenv("GITHUB_ACTIONS")
    assert run(args, capsys)["step_summary"] == ""
