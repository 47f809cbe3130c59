# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the posture report's new inputs: a previous report (for the history) and the
cluster's k8s_info answers (recorded ones, tests/unit/support/k8s_info_answers.py, changed
anyhow). Invariant: refused clearly (AnsibleFilterError, one message) or a report that matches
the schema, never a traceback; a cluster with a kind it could not read never reads pass."""
from __future__ import annotations

import copy
import json
import sys
import tempfile
from pathlib import Path

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.filter.posture import (
    posture_render,
    posture_report,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.report import (
    validate_report,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from .invariants import refused_or_right
from .test_posture import GOOD, HOSTILE, VALUES, _get, _paths

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "unit" / "support"))
from k8s_info_answers import recorded_cluster  # noqa: E402  pylint: disable=wrong-import-position

ROOT = Path(__file__).resolve().parents[2]
V1 = json.loads((ROOT / "tests/fixtures/posture/report_v1.json").read_text())
BUNDLE = build_bundle({"namespaces": [{"name": "payments"}]})
NOW = "2026-12-07T12:00:00Z"
V2 = posture_report({"n": {"posture": copy.deepcopy(GOOD)}}, bundle=BUNDLE, generated=NOW)
ANSWERS = recorded_cluster(BUNDLE)
ANSWER_PATHS = _paths(ANSWERS)


def _changed(document, changes):
    doc = copy.deepcopy(document)
    for path, value in changes:
        try:
            parent = _get(doc, path[:-1])
            if isinstance(parent, (dict, list)):
                parent[path[-1]] = value
        except (KeyError, IndexError, TypeError):
            continue
    return doc


def _valid(report):
    validate_report(report)
    for fmt in ("json", "html", "markdown"):
        assert posture_render(report, fmt)


def _with_previous(previous):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "posture.json"
        path.write_text(previous if isinstance(previous, str) else json.dumps(previous))
        return posture_report({"n": {"posture": copy.deepcopy(GOOD)}}, bundle=BUNDLE,
                              generated=NOW, previous=str(path))


def _history_right(report):
    _valid(report)
    history = report["history"]
    assert [r["key"] for r in history["rows"]] == (
        [f"node:{n['name']}" for n in report["nodes"]] + ["cluster"])
    assert history["changed"] == sum(c["changed"] for r in history["rows"]
                                     for c in r["cells"].values())


@settings(max_examples=60, deadline=None)
@given(st.sampled_from([V1, V2]), st.lists(st.tuples(
    st.sampled_from(_paths(V1) + _paths(V2)), VALUES), min_size=1, max_size=3))
def test_a_previous_report_changed_anyhow_is_refused_or_read(base, changes):
    previous = _changed(base, changes)
    refused_or_right(lambda: _with_previous(previous), AnsibleFilterError, _history_right)


@settings(max_examples=40, deadline=None)
@given(VALUES | HOSTILE)
def test_any_json_as_previous_report_is_refused_or_read(document):
    refused_or_right(lambda: _with_previous(document), AnsibleFilterError, _history_right)


def _cluster_right(report):
    _valid(report)
    cluster = report["cluster"]
    assert cluster["state"] == "live"
    if cluster["unread"]:
        assert cluster["cells"]["admit"] in ("fail", "unknown"), cluster["unread"]


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(ANSWER_PATHS), VALUES), min_size=1, max_size=4))
def test_k8s_info_answers_changed_anyhow_are_refused_or_judged(changes):
    answers = _changed(ANSWERS, changes)
    refused_or_right(lambda: posture_report({}, bundle=BUNDLE, generated=NOW, live=answers),
                     AnsibleFilterError, _cluster_right)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.fixed_dictionaries({
    "item": st.sampled_from([a["item"] for a in ANSWERS]),
    "api_found": st.booleans() | VALUES,
    "resources": st.lists(VALUES, max_size=3) | VALUES,
    "failed": st.booleans(), "msg": HOSTILE}), max_size=6))
def test_answers_of_any_shape_are_refused_or_judged(answers):
    refused_or_right(lambda: posture_report({}, bundle=BUNDLE, generated=NOW, live=answers),
                     AnsibleFilterError, _cluster_right)
