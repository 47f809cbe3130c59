# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The history: a previous posture.json (schema 2, or the schema-1 one Bulwark wrote before)
beside the new report; any other schema or shape refused."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture import (
    node,
    render,
    report,
)

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "posture"
NOW = "2026-12-07T12:00:00+00:00"


@pytest.fixture
def current(node_dir):
    facts = node.collect(node_dir(high=2))
    return report.build_report({"deb13-a": facts, "deb12-new": {"error": "unreachable"}},
                               bundle=build_bundle({"namespaces": [{"name": "payments"}]}),
                               generated=NOW)


def test_schema_1_previous_report_is_read(current):
    current["history"] = report.history_of(current, str(FIXTURES / "report_v1.json"))
    made = report.validate_report(current)
    history = made["history"]
    assert history["previous_schema_version"] == 1
    assert history["previous_generated"] == "2026-12-01T08:00:00+00:00"
    rows = {r["key"]: r for r in history["rows"]}
    assert rows["node:deb12-new"]["state"] == "new"
    assert history["gone"] == ["deb12-b"]
    # deb13-a: schema 1 said "–" for admit; its run cell was and is what the checks say
    assert rows["node:deb13-a"]["cells"]["admit"] == {"previous": None, "changed": False}
    assert history["changed"] == sum(c["changed"] for r in history["rows"]
                                     for c in r["cells"].values())


def test_schema_2_previous_report_marks_changed_cells(current):
    previous = copy.deepcopy(current)
    previous["generated"] = "2026-12-06T12:00:00+00:00"
    previous["nodes"][0]["cells"]["build"] = "pass"   # deb12-new sorts first
    made = copy.deepcopy(current)
    made["history"] = report.history_of(made, previous)
    report.validate_report(made)
    rows = {r["key"]: r for r in made["history"]["rows"]}
    assert rows["node:deb12-new"]["cells"]["build"] == {"previous": "pass", "changed": True}
    assert rows["node:deb12-new"]["state"] == "changed" and made["history"]["changed"] == 1
    text = render.render_markdown(made)
    assert "**✅ pass → ❔ unknown**" in text


@pytest.mark.parametrize("previous, message", [
    ("{not json", "not valid JSON"),
    ("[]", "is a list, not a posture report"),
    ("", "not valid JSON"),
    ('{"schema_version": 3}', "schema_version 3; this Bulwark reads posture reports of "
                              "schema 1, 2"),
    ('{"schema_version": "2"}', "schema_version '2'"),
    ('{"schema_version": true}', "schema_version True"),
    ('{"schema_version": 1, "generated": "x", "nodes": [{"name": "a", "cells": {"build": "ok"}}]}',
     r"nodes\[0\].cells.build is 'ok'"),
    ('{"schema_version": 1, "nodes": []}', "no generated time"),
    ('{"schema_version": 2, "nodes": []}', "the previous report: "),
])
def test_previous_reports_of_another_schema_or_shape_are_refused(current, previous, message,
                                                                 tmp_path):
    path = tmp_path / "posture.json"
    path.write_text(previous)
    with pytest.raises(report.ReportError, match=message):
        report.history_of(current, str(path))


def test_a_previous_report_that_is_not_a_file_is_refused(current, tmp_path):
    with pytest.raises(report.ReportError, match="not a regular file"):
        report.history_of(current, str(tmp_path))
    with pytest.raises(report.ReportError, match="cannot read the previous report"):
        report.history_of(current, str(tmp_path / "absent.json"))


def test_a_report_of_another_schema_is_not_rendered(current):
    old = json.loads((FIXTURES / "report_v1.json").read_text())
    with pytest.raises(report.ReportError, match="schema_version: 1 is not 2"):
        report.validate_report(old)
