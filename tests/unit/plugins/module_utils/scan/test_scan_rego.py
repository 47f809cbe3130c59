# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Rego policies evaluated by the real rego-cpp interpreter (regopy) over gated reports."""
from __future__ import annotations

import copy
import re

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import (
    rego,
    rego_input,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)
from build_gate_support import SEED_POLICY, TODAY, load

SEED_MESSAGE = "Critical vulnerability found in image. Deployment blocked."
# One policy for both scanners: it reads the normalised findings, in Rego v1 syntax.
SHARED_POLICY = """package bulwark.build
import rego.v1

deny contains msg if {
  some f in input.findings
  f.severity == "CRITICAL"
  f.state != "ignored"
  msg := sprintf("%s in %s %s", [f.id, f.package, f.installed])
}

warn contains msg if {
  some f in input.findings
  f.state == "ignored"
  msg := sprintf("accepted %s: %s", [f.id, f.reason])
}
"""


def without_critical(report):
    report = copy.deepcopy(report)
    for result in report["Results"]:
        result["Vulnerabilities"] = [v for v in result.get("Vulnerabilities") or []
                                     if v.get("Severity") != "CRITICAL"]
    return report


def seed():
    return rego.RegoPolicies({"policies/seed.rego": SEED_POLICY})


def test_seed_policy_blocks_critical_trivy_report_and_passes_one_without(shared_fixtures):
    report = load(shared_fixtures, "trivy/alpine-39.json")
    blocked = gate_report(report, severity="CRITICAL", budgets={"CRITICAL": 5},
                          policies=seed(), today=TODAY)
    # The gate alone tolerates the two CRITICAL findings (budget); the policy still blocks.
    assert blocked["blocking"] == [] and blocked["policy_denials"] == [SEED_MESSAGE]
    assert blocked["passed"] is False
    assert f"policy deny: {SEED_MESSAGE}" in blocked["summary"]
    clean = gate_report(without_critical(report), severity="CRITICAL", policies=seed(),
                        today=TODAY)
    assert clean["passed"] is True and clean["policy_denials"] == []


def test_seed_policy_on_grype_report(shared_fixtures):
    report = load(shared_fixtures, "grype/TestJsonImgsPresenter.json")
    blocked = gate_report(report, severity="CRITICAL", budgets={"CRITICAL": 1},
                          policies=seed(), today=TODAY)
    assert blocked["policy_denials"] == [SEED_MESSAGE] and blocked["passed"] is False
    # An accepted risk is out of input.results, so the seed's policy respects it.
    accepted = gate_report(report, severity="CRITICAL", policies=seed(), today=TODAY,
                           ignores=[{"id": "CVE-1999-0002", "statement": "sandboxed",
                                     "expired_at": "2026-12-31"}])
    assert accepted["passed"] is True and accepted["policy_denials"] == []


def test_one_policy_serves_trivy_and_grype(shared_fixtures):
    policies = rego.RegoPolicies({"shared.rego": SHARED_POLICY})
    trivy = gate_report(load(shared_fixtures, "trivy/alpine-39.json"), severity="HIGH",
                        policies=policies, today=TODAY,
                        ignores=[{"id": "CVE-2019-14697", "statement": "not used",
                                  "expired_at": "2026-12-31",
                                  "purls": ["pkg:apk/alpine/musl-utils"]}])
    assert trivy["policy_denials"] == ["CVE-2019-14697 in musl 1.1.20-r4"]
    assert trivy["policy_warnings"] == [
        "accepted CVE-2019-14697: ignored until 2026-12-31: not used"]
    assert "policy warn: accepted CVE-2019-14697: ignored until 2026-12-31: not used" in \
        trivy["warnings"]
    grype = gate_report(load(shared_fixtures, "grype/TestJsonImgsPresenter.json"), severity="HIGH",
                        policies=policies, today=TODAY)
    assert grype["policy_denials"] == ["CVE-1999-0002 in package-2 2.2.2"]
    assert grype["policy_warnings"] == []


def test_policy_reads_the_raw_report(shared_fixtures):
    policy = """package raw
deny[msg] {
  v := input.report.Results[_].Vulnerabilities[_]
  v.PkgName == "musl"
  msg := sprintf("musl: %s", [v.VulnerabilityID])
}
"""
    result = gate_report(load(shared_fixtures, "trivy/alpine-39.json"), severity="CRITICAL",
                         today=TODAY, policies=rego.RegoPolicies({"raw.rego": policy}))
    assert result["policy_denials"] == ["musl: CVE-2019-14697"]


def test_several_files_and_packages(shared_fixtures, tmp_path):
    extra = "package team.extra\n\nwarn[msg] {\n  count(input.results) > 3\n" \
            "  msg := sprintf(\"%d vulnerabilities\", [count(input.results)])\n}\n"
    policies = rego.RegoPolicies({"seed.rego": SEED_POLICY, "extra.rego": extra})
    assert policies.packages == ["misujob.security", "team.extra"]
    result = gate_report(load(shared_fixtures, "trivy/alpine-39.json"), severity="CRITICAL",
                         policies=policies, today=TODAY)
    assert result["policy_denials"] == [SEED_MESSAGE]
    assert result["policy_warnings"] == ["6 vulnerabilities"]


