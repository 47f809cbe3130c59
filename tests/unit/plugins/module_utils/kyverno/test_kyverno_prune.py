# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Prune decision (module_utils/kyverno/prune.py, filters kyverno_prune_kinds / _plan).

The "cluster" is what an earlier apply left: the bundle of the earlier settings, as
kubernetes.core.k8s_info returns it (one result per listed kind, with ``resources``), plus
objects Bulwark did not create. kubernetes.core.k8s cannot run even in --check without an API
server (it asks /version first), so roles/kyverno/tasks/apply.yml is checked here for what it
feeds the decision: the kinds and the label selector.
"""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from admit_support import full_settings
from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.filter import kyverno as filters
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders,
    prune,
)

ROOT = Path(__file__).resolve().parents[5]


def listed(bundle, extra=()):
    """k8s_info results for every prunable kind over ``bundle`` + ``extra`` (Namespaces too, as
    a k8s_info of Namespaces would return them)."""
    objects = [copy.deepcopy(m) for m in bundle] + list(extra)
    kinds = [(k["api_version"], k["kind"]) for k in prune.prune_kinds()] + [("v1", "Namespace")]
    return [{"api_found": True, "resources": [o for o in objects
                                              if (o["apiVersion"], o["kind"]) == kind]}
            for kind in kinds]


def names(plan):
    return [(d["kind"], d.get("namespace", ""), d["name"]) for d in plan["delete"]]


def test_the_same_settings_prune_nothing():
    bundle = builders.build_bundle(full_settings())
    assert prune.prune_plan(bundle, listed(bundle)) == {"delete": [], "orphaned_namespaces": []}


def test_what_the_settings_dropped_is_deleted_and_namespaces_only_reported():
    before = builders.build_bundle(full_settings())
    after_settings = full_settings(namespaces=[], exceptions=[])
    after_settings["pod_security"]["disabled_controls"] = ["disallow_host_path"]
    after_settings["image_verification"] = {"enabled": False}
    plan = prune.prune_plan(builders.build_bundle(after_settings), listed(before))
    network = sorted(("NetworkPolicy", m["metadata"]["namespace"], m["metadata"]["name"])
                     for m in before if m["kind"] == "NetworkPolicy")
    assert network and names(plan) == [
        ("ImageValidatingPolicy", "", "bulwark-verify-image-signatures"),
        *network,
        ("PolicyException", "observability", "node-agent-host-network"),
        ("ValidatingPolicy", "", "bulwark-disallow-host-path"),
    ]
    assert plan["delete"][-1]["api_version"] == "policies.kyverno.io/v1"
    assert "namespace" not in plan["delete"][-1]
    assert plan["orphaned_namespaces"] == ["kube-public", "payments"]


def test_switching_engine_replaces_every_pod_security_policy():
    before = builders.build_bundle({})
    after = builders.build_bundle({"engine": "native"})
    plan = prune.prune_plan(after, listed(before))
    assert {d["kind"] for d in plan["delete"]} == {"ValidatingPolicy"}
    assert len(plan["delete"]) == 19
    back = prune.prune_plan(before, listed(after))
    assert {d["kind"] for d in back["delete"]} == {"ValidatingAdmissionPolicy",
                                                   "ValidatingAdmissionPolicyBinding"}


def test_objects_bulwark_did_not_create_are_left_alone():
    bundle = builders.build_bundle({})
    theirs = copy.deepcopy(bundle[0])
    theirs["metadata"]["name"] = "team-policy"
    del theirs["metadata"]["labels"]
    half = copy.deepcopy(bundle[1])
    half["metadata"]["name"] = "half-labelled"
    half["metadata"]["labels"] = {"app.kubernetes.io/managed-by": "bulwark"}
    other_tool = copy.deepcopy(bundle[2])
    other_tool["metadata"]["name"] = "argo-owned"
    other_tool["metadata"]["labels"]["app.kubernetes.io/managed-by"] = "argocd"
    configmap = {"apiVersion": "v1", "kind": "ConfigMap",
                 "metadata": {"name": "c", "namespace": "x", "labels": dict(prune.MANAGED_LABELS)}}
    plan = prune.prune_plan(bundle, listed(bundle, [theirs, half, other_tool]) + [configmap])
    assert plan == {"delete": [], "orphaned_namespaces": []}


def test_same_name_in_another_api_group_is_not_the_same_object():
    bundle = builders.build_bundle({})
    legacy = copy.deepcopy(bundle[0])
    legacy["apiVersion"] = "kyverno.io/v1"
    legacy["kind"] = "ClusterPolicy"
    plan = prune.prune_plan(bundle, [legacy])
    assert names(plan) == [("ClusterPolicy", "", bundle[0]["metadata"]["name"])]


def test_every_manifest_the_builders_make_is_found_by_the_selector_and_kinds():
    """What apply creates, the listing finds: every kind but Namespace is listed, and every
    manifest carries the selector's labels (engines, legacy image policy, exceptions)."""
    selector = dict(part.split("=") for part in prune.SELECTOR.split(","))
    kinds = {(k["api_version"], k["kind"]) for k in prune.prune_kinds()}
    legacy = full_settings()
    legacy["image_verification"] = {**legacy["image_verification"], "legacy_cluster_policy": True}
    native = full_settings(engine="native", exceptions=[])
    for settings in (full_settings(), native, legacy):
        for manifest in builders.build_bundle(settings):
            labels = manifest["metadata"]["labels"]
            assert {k: labels.get(k) for k in selector} == selector, manifest["metadata"]
            if manifest["kind"] != "Namespace":
                assert (manifest["apiVersion"], manifest["kind"]) in kinds


