# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The full SARIF of the gate (every finding: blocking at error, the others by severity,
ignored ones suppressed), written in pieces, and ``sarif_findings: blocking``; every log is
validated against the OASIS SARIF 2.1.0 schema (tests/fixtures/sarif)."""
from __future__ import annotations

import json

import jsonschema
import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_output import (
    write_chunks_if_changed,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_task,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.sarif import (
    level,
    sarif_chunks,
    to_sarif,
)
from build_gate_support import TODAY, load

IGNORE = {"id": "CVE-2019-1549", "statement": "no fork() in the app", "expired_at": "2026-12-31"}


@pytest.fixture(scope="module")
def validator(shared_fixtures):
    schema = json.loads((shared_fixtures / "sarif" / "sarif-schema-2.1.0.json").read_text())
    return jsonschema.Draft7Validator(schema)


def _log(outputs, path="gate.sarif"):
    return json.loads("".join(outputs[path]))


def _gate(shared_fixtures, **params):
    report = load(shared_fixtures, "trivy/alpine-39.json")
    return gate_task(report, dict({"severity": "HIGH", "today": TODAY.isoformat(),
                                   "ignores": [IGNORE], "sarif_path": "gate.sarif"}, **params))


def test_every_finding_is_in_the_log_at_its_level(shared_fixtures, validator):
    result, outputs = _gate(shared_fixtures)
    log = _log(outputs)
    assert list(validator.iter_errors(log)) == []
    results = log["runs"][0]["results"]
    assert len(results) == result["total"] > len(result["blocking"]) + len(result["ignored"])
    errors = [r for r in results if r["level"] == "error"]
    suppressed = [r for r in results if "suppressions" in r]
    assert len(errors) == len(result["blocking"]) and not any("suppressions" in r for r in errors)
    assert len(suppressed) == len(result["ignored"]) == 2
    assert {s["justification"] for r in suppressed for s in r["suppressions"]} == \
        {IGNORE["statement"]}
    assert {s["kind"] for r in suppressed for s in r["suppressions"]} == {"external"}
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    by_id = {r["id"]: r for r in rules}
    assert len(by_id) == len(rules)          # one rule per id
    for res in results:
        assert rules[res["ruleIndex"]]["id"] == res["ruleId"]
        if res["level"] != "error":
            sev = rules[res["ruleIndex"]]["properties"]["tags"][2]
            assert res["level"] == ("warning" if sev in ("CRITICAL", "HIGH", "MEDIUM")
                                    else "note")
    assert {r["level"] for r in results} >= {"error", "warning"}


def test_blocking_only_keeps_errors_and_denials(shared_fixtures, validator):
    result, outputs = _gate(shared_fixtures, sarif_findings="blocking")
    log = _log(outputs)
    assert list(validator.iter_errors(log)) == []
    assert [r["level"] for r in log["runs"][0]["results"]] == ["error"] * len(result["blocking"])
    assert {r["id"] for r in log["runs"][0]["tool"]["driver"]["rules"]} == \
        {f["id"] for f in result["blocking"]}


def test_vex_and_unfixed_justifications(validator):
    base = {"kind": "vulnerability", "package": "p", "installed": "1", "fixed": "",
            "target": "t", "severity": "LOW"}
    ignored = [dict(base, id="CVE-1", reason="VEX not_affected (openvex v.json): x",
                    vex={"status": "not_affected", "justification": "vulnerable_code_not_present",
                         "statement": "", "format": "openvex", "source": "v.json"}),
               dict(base, id="CVE-2", reason="unfixed (status affected)")]
    log = to_sarif({"blocking": [], "ignored": ignored, "artifact": "img"})
    assert list(validator.iter_errors(log)) == []
    sup = [r["suppressions"][0] for r in log["runs"][0]["results"]]
    assert [s["justification"] for s in sup] == ["vulnerable_code_not_present",
                                                 "unfixed (status affected)"]
    assert sup[0]["properties"]["vex"]["status"] == "not_affected"
    assert [r["level"] for r in log["runs"][0]["results"]] == ["note", "note"]


def test_pieces_are_compact_and_one_result_each(shared_fixtures):
    result, outputs = _gate(shared_fixtures)
    pieces = list(outputs["gate.sarif"])
    text = "".join(pieces)
    assert "\n " not in text and ", " not in text.split('"results":', maxsplit=1)[0][:200]
    assert sum(p.count('"ruleId"') for p in pieces) == result["total"]
    assert max(p.count('"ruleId"') for p in pieces) == 1


def test_sarif_findings_and_bad_results_are_refused_before_a_piece():
    with pytest.raises(InputError, match="sarif_findings='some' must be one of all, blocking"):
        sarif_chunks({"blocking": []}, "some")
    with pytest.raises(InputError, match=r"results\[0\]\.other\[0\]\.id must be"):
        sarif_chunks({"blocking": [], "other": [{"id": 7, "severity": "LOW"}]})


def test_level_mapping():
    assert [level(s, False) for s in ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")] == \
        ["warning", "warning", "warning", "note", "note"]
    assert level("LOW", True) == "error"


def test_chunk_writer_writes_once_and_leaves_nothing_behind(tmp_path):
    path = tmp_path / "gate.sarif"
    assert write_chunks_if_changed(path, iter(["{", '"a":1', "}"])) is True
    assert path.read_text() == '{"a":1}'
    assert write_chunks_if_changed(path, iter(["{", '"a":1', "}"])) is False
    assert write_chunks_if_changed(path, iter(['{"a":2}']), check_mode=True) is True
    assert path.read_text() == '{"a":1}'
    with pytest.raises(ValueError, match="lone surrogate"):
        write_chunks_if_changed(path, iter(["{", "\ud800"]))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["gate.sarif"]
    (tmp_path / "link").symlink_to(path)
    with pytest.raises(ValueError, match="symlink"):
        write_chunks_if_changed(tmp_path / "link", iter(["x"]))
