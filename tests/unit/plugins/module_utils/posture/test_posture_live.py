# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The live cluster side against recorded k8s_info answers (process boundary only: no API
server here; Kyverno's own test objects, tests/unit/support/k8s_info_answers.py)."""
from __future__ import annotations

import copy

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture import (
    live,
    report,
)
from k8s_info_answers import answer, failed, recorded_cluster

NOW = "2026-12-07T12:00:00+00:00"


@pytest.fixture
def bundle():
    return build_bundle({"namespaces": [{"name": "payments"}]})


def by_id(checks):
    return {c["id"]: c for c in checks}


def test_recorded_k8s_info_answers_read_as_the_cluster_runs(bundle):
    cluster = live.live_cluster(recorded_cluster(bundle), NOW, bundle, "kubeconfig lab")
    assert cluster["state"] == "live" and cluster["source"] == "kubeconfig lab"
    policies = {p["name"]: p["actions"] for p in cluster["policies"]}
    assert policies == {"check-deployment-labels": ["Audit"], "require-labels": ["Deny"]}
    reports = {r["policy"]: r for r in cluster["reports"]}
    assert reports["ivpol-report"]["fail"] == 1
    assert reports["ivpol-report"]["resources"] == ["Deployment test-deployment-ivpol-background"]
    assert reports["require-labels"]["skip"] == 2 and reports["require-labels"]["fail"] == 0
    exceptions = {e["name"]: e for e in cluster["exceptions"]}
    assert exceptions["expired-exception"]["expired"] is True
    assert exceptions["valid-exception"]["expired"] is False
    checks = by_id(cluster["checks"])
    assert checks["admit.violations.ivpol-report"]["status"] == "fail"
    assert checks["admit.violations.require-labels"]["status"] == "pass"
    assert checks["admit.exception.expired-exception"]["status"] == "warn"
    assert checks["admit.exception.valid-exception"]["status"] == "pass"
    assert checks["admit.image_policy.check-deployment-labels"]["status"] == "warn"
    # the bundle's policies are not in this cluster: each one is named
    drift = [c for c in cluster["checks"] if c["control"] == "admit.drift"]
    assert drift and all(c["status"] == "fail" for c in drift)
    assert cluster["unread"] == []
    # the bundle's namespace is judged as it runs (its labels came with the apply)
    assert [n["name"] for n in cluster["namespaces"]] == ["payments"]


def test_a_kind_that_could_not_be_read_is_unknown_never_none(bundle):
    answers = recorded_cluster(bundle, broken=("PolicyReport",))
    made = report.validate_report(report.build_report({}, bundle, live=answers, generated=NOW))
    cluster = made["cluster"]
    assert [u["kind"] for u in cluster["unread"]] == ["wgpolicyk8s.io/v1alpha2 PolicyReport"]
    assert "Max retries exceeded" in cluster["unread"][0]["reason"]
    unread = [c for c in cluster["checks"] if c["unread"]]
    assert [c["control"] for c in unread] == ["admit.live"] and unread[0]["status"] == "fail"
    # a fail that was read (the drift) still shows as fail; without it, unknown
    assert cluster["cells"]["admit"] == "fail"
    quiet = [a for a in answers if a["item"]["kind"] != "ClusterPolicy"]
    quiet.append(answer("kyverno.io/v1", "ClusterPolicy", []))
    alone = live.live_cluster(quiet, NOW, None)
    assert report.layer_cells(alone["checks"])["admit"] == "fail"  # no image policy: read


def test_only_unread_checks_make_the_admit_cell_unknown():
    answers = [failed(api, kind, "connection refused") for api, kind in live.LIVE_KINDS]
    cluster = live.live_cluster(answers, NOW, None)
    # nothing read: the absent image policy is not a finding that was read
    read = [c for c in cluster["checks"] if not c["unread"]]
    assert [c["control"] for c in read] == ["admit.image_signatures"]


def test_an_absent_api_is_read_as_none():
    answers = [answer(api, kind, [], api_found=False) for api, kind in live.LIVE_KINDS]
    cluster = live.live_cluster(answers, NOW, None)
    assert cluster["unread"] == [] and cluster["policies"] == []
    assert by_id(cluster["checks"])["admit.image_signatures"]["status"] == "fail"


def test_a_kind_not_asked_is_unknown(bundle):
    answers = [a for a in recorded_cluster(bundle) if a["item"]["kind"] != "Namespace"]
    cluster = live.live_cluster(answers, NOW, bundle)
    assert [u["kind"] for u in cluster["unread"]] == ["v1 Namespace"]


@pytest.mark.parametrize("bad, message", [
    ("not a list", "not the list of k8s_info results"),
    (["x"], r"answer \[0\] is a str"),
    ([{"api_found": True, "resources": []}], r"no item \{api_version, kind\}"),
    ([{"item": {"api_version": "v1", "kind": "Secret"}, "api_found": True, "resources": []}],
     "'v1 Secret' is not a kind the posture asks for"),
])
def test_answers_of_another_shape_are_refused(bad, message):
    with pytest.raises(live.LiveError, match=message):
        live.live_cluster(bad, NOW)


def test_a_resource_of_another_kind_leaves_its_kind_unknown(bundle):
    answers = recorded_cluster(bundle)
    spoofed = copy.deepcopy(answers)
    for a in spoofed:
        if a["item"]["kind"] == "ClusterPolicy":
            a["resources"][0]["kind"] = "Secret"
    cluster = live.live_cluster(spoofed, NOW, bundle)
    assert [u["kind"] for u in cluster["unread"]] == ["kyverno.io/v1 ClusterPolicy"]
    assert "require-labels" not in {p["name"] for p in cluster["policies"]}
