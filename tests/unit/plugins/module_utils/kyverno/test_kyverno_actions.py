# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""kyverno/actions.policy_actions: what each policy of a bundle does, under both engines, with
each API's defaults, and a clear refusal of a bundle it cannot read in one way (issue 23)."""
from __future__ import annotations

import copy
from pathlib import Path

import pytest
from admit_support import TEST_KEYS
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    actions as kyverno_actions,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    admission,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    controls as kyverno_controls,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)

ROOT = Path(__file__).resolve().parents[5]
policy_actions = kyverno_actions.policy_actions
BundleError = kyverno_actions.BundleError
POD_SECURITY = {"default_action": "Audit",
                "actions": {"disallow_privileged_containers": "Deny",
                            "disallow_host_namespaces": ["Warn", "Audit"],
                            "restrict_seccomp": ["Audit", "Deny"],
                            "disallow_host_path": "Warn"}}
IMAGES = {"public_keys": [TEST_KEYS[0]], "image_globs": ["registry.example.com/*"],
          "action": ["Audit", "Warn"]}


def _bundle(engine, **more):
    return kyverno_builders.build_bundle({"engine": engine, "pod_security": POD_SECURITY,
                                          "namespaces": [{"name": "payments"}], **more})


def _expected(settings_dict):
    settings = kyverno_settings.Settings.from_dict(settings_dict)
    return {settings.policy_name(c): settings.pod_security.actions_for(c)
            for c in settings.pod_security.controls()}


@pytest.mark.parametrize("engine", ["kyverno", "native"])
def test_every_pod_security_policy_has_its_settings_actions(engine):
    found = policy_actions(_bundle(engine))
    assert found == _expected({"pod_security": POD_SECURITY})
    assert len(found) == len(kyverno_controls.POD_SECURITY_CONTROLS)
    assert found["bulwark-disallow-host-namespaces"] == ("Audit", "Warn")
    assert found["bulwark-restrict-seccomp"] == ("Audit", "Deny")


def test_both_engines_give_the_same_answer():
    kyverno, native = _bundle("kyverno"), _bundle("native")
    assert {m["kind"] for m in native} >= {"ValidatingAdmissionPolicy",
                                           "ValidatingAdmissionPolicyBinding"}
    assert "ValidatingPolicy" not in {m["kind"] for m in native}
    assert policy_actions(kyverno) == policy_actions(native)
    images = {"image_verification": IMAGES}
    assert policy_actions(_bundle("kyverno", **images)) == policy_actions(
        _bundle("native", **images))


@pytest.mark.parametrize("action, legacy, expected", [
    (["Audit", "Warn"], False, ("Audit", "Warn")),
    ("Deny", False, ("Deny",)),
    (["Audit", "Warn"], True, ("Audit", "Warn")),     # failureAction Audit + emitWarning
    ("Audit", True, ("Audit",)),
    ("Deny", True, ("Deny",)),                        # failureAction Enforce
    (["Audit", "Deny"], True, ("Deny",)),             # the legacy kind has no Audit + Enforce
    ("Warn", True, ("Audit", "Warn")),                # ... nor Warn without Audit
])
def test_image_policy_either_kind(action, legacy, expected):
    images = dict(IMAGES, action=action, legacy_cluster_policy=legacy)
    bundle = _bundle("native", image_verification=images)
    assert policy_actions(bundle)["bulwark-verify-image-signatures"] == expected


def _doc(kind, name, spec):
    return {"apiVersion": "x/v1", "kind": kind, "metadata": {"name": name}, "spec": spec}


def _vap(name="p"):
    return _doc("ValidatingAdmissionPolicy", name, {"validations": [{"expression": "true"}]})


def _binding(policy="p", actions=("Audit",), name=None):
    spec = {"policyName": policy}
    if actions is not None:
        spec["validationActions"] = list(actions)
    return _doc("ValidatingAdmissionPolicyBinding", name or policy, spec)


def _rule(**entry):
    return {"name": "r", "verifyImages": [entry]}


