# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the Rego policies over gated reports (scan/rego.py, real rego-cpp): for any
generated report (arbitrary severities, ids, package names with control characters, extra
keys), a fixed set of policies is refused clearly or answers right, and a policy that denies
on any CRITICAL never passes a report holding one."""
from __future__ import annotations

import json

from ansible_collections.bulwark.container_security.plugins.module_utils.scan import (
    rego,
    rego_input,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import refused_or_right

V1 = "package {}\nimport rego.v1\n\n"
POLICIES = {
    # denies on any CRITICAL finding, one message per finding
    "any_critical.rego": V1.format("any_critical") + (
        "deny contains msg if {\n  some f in input.findings\n  f.severity == \"CRITICAL\"\n"
        "  msg := sprintf(\"any|%s|%s\", [f.id, f.package])\n}\n"),
    # the seed's shape: grype's word on the results view
    "seed.rego": "package seed\n\ndeny[msg] {\n  input.results[_].vulnerability.severity == "
                 "\"Critical\"\n  msg := \"seed\"\n}\n",
    # Trivy's word on the results view's Trivy key
    "trivy_words.rego": V1.format("trivy_words") + (
        "deny contains \"trivy\" if {\n  some r in input.results\n"
        "  r.vulnerability.Severity == \"CRITICAL\"\n}\n"),
    # iterates over keys: sees every key of every finding
    "keys.rego": V1.format("keys") + (
        "deny contains \"keys\" if {\n  some f in input.findings\n  some k, v in f\n"
        "  k == \"severity\"\n  v == \"CRITICAL\"\n}\n"),
}
LOADED = rego.RegoPolicies(POLICIES)
EACH = {name: rego.RegoPolicies({name: text}) for name, text in POLICIES.items()}
WORDS = ["CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN", "Critical", "critical", "High",
         "Negligible", "", "CRITICAL ", "crit"]
TEXT = st.text(max_size=12)  # every code point but lone surrogates, control characters too
JSON = st.recursive(st.none() | st.booleans() | st.integers(-2**31, 2**31) | TEXT,
                    lambda inner: st.lists(inner, max_size=3) |
                    st.dictionaries(TEXT, inner, max_size=3), max_leaves=8)
VULN = st.fixed_dictionaries(
    {"VulnerabilityID": TEXT, "PkgName": TEXT, "InstalledVersion": TEXT,
     "Severity": st.sampled_from(WORDS) | TEXT},
    optional={"FixedVersion": TEXT, "Status": st.sampled_from(["fixed", "affected", ""]),
              "PublishedDate": st.sampled_from(["2024-01-02T03:04:05Z", "x", ""]),
              "Title": TEXT, "Extra": JSON})
REPORTS = st.builds(
    lambda vulns, extra, target: dict(
        extra, SchemaVersion=2, ArtifactName="img", ArtifactType="container_image", Results=[
            {"Target": target, "Class": "os-pkgs", "Type": "alpine", "Vulnerabilities": vulns}]),
    st.lists(VULN, max_size=6), st.dictionaries(TEXT, JSON, max_size=3), TEXT)


def _critical(report):
    return [v for v in report["Results"][0]["Vulnerabilities"]
            if str(v["Severity"]).strip().upper() == "CRITICAL"]


@given(REPORTS)
def test_fixed_policies_refuse_or_answer_right(report):
    """Invariant: refused clearly or right, never a traceback, never a pass that should block:
    with a CRITICAL finding every policy denies (so the gate never passes), without one none
    does, and the per-finding messages are exactly one per CRITICAL (id, package)."""
    def check(result):
        denials = result["policy_denials"]
        critical = _critical(report)
        if critical:
            assert result["passed"] is False
            for prefix in ("seed", "trivy", "keys"):
                assert prefix in denials, (prefix, denials)
        else:
            assert denials == []
        assert sorted(d for d in denials if d.startswith("any|")) == sorted(
            {f"any|{v['VulnerabilityID']}|{v['PkgName']}" for v in critical})
    refused_or_right(lambda: gate_report(report, severity="CRITICAL", budgets={"CRITICAL": 99},
                                         policies=LOADED, today="2026-11-25"),
                     ValueError, check)


@given(REPORTS, st.sampled_from(sorted(POLICIES)))
def test_a_critical_finding_never_passes_whatever_the_other_keys(report, name):
    """Invariant: never a pass that should block: a report with one CRITICAL finding added,
    whatever else it holds, is blocked by each policy on its own (or refused)."""
    report["Results"][0]["Vulnerabilities"].append(
        {"VulnerabilityID": "CVE-0000-0001", "PkgName": "p", "InstalledVersion": "1",
         "Severity": "CRITICAL"})
    policies = EACH[name]

    def check(result):
        assert result["passed"] is False and result["policy_denials"]
    refused_or_right(lambda: gate_report(report, severity="CRITICAL", budgets={"CRITICAL": 99},
                                         policies=policies, today="2026-11-25"),
                     ValueError, check)


@given(JSON)
def test_any_input_value_reaches_rego_unchanged(value):
    """Invariant: refused clearly or right: any JSON value (strings with quotes, backslashes,
    NUL and control characters) is seen by a policy exactly as given, Z times aside."""
    def check(result):
        assert len(result["deny"]) == 1
        assert json.loads(result["deny"][0]) == _zulu(value)
    refused_or_right(lambda: ECHO.evaluate({"value": value}), rego.PolicyError, check)


ECHO = rego.RegoPolicies({"echo.rego": V1.format("echo") + (
    "deny contains json.marshal(input.value) if { true }\n")})


def _zulu(value):
    if isinstance(value, str):
        return rego_input.rego_string(value)
    if isinstance(value, list):
        return [_zulu(v) for v in value]
    if isinstance(value, dict):
        return {rego_input.rego_string(k): _zulu(v) for k, v in value.items()}
    return value


@given(st.text(max_size=200))
def test_any_policy_text_is_refused_or_loaded(text):
    """Invariant: refused clearly or right, never a traceback: any text after a package line
    either loads (and then has a deny rule) or is refused with a PolicyError."""
    def check(policies):
        assert any("deny" in rules for rules in policies.rules.values())
    refused_or_right(lambda: rego.RegoPolicies({"any.rego": "package any\n" + text}),
                     rego.PolicyError, check)


CASED = st.sampled_from(["critical", "high", "medium", "low", "unknown"]).flatmap(
    lambda w: st.lists(st.booleans(), min_size=len(w), max_size=len(w)).map(
        lambda ups: "".join(c.upper() if u else c for c, u in zip(w, ups, strict=True))))
WHERE = {
    "results": "some r in input.results\n  r.vulnerability.severity == \"{}\"",
    "results_Severity": "some r in input.results\n  r.vulnerability.Severity == \"{}\"",
    "findings": "some f in input.findings\n  f.severity == \"{}\"",
    "raw_trivy": "some v in input.report.Results[_].Vulnerabilities\n  v.Severity == \"{}\"",
}


@given(CASED, st.sampled_from(sorted(WHERE)))
def test_a_severity_comparison_fires_or_is_warned(word, where):
    """Invariant: never a silent pass: a policy comparing a severity field with any spelling of
    the severity a report holds either denies it or warns that the spelling never occurs."""
    policy = V1.format("sev") + "deny contains \"hit\" if {\n  " + WHERE[where].format(word) + \
        "\n}\n"
    vuln = {"VulnerabilityID": "CVE-1", "PkgName": "p", "InstalledVersion": "1",
            "Severity": word.upper()}
    doc = {"SchemaVersion": 2, "ArtifactName": "img", "ArtifactType": "container_image",
           "Results": [{"Target": "t", "Vulnerabilities": [vuln]}]}

    def check(result):
        warned = any("never occurs there" in w for w in result["policy_warnings"])
        assert result["policy_denials"] == ["hit"] or warned, (word, where, result)
        assert not (result["policy_denials"] and warned), "warned about a comparison that hit"
    refused_or_right(lambda: gate_report(doc, severity="CRITICAL", policies=rego.RegoPolicies(
        {"sev.rego": policy}), today="2026-11-25"), ValueError, check)
