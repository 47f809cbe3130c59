# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Rego policy rows of the fail-closed tables (issue 22), in-process with the real rego-cpp:
each row a policy and report that once passed silently (or ran unbounded) and what must happen
now: the gate blocks, refuses naming the policy, or warns."""
from __future__ import annotations

import time

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import rego
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)

V1 = "package team.gate\nimport rego.v1\n\n"


def report(*vulns):
    return {"SchemaVersion": 2, "ArtifactName": "img", "ArtifactType": "container_image",
            "CreatedAt": "2026-11-25T10:00:00Z",
            "Results": [{"Target": "img (alpine 3.20)", "Class": "os-pkgs", "Type": "alpine",
                         "Vulnerabilities": [
                             {"VulnerabilityID": i, "PkgName": p, "InstalledVersion": "1.0",
                              "Severity": s, "PublishedDate": "2024-01-02T03:04:05Z"}
                             for i, p, s in vulns]}]}


CRITICAL = report(("CVE-2024-0001", "musl", "CRITICAL"))


def gate(policy, doc=None, **kwargs):  # None: the CRITICAL report
    policies = rego.RegoPolicies({"team/gate.rego": policy}, **kwargs)
    return gate_report(CRITICAL if doc is None else doc, severity="CRITICAL",
                       budgets={"CRITICAL": 99}, policies=policies, today="2026-11-25")


# (row id, policy, report, outcome, fragment): outcome "blocks" (fragment in a denial),
# "refused" (fragment in the PolicyError) or "warns" (fragment in a gate warning).
FAIL_OPEN = [
    ("key_iteration_policy_sees_every_key",
     V1 + "deny contains k if {\n  some f in input.findings\n  some k, v in f\n"
     "  v == \"CRITICAL\"\n}\n", CRITICAL, "blocks", "severity"),
    ("object_keys_of_input_sees_every_key",
     V1 + "deny contains k if {\n  some k in object.keys(input)\n  k == \"gate\"\n}\n",
     CRITICAL, "blocks", "gate"),
    ("trivy_word_on_grype_severity_is_warned",
     V1 + "deny contains \"x\" if {\n  input.results[_].vulnerability.severity == "
     "\"CRITICAL\"\n}\n", CRITICAL, "warns",
     "team/gate.rego:5: compares a severity with \"CRITICAL\", which never occurs there "
     "(the input spells it Critical)"),
    ("grype_word_on_findings_severity_is_warned",
     V1 + "deny contains \"x\" if {\n  some f in input.findings\n  f.severity == \"Critical\"\n"
     "}\n", CRITICAL, "warns", "the input spells it CRITICAL"),
    ("trivy_word_on_results_Severity_fires",
     V1 + "deny contains r.vulnerability.id if {\n  some r in input.results\n"
     "  r.vulnerability.Severity == \"CRITICAL\"\n}\n", CRITICAL, "blocks", "CVE-2024-0001"),
    ("age_policy_parses_trivy_z_timestamps",
     V1 + "deny contains v.VulnerabilityID if {\n"
     "  some v in input.report.Results[_].Vulnerabilities\n"
     "  age := time.parse_rfc3339_ns(input.report.CreatedAt) - "
     "time.parse_rfc3339_ns(v.PublishedDate)\n  age > 90 * 24 * 3600 * 1000000000\n}\n",
     CRITICAL, "blocks", "CVE-2024-0001"),
    ("no_deny_rule_at_all",
     V1 + "warn contains \"only a warning\" if { true }\n", CRITICAL, "refused",
     "team/gate.rego: no policy defines a 'deny' rule"),
    ("misnamed_deny_rule",
     V1 + "violation contains \"x\" if { true }\n", CRITICAL, "refused",
     "package team.gate defines neither a 'deny' nor a 'warn' rule"),
    ("undefined_complete_deny",
     V1 + "deny := [\"x\"] if { input.format == \"grype\" }\n", CRITICAL, "refused",
     "team/gate.rego: data.team.gate.deny is undefined"),
    ("boolean_deny",
     V1 + "default deny := false\ndeny if { input.gate.counts.CRITICAL > 0 }\n", CRITICAL,
     "refused", "data.team.gate.deny is true; deny and warn must be sets of messages"),
    ("deny_of_objects",
     V1 + "deny contains {\"msg\": f.id} if { some f in input.findings }\n", CRITICAL,
     "refused", "not a string; every deny and warn message must be a string"),
    ("policy_that_fails_to_compile",
     V1 + "deny contains msg if {\n  msg := \n}\n", CRITICAL, "refused",
     "Rego syntax error: team/gate.rego:"),
    ("quoted_package_name_cannot_empty_deny",
     V1 + "deny contains f.package if {\n  some f in input.findings\n"
     "  f.severity == \"CRITICAL\"\n}\n",
     report(("CVE-2024-0001", '""]],"expressions":[[],[""', "CRITICAL")), "blocks",
     '""]],"expressions":[[],[""'),
]


@pytest.mark.parametrize("policy,doc,outcome,fragment", [r[1:] for r in FAIL_OPEN],
                         ids=[r[0] for r in FAIL_OPEN])
def test_fail_open_row_rego(policy, doc, outcome, fragment):
    if outcome == "refused":
        with pytest.raises(rego.PolicyError) as err:
            gate(policy, doc)
        assert fragment in str(err.value)
        return
    result = gate(policy, doc)
    if outcome == "blocks":
        assert result["passed"] is False
        assert any(fragment in d for d in result["policy_denials"]), result["policy_denials"]
    else:
        assert any(fragment in w for w in result["warnings"]), result["warnings"]


# A per-finding message builds a set in quadratic time in rego-cpp (8,000 findings: ~100 s);
# at 2,500 findings it needs several seconds, so a 2 s bound must refuse it.
QUADRATIC = V1 + "deny contains msg if {\n  some f in input.findings\n" \
    "  msg := sprintf(\"%s in %s\", [f.id, f.package])\n}\n"
MANY = report(*((f"CVE-2024-{i:05d}", f"pkg{i}", "LOW") for i in range(2500)))
RESOURCE = [
    ("quadratic_per_finding_policy_time_bound", QUADRATIC, MANY, {"timeout": 2},
     "policy team/gate.rego did not finish within 2 s"),
    ("endless_policy_time_bound",
     V1 + "deny contains m if {\n  some i in numbers.range(1, 1000000000)\n"
     "  m := sprintf(\"%d\", [i])\n}\n", CRITICAL, {"timeout": 1},
     "policy team/gate.rego did not finish within 1 s"),
    ("memory_hungry_policy_memory_bound",
     V1 + "big := [i | some i in numbers.range(1, 100000000)]\n"
     "deny contains \"x\" if { count(big) > 0 }\n", CRITICAL,
     {"timeout": 20, "max_memory": 200 << 20}, "policy team/gate.rego "),
]


@pytest.mark.parametrize("policy,doc,bounds,fragment", [r[1:] for r in RESOURCE],
                         ids=[r[0] for r in RESOURCE])
def test_resource_row_rego(policy, doc, bounds, fragment, capfd):
    start = time.monotonic()
    with pytest.raises(rego.PolicyError) as err:
        gate(policy, doc, **bounds)
    assert fragment in str(err.value)
    assert "the gate refuses" in str(err.value)
    assert time.monotonic() - start < bounds["timeout"] + 4
    assert capfd.readouterr().out == ""