@pytest.mark.parametrize("text,line", [
    ("package broken\n\ndeny[msg] {\n  msg := \n}\n", 4),                       # add_module
    ("package broken\n\n\ndeny[msg] {\n  msg := \"x\"\n", 4),                   # unclosed
])
def test_syntax_error_names_file_and_line_and_prints_nothing(text, line, capfd):
    with pytest.raises(rego.PolicyError) as err:
        rego.RegoPolicies({"policies/broken.rego": text})
    assert f"policies/broken.rego:{line}:" in str(err.value)
    assert str(err.value).startswith("Rego syntax error") or "Rego error" in str(err.value)
    # rego-cpp would print its diagnostics on stdout, which is a module's JSON channel.
    assert capfd.readouterr().out == ""


def test_package_without_deny_or_warn_is_refused():
    with pytest.raises(rego.PolicyError, match="defines neither a 'deny' nor a 'warn' rule"):
        rego.RegoPolicies({"typo.rego": "package x\n\nviolation[msg] { msg := \"x\" }\n"})
    with pytest.raises(rego.PolicyError, match="no 'package' declaration"):
        rego.RegoPolicies({"nopkg.rego": "deny[msg] { msg := \"x\" }\n"})


def test_evaluation_error_fails_closed(shared_fixtures):
    policy = "package boom\n\ndeny[msg] {\n  x := count(input.results) / 0\n" \
             "  msg := sprintf(\"%v\", [x])\n}\n"
    policies = rego.RegoPolicies({"boom.rego": policy})
    with pytest.raises(rego.PolicyError, match="Rego evaluation of data.boom.deny failed"):
        gate_report(load(shared_fixtures, "trivy/alpine-39.json"), policies=policies, today=TODAY)


def test_input_holds_whole_sections_the_policies_name(shared_fixtures):
    # Stricter than before (issue 22): the input was pruned to the keys a policy names at every
    # level, which hid keys from a policy iterating over them; now only the top-level sections
    # a policy cannot reach are left out, and each section it names is whole.
    report = load(shared_fixtures, "trivy/alpine-39.json")
    policies = seed()
    assert not policies.full_input and policies.words == ["results"]
    result = gate_report(report, severity="HIGH", today=TODAY)
    findings = result["blocking"]
    doc = rego_input.policy_input(report, "trivy", result, findings, policies.words)
    full = rego_input.policy_input(report, "trivy", result, findings, None)
    assert doc == {"results": full["results"]}
    assert set(full) == {"format", "artifact", "report", "findings", "results", "gate"}
    assert full["results"][0] == {
        "vulnerability": {"id": "CVE-2019-14697", "severity": "Critical", "Severity": "CRITICAL",
                          "fix": {"state": "fixed", "versions": ["1.1.20-r5"]}},
        "artifact": {"name": "musl", "version": "1.1.20-r4", "type": "alpine",
                     "purl": full["findings"][0].get("purl", "")},
        "target": "testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)"}
    assert full["findings"][0]["state"] == "blocking" and full["report"] is report


@pytest.mark.parametrize("body", [
    "some k\n  input[k]\n  msg := k",
    "x := input\n  msg := json.marshal(x)",
    "f := input.findings[_]\n  msg := json.marshal(f)",
    "# bulwark: full-input\n  msg := input.format",
])
def test_dynamic_access_gets_the_whole_input(body):
    policies = rego.RegoPolicies({"dyn.rego": f"package dyn\n\ndeny[msg] {{\n  {body}\n}}\n"})
    assert policies.full_input is True


def test_example_policies_in_the_docs_run(shared_fixtures, repo_root):
    text = (repo_root / "docs" / "build_gate.md").read_text()
    blocks = re.findall(r"```rego\n(.*?)```", text, re.S)
    assert len(blocks) == 2 and blocks[0] == SEED_POLICY
    team = rego.RegoPolicies({"docs/team.rego": blocks[1]})
    result = gate_report(load(shared_fixtures, "trivy/alpine-39.json"), severity="CRITICAL",
                         policies=team, today=TODAY,
                         ignores=[{"id": "CVE-2019-14697", "statement": "static",
                                   "expired_at": "2026-12-31",
                                   "purls": ["pkg:apk/alpine/musl-utils"]}])
    assert result["policy_denials"] == [
        "CRITICAL CVE-2019-14697 in musl 1.1.20-r4 (fixed in 1.1.20-r5)"]
    assert result["policy_warnings"] == [
        "accepted CVE-2019-14697 in musl-utils: ignored until 2026-12-31: static"]


def test_full_input_policy_sees_everything(shared_fixtures):
    policy = """package everything
# bulwark: full-input
deny[msg] {
  input.format == "grype"
  not input.gate.passed
  some k
  input.report.source[k]
  k == "type"
  msg := sprintf("%s blocked by the gate (%d findings)", [input.artifact, count(input.findings)])
}
"""
    policies = rego.RegoPolicies({"all.rego": policy})
    assert policies.full_input is True
    result = gate_report(load(shared_fixtures, "grype/TestJsonImgsPresenter.json"), severity="HIGH",
                         policies=policies, today=TODAY)
    assert result["policy_denials"] == ["user-input blocked by the gate (2 findings)"]


def test_missing_regopy_is_named(monkeypatch):
    monkeypatch.setattr(rego, "regopy", None)
    with pytest.raises(rego.PolicyError, match="need the Python package regopy"):
        rego.RegoPolicies({"seed.rego": SEED_POLICY})