API_DEFAULTS = {
    "kyverno_policy_without_actions_denies": (
        [_doc("ValidatingPolicy", "p", {"validations": []})], ("Deny",)),
    "kyverno_policy_with_empty_actions_denies": (
        [_doc("ValidatingPolicy", "p", {"validationActions": []})], ("Deny",)),
    "image_policy_without_actions_denies": (
        [_doc("ImageValidatingPolicy", "p", {})], ("Deny",)),
    "native_policy_without_binding_does_nothing": ([_vap()], ()),
    "binding_before_its_policy": ([_binding(actions=["Warn"]), _vap()], ("Warn",)),
    "two_agreeing_bindings": (
        [_vap(), _binding(actions=["Warn", "Audit"]),
         _binding(actions=["Audit", "Warn"], name="p-2")], ("Audit", "Warn")),
    "cluster_policy_spec_action": (
        [_doc("ClusterPolicy", "p", {"validationFailureAction": "Enforce",
                                     "rules": [_rule()]})], ("Deny",)),
    "cluster_policy_lower_case_spelling": (
        [_doc("ClusterPolicy", "p", {"validationFailureAction": "enforce",
                                     "rules": [_rule()]})], ("Deny",)),
    "cluster_policy_default_audit": ([_doc("ClusterPolicy", "p", {"rules": [_rule()]})],
                                     ("Audit",)),
    "cluster_policy_rule_overrides_spec": (
        [_doc("ClusterPolicy", "p", {"validationFailureAction": "Audit",
                                     "rules": [_rule(failureAction="Enforce")]})], ("Deny",)),
    "cluster_policy_validate_rule": (
        [_doc("ClusterPolicy", "p", {"rules": [{"name": "v", "validate": {
            "failureAction": "Audit"}}], "emitWarning": True})], ("Audit", "Warn")),
    "cluster_policy_enforce_ignores_emit_warning": (
        [_doc("ClusterPolicy", "p", {"emitWarning": True,
                                     "rules": [_rule(failureAction="Enforce")]})], ("Deny",)),
    "cluster_policy_mutate_only": (
        [_doc("ClusterPolicy", "p", {"rules": [{"name": "m", "mutate": {}}]})], ()),
}


@pytest.mark.parametrize("bundle, expected", API_DEFAULTS.values(), ids=API_DEFAULTS.keys())
def test_api_defaults(bundle, expected):
    assert policy_actions(bundle) == {"p": expected}


def test_other_kinds_are_not_policies():
    bundle = _bundle("native")
    names = set(policy_actions(bundle))
    assert not names & {m["metadata"]["name"] for m in bundle
                        if m["kind"] in ("Namespace", "NetworkPolicy")}
    assert policy_actions([]) == {}


