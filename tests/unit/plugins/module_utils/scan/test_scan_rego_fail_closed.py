# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Rego policies fail closed (issue 22): every policy sees the whole input, severities in both
scanners' words, timestamps rego-cpp can parse, a bounded evaluation, and a deny that cannot
block is refused. Run against the real rego-cpp interpreter (regopy)."""
from __future__ import annotations

import time

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import (
    rego,
    rego_input,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)
from build_gate_support import SEED_POLICY, TODAY, load

V1 = "package p\nimport rego.v1\n\n"


def report(*vulns, **extra):
    """A Trivy report with one result holding ``vulns`` ((id, package, severity) triples)."""
    result = {"Target": "img (alpine 3.20)", "Class": "os-pkgs", "Type": "alpine",
              "Vulnerabilities": [{"VulnerabilityID": i, "PkgName": p, "InstalledVersion": "1.0",
                                   "Severity": s} for i, p, s in vulns]}
    return dict({"SchemaVersion": 2, "ArtifactName": "img", "ArtifactType": "container_image",
                 "Results": [result]}, **extra)


def run(policy, doc, name="p.rego", **kwargs):
    policies = rego.RegoPolicies({name: policy}, **kwargs)
    return gate_report(doc, severity="CRITICAL", budgets={"CRITICAL": 99}, policies=policies,
                       today=TODAY)


CRITICAL = report(("CVE-1", "musl", "CRITICAL"))


# ------------------------------------------------------------------ 1. the whole input

@pytest.mark.parametrize("body", [
    "some f in input.findings\n  some k, v in f\n  v == \"CRITICAL\"\n  msg := k",
    "some k in object.keys(input)\n  k == \"findings\"\n  msg := k",
    "walk(input, [path, value])\n  value == \"CVE-1\"\n  msg := \"found\"",
    "some r in input.results\n  some k, _v in r.vulnerability\n  k == \"fix\"\n  msg := k",
])
def test_a_policy_iterating_over_keys_sees_them(body):
    result = run(f"{V1}deny contains msg if {{\n  {body}\n}}\n", CRITICAL)
    assert result["passed"] is False and result["policy_denials"]


@pytest.mark.parametrize("text,sections", [
    ("deny[m] { input.results[_].vulnerability.severity == \"Critical\"; m := \"x\" }",
     ["results"]),
    ("deny[m] { f := input.findings[_]; some k, v in f; m := k }", ["findings"]),
    ("deny[m] { input[\"gate\"].passed == false; m := input . report.ArtifactName }",
     ["gate", "report"]),
    ("import input.report as r\ndeny[m] { m := r.ArtifactName }", ["report"]),
    ("deny[m] { some k; input[k]; m := k }", None),
    ("deny[m] { x := input; m := x.format }", None),
    ("deny[m] { some k, v in input; m := k }", None),
    ("deny[m] { walk(input.findings, [p, v]); m := \"x\" }", None),
    ("deny[m] { m := json.marshal(input.results) }", None),
    ("deny[m] { m := \"x\" } # bulwark: full-input", None),
    ("deny[m] { m := \"input[k]\" } # input[k] in a comment\nx := input.gate", ["gate"]),
    ("deny[m] { m := `input` }\ny := input.format", ["format"]),
    ("deny[m] { m := input.results with input as {} }", None),
])
def test_a_policy_gets_every_section_it_can_reach(text, sections):
    policies = rego.RegoPolicies({"p.rego": "package p\n\n" + text + "\n"})
    assert policies.words == sections and policies.full_input is (sections is None)


# ------------------------------------------------------------------ 2. severity words

def test_results_carry_both_scanners_words():
    gated = gate_report(CRITICAL, today=TODAY)
    doc = rego_input.policy_input(CRITICAL, "trivy", gated, gated["blocking"])
    vuln = doc["results"][0]["vulnerability"]
    assert vuln["severity"] == "Critical" and vuln["Severity"] == "CRITICAL"
    assert doc["findings"][0]["severity"] == "CRITICAL"


def test_a_trivy_word_policy_on_results_fires_with_severity_key():
    policy = f"{V1}deny contains r.vulnerability.id if {{\n  some r in input.results\n" \
             "  r.vulnerability.Severity == \"CRITICAL\"\n}\n"
    result = run(policy, CRITICAL)
    assert result["policy_denials"] == ["CVE-1"] and result["passed"] is False


@pytest.mark.parametrize("line,spelled", [
    ("r := input.results[_]\n  r.vulnerability.severity == \"CRITICAL\"", "Critical"),
    ("f := input.findings[_]\n  f.severity == \"Critical\"", "CRITICAL"),
    ("v := input.report.Results[_].Vulnerabilities[_]\n  v.Severity == \"Critical\"", "CRITICAL"),
    ("f := input.findings[_]\n  f.severity == \"critical\"", "CRITICAL"),
])
def test_a_severity_word_that_cannot_occur_there_is_warned(line, spelled):
    policy = f"{V1}deny contains \"x\" if {{\n  {line}\n}}\n"
    result = run(policy, CRITICAL, name="team/sev.rego")
    warning = [w for w in result["policy_warnings"] if "never occurs there" in w]
    assert len(warning) == 1 and warning[0].startswith("team/sev.rego:6: ")
    assert f"the input spells it {spelled}" in warning[0]
    assert any("never occurs there" in w for w in result["warnings"])


@pytest.mark.parametrize("policy", [
    SEED_POLICY,
    f"{V1}deny contains \"x\" if {{\n  some f in input.findings\n"
    "  f.severity == \"CRITICAL\"\n}\n",
    f"{V1}deny contains \"x\" if {{\n  some f in input.findings\n"
    "  lower(f.severity) == \"critical\"\n}\n",
    f"{V1}deny contains \"x\" if {{\n  some f in input.findings\n"
    "  f.scanner_severity == \"Critical\"\n}\n",
    f"{V1}# \"critical\" in a comment\ndeny contains \"x\" if {{\n  false\n}}\n",
])
def test_right_words_give_no_warning(policy):
    assert rego.RegoPolicies({"p.rego": policy}).warnings == []


# ------------------------------------------------------------------ 3. timestamps

@pytest.mark.parametrize("text,want", [
    ("2024-01-02T03:04:05Z", "2024-01-02T03:04:05+00:00"),
    ("2021-08-25T12:20:30.000000005Z", "2021-08-25T12:20:30.000000005+00:00"),
    ("2024-01-02T03:04:05.5z", "2024-01-02T03:04:05.5+00:00"),
    ("2024-01-02t03:04:05Z", "2024-01-02T03:04:05+00:00"),
    ("2024-01-02 03:04:05Z", "2024-01-02T03:04:05+00:00"),
    ("2024-01-02T03:04:05+00:00", "2024-01-02T03:04:05+00:00"),
    ("2024-01-02T03:04:05.1234567891Z", "2024-01-02T03:04:05.1234567891Z"),
    ("2024-01-02T03:04:05Z\n", "2024-01-02T03:04:05Z\n"),
    ("CVE-2024-01-02T03:04:05Z", "CVE-2024-01-02T03:04:05Z"),
    ("Z", "Z"),
])
def test_utc_times_are_written_as_rego_cpp_parses_them(text, want):
    assert rego_input.rego_string(text) == want


def test_every_normalised_time_parses_in_rego():
    policies = rego.RegoPolicies({"t.rego": f"{V1}deny := [s | some s in input.times\n"
                                            "  time.parse_rfc3339_ns(s) > 1600000000 * 1000000000"
                                            "]\n"})
    times = ["2024-01-02T03:04:05Z", "2024-01-02t03:04:05.5z", "2024-01-02 03:04:05Z",
             "2021-08-25T12:20:30.000000005Z"]
    out = policies.evaluate({"times": times})
    assert sorted(out["deny"]) == sorted(rego_input.rego_string(t) for t in times)


def test_age_policy_parses_trivy_timestamps(shared_fixtures):
    policy = f"{V1}deny contains v.VulnerabilityID if {{\n" \
             "  some v in input.report.Results[_].Vulnerabilities\n" \
             "  published := time.parse_rfc3339_ns(v.PublishedDate)\n" \
             "  created := time.parse_rfc3339_ns(input.report.CreatedAt)\n" \
             "  created - published > 30 * 24 * 3600 * 1000000000\n}\n"
    result = run(policy, load(shared_fixtures, "trivy/alpine-39.json"))
    assert "CVE-2019-14697" in result["policy_denials"] and result["passed"] is False


# ------------------------------------------------------------------ 4. bounds

def test_a_policy_that_does_not_finish_is_refused_within_its_bound(capfd):
    policy = f"{V1}deny contains m if {{\n  some i in numbers.range(1, 200000)\n" \
             "  m := sprintf(\"%d\", [i])\n}\n"
    start = time.monotonic()
    with pytest.raises(rego.PolicyError,
                       match=r"policy slow\.rego did not finish within 1 s \(data\.p\.deny\)"):
        run(policy, CRITICAL, name="slow.rego", timeout=1)
    assert time.monotonic() - start < 5
    assert capfd.readouterr().out == ""


def test_a_policy_that_needs_too_much_memory_is_refused(capfd):
    policy = f"{V1}big := [i | some i in numbers.range(1, 100000000)]\n" \
             "deny contains \"x\" if { count(big) > 0 }\n"
    with pytest.raises(rego.PolicyError, match=r"policy big\.rego (stopped the Rego "
                       r"interpreter|needed more than 200 MiB)"):
        run(policy, CRITICAL, name="big.rego", timeout=20, max_memory=200 << 20)
    assert capfd.readouterr().out == ""


def test_per_finding_messages_as_an_array_are_fast():
    many = report(*((f"CVE-{i}", f"p{i}", "CRITICAL") for i in range(3000)))
    policy = f"{V1}deny := [f.id | some f in input.findings; f.severity == \"CRITICAL\"]\n"
    start = time.monotonic()
    result = run(policy, many, timeout=20)
    assert len(result["policy_denials"]) == 3000 and time.monotonic() - start < 10


# ------------------------------------------------------------------ 5. a deny that cannot block

@pytest.mark.parametrize("policy,fragment", [
    (f"{V1}deny := 5\n", "p.rego: data.p.deny is 5; deny and warn must be sets"),
    (f"{V1}deny := true\n", "p.rego: data.p.deny is true"),
    (f"{V1}deny := {{\"a\": 1}}\n", "p.rego: data.p.deny is an object, not a set"),
    (f"{V1}deny contains 5 if {{ true }}\n", "p.rego: data.p.deny holds 5, not a string"),
    (f"{V1}deny contains {{\"msg\": \"x\"}} if {{ true }}\n", "holds {\"msg\": \"x\"}, not a"),
    (f"{V1}deny := [\"x\"] if {{ false }}\n", "p.rego: data.p.deny is undefined"),
    (f"{V1}warn contains \"x\" if {{ true }}\n", "no policy defines a 'deny' rule"),
    (f"{V1}violation contains \"x\" if {{ true }}\n", "defines neither a 'deny' nor a 'warn'"),
    (f"{V1}deny contains \"x\" if {{\n", "Rego syntax error: p.rego:"),
])
def test_a_deny_that_could_never_block_is_refused(policy, fragment):
    with pytest.raises(rego.PolicyError) as err:
        run(policy, CRITICAL)
    assert fragment in str(err.value)


def test_a_warn_only_package_next_to_a_deny_package_is_kept():
    policies = rego.RegoPolicies({"seed.rego": SEED_POLICY,
                                  "w.rego": "package w\nwarn[m] { m := \"note\" }\n"})
    result = gate_report(CRITICAL, severity="CRITICAL", policies=policies, today=TODAY)
    assert result["policy_denials"] and result["policy_warnings"] == ["note"]


# ------------------------------------------------------------------ strings reach Rego intact

@pytest.mark.parametrize("name", [
    '""]],"expressions":[[],[""',  # would empty deny through a second "expressions" key
    'a","b', 'a"b', 'back\\slash', "tab\tnew\nline", "nul\x00byte", "\x01\x7f", "é😀",
    "\\u0041", "",
])
def test_package_names_reach_the_policy_unchanged_and_still_block(name):
    policy = f"{V1}deny contains msg if {{\n  some f in input.findings\n" \
             "  f.severity == \"CRITICAL\"\n  msg := sprintf(\"[%s]\", [f.package])\n}\n"
    result = run(policy, report(("CVE-1", name, "CRITICAL")))
    assert result["passed"] is False and result["policy_denials"] == [f"[{name}]"]


def test_a_lone_surrogate_is_refused():
    with pytest.raises(rego.PolicyError, match="not valid Unicode"):
        run(SEED_POLICY, report(("CVE-1", "bad\ud800", "CRITICAL")))
