# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""SARIF 2.1.0 of gate results, validated against the OASIS schema and compared with the
SARIF that Trivy and grype write themselves (their recorded goldens)."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import rego
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.sarif import (
    SECURITY_SEVERITY,
    to_sarif,
)
from build_gate_support import TODAY, load

URI_REFERENCE = re.compile(r"[A-Za-z0-9\-._~/?#\[\]@!$&'()*+,;=%:]+")


@pytest.fixture(scope="module")
def validator(shared_fixtures):
    schema = json.loads((shared_fixtures / "sarif" / "sarif-schema-2.1.0.json").read_text())
    jsonschema.Draft7Validator.check_schema(schema)
    return jsonschema.Draft7Validator(schema, format_checker=jsonschema.FormatChecker())


def errors(validator, log):
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in validator.iter_errors(json.loads(json.dumps(log)))]


def test_upstream_goldens_are_valid_and_a_broken_log_is_not(shared_fixtures, validator):
    assert errors(validator, load(shared_fixtures, "trivy/alpine-310.sarif")) == []
    assert errors(validator, load(shared_fixtures, "grype/TestSarifPresenter_image.sarif")) == []
    broken = load(shared_fixtures, "trivy/alpine-310.sarif")
    broken["runs"][0]["results"][0]["level"] = "fatal"
    assert errors(validator, broken)


@pytest.fixture
def gated(shared_fixtures):
    trivy = gate_report(load(shared_fixtures, "trivy/alpine-39.json"), severity="HIGH", today=TODAY,
                        ignores=[{"id": "CVE-2019-1549", "statement": "no fork() in the app",
                                  "expired_at": "2026-12-31"}])
    grype = gate_report(load(shared_fixtures, "grype/TestJsonImgsPresenter.json"),
                        severity="CRITICAL", ignore_unfixed=False, today=TODAY,
                        policies=rego.RegoPolicies({"s.rego": "package s\ndeny[m] {\n"
                                                    "  count(input.results) > 1\n"
                                                    "  m := \"too many\"\n}\n"}))
    return trivy, grype


def test_trivy_and_grype_results_are_valid_sarif(validator, gated):
    trivy, grype = gated
    for log in (to_sarif(trivy), to_sarif(grype), to_sarif([trivy, grype])):
        assert errors(validator, log) == []
    runs = to_sarif([trivy, grype])["runs"]
    assert [r["tool"]["driver"]["name"] for r in runs] == ["Trivy", "grype"]
    # jsonschema has no checker for format uri-reference here: check RFC 3986 by hand.
    uris = [loc["physicalLocation"]["artifactLocation"]["uri"]
            for run in runs for result in run["results"] for loc in result["locations"]]
    assert uris and all(URI_REFERENCE.fullmatch(u) and ":" not in u.split("/")[0] for u in uris)


def test_one_rule_per_vulnerability_id_with_security_severity(gated):
    trivy = gated[0]
    (run,) = to_sarif(trivy)["runs"]
    rules = run["tool"]["driver"]["rules"]
    # Two musl packages block on CVE-2019-14697, two openssl packages are ignored for 1549.
    assert [r["id"] for r in rules] == ["CVE-2019-14697", "CVE-2019-1549"]
    assert rules[0]["properties"]["security-severity"] == SECURITY_SEVERITY["CRITICAL"] == "9.5"
    assert rules[1]["properties"]["security-severity"] == "5.5"
    blocking = [r for r in run["results"] if r["level"] == "error"]
    suppressed = [r for r in run["results"] if "suppressions" in r]
    assert len(blocking) == 2 and {r["ruleIndex"] for r in blocking} == {0}
    # MEDIUM and ignored: level warning, suppressed with the ignore's statement and expiry.
    assert len(suppressed) == 2 and all(
        r["level"] == "warning" and r["suppressions"] == [{
            "kind": "external", "status": "accepted", "justification": "no fork() in the app",
            "properties": {"reason": "ignored until 2026-12-31: no fork() in the app",
                           "expiredAt": "2026-12-31"}}]
        for r in suppressed)
    location = blocking[0]["locations"][0]["physicalLocation"]
    assert location["artifactLocation"]["uri"] == "testdata/fixtures/images/alpine-39.tar.gz"
    assert location["region"]["startLine"] == 1
    assert len({r["partialFingerprints"]["bulwarkFinding/v1"] for r in run["results"]}) == 4
    assert to_sarif(trivy, include_ignored=False)["runs"][0]["results"] == blocking


def test_shape_matches_what_trivy_and_grype_write(shared_fixtures, gated):
    trivy, grype = gated
    upstream = load(shared_fixtures, "trivy/alpine-310.sarif")["runs"][0]
    ours = to_sarif(trivy)["runs"][0]
    assert set(upstream["tool"]["driver"]["rules"][0]) <= set(ours["tool"]["driver"]["rules"][0])
    assert set(upstream["results"][0]) <= set(ours["results"][0])
    assert set(upstream["results"][0]["locations"][0]["physicalLocation"]) == \
        set(ours["results"][0]["locations"][0]["physicalLocation"])
    assert ours["tool"]["driver"]["name"] == upstream["tool"]["driver"]["name"] == "Trivy"
    grype_upstream = load(shared_fixtures, "grype/TestSarifPresenter_image.sarif")["runs"][0]
    grype_ours = to_sarif(grype)["runs"][0]
    assert grype_ours["tool"]["driver"]["name"] == grype_upstream["tool"]["driver"]["name"]
    assert all("security-severity" in r["properties"]
               for r in grype_ours["tool"]["driver"]["rules"])
    uris = [r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"]
            for r in grype_ours["results"]]
    assert "foo/bar/somefile-2.txt" in uris
    denial = next(r for r in grype_ours["results"] if r["ruleId"] == "rego-policy-deny")
    assert denial["message"]["text"] == "too many" and denial["level"] == "error"


def test_uri_of_an_image_target_is_a_relative_reference():
    finding = {"kind": "vulnerability", "id": "CVE-1", "package": "p", "installed": "1",
               "fixed": "", "severity": "HIGH", "target": "alpine:3.9 (alpine 3.9.2)"}
    log = to_sarif({"blocking": [finding], "ignored": [], "artifact": "alpine:3.9"})
    uri = log["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["artifactLocation"]
    assert uri["uri"] == "alpine%3A3.9"
