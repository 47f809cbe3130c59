# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""``engine: native``: the pod security controls as ValidatingAdmissionPolicy + binding.

The native policies are derived from the Kyverno ones (native.py); here they must validate with
kubernetes-validate (strict) at Kubernetes 1.30, the first minor with the v1 API, and reach
Kyverno's recorded verdicts on the pss-tests resources with CEL that is given ``object`` alone.
"""
from __future__ import annotations

import kubernetes_validate
import pytest
from admit_support import (
    ENGINES,
    compare_verdicts,
    native_verdict,
    pss_expectations,
    verdict,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    controls as kyverno_controls,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    native as kyverno_native,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    suites as kyverno_suites,
)

NATIVE = kyverno_settings.Settings.from_dict({
    "engine": "native",
    "excluded_namespaces": ["ci-runners"],
    "pod_security": {"default_action": "Audit",
                     "actions": {"disallow_privileged_containers": "Deny",
                                 "disallow_host_namespaces": ["Warn", "Audit"]}}})
BUNDLE = kyverno_builders.build_bundle(NATIVE)
POLICIES = {p["metadata"]["annotations"]["bulwark.io/control"]: p for p in BUNDLE
            if p["kind"] == "ValidatingAdmissionPolicy"}
BINDINGS = {b["spec"]["policyName"]: b for b in BUNDLE
            if b["kind"] == "ValidatingAdmissionPolicyBinding"}


def test_one_policy_and_binding_per_control_and_no_kyverno_kind():
    assert set(POLICIES) == set(kyverno_controls.POD_SECURITY_CONTROLS)
    assert set(BINDINGS) == {p["metadata"]["name"] for p in POLICIES.values()}
    assert {m["apiVersion"] for m in BUNDLE} == {kyverno_native.NATIVE_API}
    deny = BINDINGS["bulwark-disallow-privileged-containers"]["spec"]["validationActions"]
    assert deny == ["Deny"]
    assert POLICIES["disallow_privileged_containers"]["spec"]["failurePolicy"] == "Fail"
    warn = BINDINGS["bulwark-disallow-host-namespaces"]["spec"]["validationActions"]
    assert warn == ["Audit", "Warn"]
    assert POLICIES["disallow_host_namespaces"]["spec"]["failurePolicy"] == "Ignore"


@pytest.mark.parametrize("manifest", BUNDLE, ids=lambda m: f"{m['kind']}/{m['metadata']['name']}")
def test_validates_strictly_at_the_first_kubernetes_with_the_v1_api(manifest):
    kubernetes_validate.validate(manifest, kyverno_native.NATIVE_MIN_KUBERNETES, strict=True)


def test_strict_validation_has_teeth():
    policy = {**POLICIES["disallow_host_path"]}
    policy["spec"] = {**policy["spec"], "validationActions": ["Deny"]}  # belongs on the binding
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(policy, kyverno_native.NATIVE_MIN_KUBERNETES, strict=True)


def test_expressions_read_only_object():
    for policy in POLICIES.values():
        assert "variables" not in policy["spec"]
        for validation in policy["spec"]["validations"]:
            assert "variables." not in validation["expression"]
            assert "object." in validation["expression"]


def test_verdicts_match_kyverno_test_expectations(shared_fixtures):
    """Rust CEL (common-expression-language) on every recorded resource; cel-python evaluates
    the generated cases below (on all 300+ here it would add half a minute to CI)."""
    compare_verdicts(pss_expectations(shared_fixtures),
                     lambda control, resource: native_verdict(POLICIES[control], resource))


@pytest.mark.parametrize("control", sorted(kyverno_controls.POD_SECURITY_CONTROLS))
def test_generated_cases_reach_the_same_verdict_natively_and_in_kyverno(control):
    kyverno_policy = kyverno_builders.build_pod_security_policy(NATIVE, control)
    for resource, expected in kyverno_suites.build_test_cases(NATIVE, control):
        assert verdict(kyverno_policy, resource) == expected
        for engine in ENGINES:
            got = native_verdict(POLICIES[control], resource, engine)
            assert got == expected, (engine, resource)
    resource["metadata"]["namespace"] = "ci-runners"
    assert native_verdict(POLICIES[control], resource) == "skip"


def test_kyverno_variables_are_not_available():
    """The evaluator really gives ``object`` alone: a Kyverno expression cannot run there."""
    kyverno_policy = kyverno_builders.build_pod_security_policy(NATIVE, "disallow_host_path")
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}
    with pytest.raises(Exception):  # noqa: B017 - each engine raises its own error type
        native_verdict(kyverno_policy, pod)


def test_inlining_resolves_variables_in_order():
    variables = [{"name": "a", "expression": "object.spec"},
                 {"name": "b", "expression": "variables.a.x"}]
    assert kyverno_native.inline_variables("variables.b + variables.ab", variables + [
        {"name": "ab", "expression": "1"}]) == "((object.spec).x) + (1)"


def test_native_suites_are_kyverno_tests_of_admission_policies():
    suites = kyverno_suites.build_test_suites(NATIVE)
    test = suites["bulwark-disallow-host-path/kyverno-test.yaml"]
    assert "isValidatingAdmissionPolicy: true" in test and "isValidatingPolicy" not in test
    policy = suites["bulwark-disallow-host-path/policy.yaml"]
    assert "kind: ValidatingAdmissionPolicyBinding" in policy


def test_engine_is_checked():
    with pytest.raises(kyverno_settings.SettingsError, match="engine: 'gatekeeper'"):
        kyverno_settings.Settings.from_dict({"engine": "gatekeeper"})
    with pytest.raises(kyverno_settings.SettingsError, match=r"exceptions\[0\]\.policies"):
        kyverno_settings.Settings.from_dict({"engine": "native", "exceptions": [{
            "name": "x", "namespace": "a", "policies": ["disallow_host_path"],
            "workloads": ["w"], "expires_at": "2027-01-01T00:00:00Z"}]})