REFUSED = {
    "bundle_a_mapping": ({"kind": "List"}, "not a list of manifests"),
    "manifest_a_string": (["ValidatingPolicy"], "bundle[0] is a str, not a manifest"),
    "policy_without_name": ([{"kind": "ValidatingPolicy", "metadata": {}, "spec": {}}],
                            "metadata.name must be a non-empty string"),
    "spec_a_list": ([_doc("ValidatingPolicy", "p", [])], "spec is a list, not a mapping"),
    "binding_names_no_policy": ([_vap(), _binding(policy="q")],
                                "binds 'q', which is no ValidatingAdmissionPolicy"),
    "binding_names_a_kyverno_policy": (
        [_doc("ValidatingPolicy", "p", {}), _binding()],
        "binds 'p', which is no ValidatingAdmissionPolicy"),
    "binding_without_policy_name": ([_vap(), _binding(policy="")], "spec.policyName must name"),
    "binding_without_actions": ([_vap(), _binding(actions=None)],
                                "spec.validationActions is required"),
    "binding_with_empty_actions": ([_vap(), _binding(actions=[])],
                                   "spec.validationActions is required"),
    "bindings_disagree": ([_vap(), _binding(actions=["Deny"]),
                           _binding(actions=["Audit"], name="p-audit")],
                          "its bindings disagree"),
    "unknown_action": ([_vap(), _binding(actions=["Enforce"])], "'Enforce' is not in"),
    "actions_a_string": ([_doc("ValidatingPolicy", "p", {"validationActions": "Deny"})],
                         "validationActions is 'Deny', not a list"),
    "repeated_action": ([_doc("ValidatingPolicy", "p", {"validationActions": ["Audit",
                                                                              "Audit"]})],
                        "'Audit' twice"),
    "deny_with_warn": ([_vap(), _binding(actions=["Deny", "Warn"])],
                       "Deny and Warn not together"),
    "actions_on_the_native_policy": (
        [_doc("ValidatingAdmissionPolicy", "p", {"validationActions": ["Deny"]})],
        "validationActions belong on its ValidatingAdmissionPolicyBinding"),
    "two_policies_one_name": ([_doc("ValidatingPolicy", "p", {}), _vap()],
                              "a second policy named 'p'"),
    "cluster_policy_rules_disagree": (
        [_doc("ClusterPolicy", "p", {"rules": [_rule(failureAction="Enforce"), _rule()]})],
        "its rules disagree"),
    "cluster_policy_unknown_action": (
        [_doc("ClusterPolicy", "p", {"rules": [_rule(failureAction="Deny")]})],
        "failureAction 'Deny' is not Audit or Enforce"),
    "cluster_policy_per_namespace": (
        [_doc("ClusterPolicy", "p", {"validationFailureActionOverrides": [
            {"action": "Enforce", "namespaces": ["prod"]}], "rules": [_rule()]})],
        "actions per namespace"),
    "cluster_policy_rules_a_mapping": ([_doc("ClusterPolicy", "p", {"rules": {}})],
                                       "spec.rules is not a list"),
}


@pytest.mark.parametrize("bundle, message", REFUSED.values(), ids=REFUSED.keys())
def test_fail_closed_row_policy_actions_refuses(bundle, message):
    with pytest.raises(BundleError) as caught:
        policy_actions(bundle)
    assert message in str(caught.value)
    assert isinstance(caught.value, ValueError)


def test_refusal_names_the_manifest():
    bundle = copy.deepcopy(_bundle("native"))
    binding = next(m for m in bundle if m["kind"] == "ValidatingAdmissionPolicyBinding")
    binding["spec"]["policyName"] = "bulwark-nothing"
    with pytest.raises(BundleError) as caught:
        policy_actions(bundle)
    index = bundle.index(binding)
    assert str(caught.value).startswith(
        f"bundle[{index}] (ValidatingAdmissionPolicyBinding {binding['metadata']['name']!r})")


PRIVILEGED = admission.load_documents(
    (ROOT / "playbooks/lab/files/admit/privileged-pod.yaml").read_text())


@pytest.mark.parametrize("engine", ["kyverno", "native"])
def test_admission_reports_policy_actions(engine):
    """The admission check's actions per policy are policy_actions', under both engines."""
    pods = PRIVILEGED
    bundle = _bundle(engine)
    report = admission.evaluate(bundle, pods)
    (resource,) = report["resources"]
    seen = {p["policy"]: tuple(p["actions"]) for p in resource["policies"]}
    assert seen and set(seen) <= set(policy_actions(bundle))
    assert seen == {name: policy_actions(bundle)[name] for name in seen}
    assert resource["allowed"] is False      # disallow_privileged_containers: Deny


def test_admission_skips_an_unbound_native_policy_and_refuses_a_stray_binding():
    pods = PRIVILEGED
    bundle, name = _bundle("native"), "bulwark-disallow-privileged-containers"
    unbound = [m for m in bundle if not (m["kind"] == "ValidatingAdmissionPolicyBinding"
                                         and m["spec"]["policyName"] == name)]
    (resource,) = admission.evaluate(unbound, pods)["resources"]
    assert name not in {p["policy"] for p in resource["policies"]}
    assert resource["allowed"] is True       # the one Deny policy is no longer bound
    stray = [m for m in bundle if m["kind"] != "ValidatingAdmissionPolicy"
             or m["metadata"]["name"] != name]
    with pytest.raises(admission.AdmissionError, match="the policy bundle: bundle.*binds "
                                                       "'bulwark-disallow-privileged-containers'"):
        admission.evaluate(stray, pods)
