# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Fail-closed rows of the posture report's new inputs (issue 25): a cluster kind that could
not be read is "unknown" and never lets the cluster pass; a previous report of another schema
or shape is refused, naming it. In-process, against recorded k8s_info answers (process
boundary only, tests/unit/support/k8s_info_answers.py)."""
from __future__ import annotations

import copy
import json
import sys
from pathlib import Path

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.filter.posture import (
    posture_report,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "support"))
from k8s_info_answers import answer, failed, recorded_cluster  # noqa: E402  pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parents[2]
NOW = "2026-12-07T12:00:00Z"
# the rows below make one kind of the recorded cluster unreadable
BUNDLE = build_bundle({"namespaces": [{"name": "payments"}]})


def _only(kind, replacement):
    answers = recorded_cluster(BUNDLE)
    return [replacement if a["item"]["kind"] == kind else a for a in answers]


def _metadata_a_list():
    answers = recorded_cluster(BUNDLE)
    for a in answers:
        if a["item"]["kind"] == "ClusterPolicy":
            a["resources"] = copy.deepcopy(a["resources"])
            a["resources"][0]["metadata"] = [None]   # hypothesis found this one (AttributeError)
    return answers


UNREAD = {
    "policy_reports_call_failed": (_only("PolicyReport", failed(
        "wgpolicyk8s.io/v1alpha2", "PolicyReport", "Unauthorized")), "PolicyReport"),
    "cluster_policy_metadata_a_list": (_metadata_a_list(), "ClusterPolicy"),
    "namespaces_resources_a_mapping": (
        _only("Namespace", dict(answer("v1", "Namespace"), resources={"items": []})),
        "Namespace"),
    "validating_policies_no_api_found_key": (_only("ValidatingPolicy", {
        "item": {"api_version": "policies.kyverno.io/v1", "kind": "ValidatingPolicy"},
        "changed": False}), "ValidatingPolicy"),
}


@pytest.mark.parametrize("answers, kind", UNREAD.values(), ids=UNREAD.keys())
def test_fail_open_row_posture_cluster_kind_unread(answers, kind):
    cluster = posture_report({}, bundle=BUNDLE, generated=NOW, live=answers)["cluster"]
    assert [u["kind"].split(" ")[1] for u in cluster["unread"]] == [kind]
    assert cluster["cells"]["admit"] in ("fail", "unknown")
    assert [c for c in cluster["checks"] if c["control"] == "admit.live"][0]["status"] == "fail"


PREVIOUS = {
    "schema_3": ('{"schema_version": 3}', "reads posture reports of schema 1, 2"),
    "schema_as_text": ('{"schema_version": "2"}', "schema_version '2'"),
    "schema_2_broken": ('{"schema_version": 2, "nodes": "x"}', "the previous report: "),
    "not_json": ("<html>", "not valid JSON"),
    "schema_1_cells_a_list": (json.dumps({"schema_version": 1, "generated": "x", "nodes": [
        {"name": "a", "cells": []}], "images": [], "cluster": None}), "cells is a list"),
}


@pytest.mark.parametrize("text, message", PREVIOUS.values(), ids=PREVIOUS.keys())
def test_fail_open_row_posture_previous_report_refused(text, message, tmp_path):
    path = tmp_path / "posture.json"
    path.write_text(text)
    with pytest.raises(AnsibleFilterError, match=message):
        posture_report({}, bundle=BUNDLE, generated=NOW, previous=str(path))