def test_filters_and_bad_input():
    bundle = builders.build_bundle({})
    kinds = filters.kyverno_prune_kinds(bundle)
    assert {k["label_selector"] for k in kinds} == {
        "app.kubernetes.io/managed-by=bulwark,app.kubernetes.io/part-of=bulwark"}
    assert filters.kyverno_prune_plan(listed(bundle), bundle)["delete"] == []
    with pytest.raises(AnsibleFilterError, match="kyverno_prune_plan: not a Kubernetes object"):
        filters.kyverno_prune_plan(["ValidatingPolicy/x"], bundle)
    with pytest.raises(AnsibleFilterError, match="must be the policy bundle"):
        filters.kyverno_prune_kinds({"kind": "List"})


def test_apply_tasks_list_with_the_filters_and_delete_the_plan():
    """The task list as written: list every prunable kind with the selector (even in --check),
    decide with the filter, delete exactly the plan; prune can be turned off."""
    tasks = yaml.safe_load((ROOT / "roles" / "kyverno" / "tasks" / "apply.yml").read_text())
    (block,) = [t for t in tasks if "block" in t]
    assert block["when"] == "kyverno_apply_prune | default(true) | bool"
    listing, decide, delete, report = block["block"]
    assert listing["loop"] == ("{{ kyverno_bundle | "
                               "bulwark.container_security.kyverno_prune_kinds }}")
    assert listing["kubernetes.core.k8s_info"]["label_selectors"] == ["{{ item.label_selector }}"]
    assert listing["check_mode"] is False
    plan = decide["ansible.builtin.set_fact"]["kyverno_prune"]
    assert "kyverno_prune_plan(kyverno_bundle)" in plan
    assert delete["kubernetes.core.k8s"]["state"] == "absent"
    assert delete["loop"] == "{{ kyverno_prune.delete }}"
    assert "orphaned_namespaces" in report["when"]
    playbook = yaml.safe_load((ROOT / "playbooks" / "cluster_policies.yml").read_text())
    role_vars = playbook[0]["roles"][0]["vars"]
    assert role_vars["kyverno_apply_prune"] == "{{ cluster_policies_prune }}"
