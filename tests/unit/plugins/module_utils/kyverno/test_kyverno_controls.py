"""Pod security verdicts with real CEL engines against Kyverno's own recorded expectations.

For every test directory in ``fixtures/kyverno/pss-tests`` (copied from kyverno/policies
``pod-security-vpol``), each resource in ``resource.yaml`` (Pods, Deployments, CronJobs) is run
through OUR ValidatingPolicy for the same control, with the Python CEL engines
(common-expression-language and cel-python), and must reach exactly the pass/fail that Kyverno's
``kyverno-test.yaml`` records. Pod controllers go through the policy's ``podSpec`` variable, i.e.
the pod template, which is what Kyverno's autogen evaluates for them too; the expected results
name Deployments and CronJobs under the same policy name, as here.
"""
from __future__ import annotations

import copy

import pytest
import yaml
from admit_support import (
    ENGINES,
    UPSTREAM_TO_CONTROL,
    compare_verdicts,
    evaluate_policy,
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
    settings as kyverno_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    suites as kyverno_suites,
)


@pytest.fixture(scope="module")
def expectations(shared_fixtures):
    cases = pss_expectations(shared_fixtures)
    assert len(cases) >= 300, "the pss-tests fixtures should hold a few hundred verdicts"
    return cases


@pytest.fixture(scope="module")
def policies():
    settings = kyverno_settings.Settings.from_dict({})
    return {c: kyverno_builders.build_pod_security_policy(settings, c)
            for c in kyverno_controls.POD_SECURITY_CONTROLS}


def test_every_upstream_control_maps_to_one_of_ours(expectations):
    upstream = {policy for _directory, policy, *_rest in expectations}
    assert upstream == set(UPSTREAM_TO_CONTROL)
    kinds = {kind for _directory, _policy, kind, *_rest in expectations}
    assert kinds == {"Pod", "Deployment", "CronJob"}


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_verdicts_match_kyverno_test_expectations(expectations, policies, engine):
    compare_verdicts(expectations, lambda control, resource: verdict(policies[control], resource,
                                                                     engine))


def test_a_weakened_policy_is_caught(expectations):
    """The comparison has teeth: a seccomp policy that also allows Unconfined disagrees."""
    weak = kyverno_builders.build_pod_security_policy(kyverno_settings.Settings.from_dict({}),
                                                      "restrict_seccomp")
    for validation in weak["spec"]["validations"]:
        validation["expression"] = validation["expression"].replace(
            "'Localhost']", "'Localhost', 'Unconfined']")
    wrong = [name for _directory, upstream, _kind, name, expected, resource in expectations
             if upstream == "restrict-seccomp-strict" and verdict(weak, resource) != expected]
    assert wrong, "allowing Unconfined must flip some of Kyverno's expected failures"


def test_resources_without_pod_spec_fields_do_not_error(policies):
    """A minimal Pod (no securityContext anywhere) evaluates cleanly: every control decides."""
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "bare"},
           "spec": {"containers": [{"name": "c", "image": "busybox"}]}}
    results = {c: verdict(p, pod) for c, p in policies.items()}
    assert results == {
        "require_run_as_non_root": "fail",
        "disallow_privilege_escalation": "fail",
        "require_drop_all_capabilities": "fail",
        "restrict_added_capabilities": "pass",
        "restrict_seccomp": "fail",
        "require_read_only_root_filesystem": "fail",
        "disallow_privileged_containers": "pass",
        "disallow_host_namespaces": "pass",
        # baseline controls (and the restricted ones that allow unset fields) pass a bare pod
        **dict.fromkeys(("disallow_host_path", "disallow_host_ports", "disallow_host_process",
                         "disallow_proc_mount", "disallow_selinux", "restrict_sysctls",
                         "disallow_unconfined_seccomp", "restrict_baseline_capabilities",
                         "restrict_volume_types", "require_run_as_non_root_user",
                         "restrict_apparmor_profiles"), "pass"),
    }


@pytest.mark.parametrize("control", sorted(kyverno_controls.POD_SECURITY_CONTROLS))
def test_generated_cases_reach_their_verdicts(control):
    """Our own test cases (also the ``kyverno test`` suites) agree with the policy under CEL,
    including the read-only root filesystem control that Kyverno's PSS set does not have.
    (test_admit_schemas validates the same resources with kubernetes-validate.)"""
    settings = kyverno_settings.Settings.from_dict({})
    policy = kyverno_builders.build_pod_security_policy(settings, control)
    cases = kyverno_suites.build_test_cases(settings, control)
    assert {v for _resource, v in cases} == {"pass", "fail"}
    for resource, expected in cases:
        for engine in ENGINES:
            assert verdict(policy, resource, engine) == expected, (control, engine, resource)


def test_read_only_root_filesystem_checks_every_container_kind():
    settings = kyverno_settings.Settings.from_dict({})
    policy = kyverno_builders.build_pod_security_policy(settings,
                                                        "require_read_only_root_filesystem")
    good = kyverno_suites.build_test_cases(settings, "require_read_only_root_filesystem")[0][0]
    assert good["kind"] == "Pod" and verdict(policy, good) == "pass"
    debug = copy.deepcopy(good)
    debug["spec"]["ephemeralContainers"] = [{"name": "debug", "image": "busybox"}]
    assert verdict(policy, debug) == "fail"


def test_allowed_capabilities_and_seccomp_types_come_from_settings():
    settings = kyverno_settings.Settings.from_dict({"pod_security": {
        "allowed_capabilities": ["NET_BIND_SERVICE", "CHOWN"],
        "seccomp_profile_types": ["RuntimeDefault"]}})
    caps = kyverno_builders.build_pod_security_policy(settings, "restrict_added_capabilities")
    seccomp = kyverno_builders.build_pod_security_policy(settings, "restrict_seccomp")
    pod = kyverno_suites.build_test_cases(settings, "restrict_added_capabilities")[0][0]
    pod["spec"]["containers"][0]["securityContext"]["capabilities"]["add"] = ["CHOWN"]
    assert verdict(caps, pod) == "pass"
    pod["spec"]["securityContext"]["seccompProfile"] = {"type": "Localhost",
                                                        "localhostProfile": "p.json"}
    assert verdict(seccomp, pod) == "fail"
    default = kyverno_builders.build_pod_security_policy(kyverno_settings.Settings.from_dict({}),
                                                         "restrict_seccomp")
    assert verdict(default, pod) == "pass"


def test_generated_suites_are_consistent_kyverno_tests():
    suites = kyverno_suites.build_test_suites(kyverno_settings.Settings.from_dict({}))
    dirs = {path.split("/")[0] for path in suites}
    assert len(dirs) == len(kyverno_controls.POD_SECURITY_CONTROLS)
    for directory in dirs:
        test = yaml.safe_load(suites[f"{directory}/kyverno-test.yaml"])
        (policy,) = yaml.safe_load_all(suites[f"{directory}/policy.yaml"])
        resources = list(yaml.safe_load_all(suites[f"{directory}/resources.yaml"]))
        assert test["apiVersion"] == "cli.kyverno.io/v1alpha1" and test["kind"] == "Test"
        assert test["values"]["namespaceSelector"] == [{
            "name": kyverno_suites.SUITE_NAMESPACE,
            "labels": {"kubernetes.io/metadata.name": kyverno_suites.SUITE_NAMESPACE}}]
        assert test["policies"] == ["policy.yaml"] and test["resources"] == ["resources.yaml"]
        by_id = {(r["kind"], r["metadata"]["name"]): r for r in resources}
        listed = 0
        for result in test["results"]:
            assert result["policy"] == policy["metadata"]["name"] == directory
            for name in result["resources"]:
                listed += 1
                assert verdict(policy, by_id[(result["kind"], name)]) == result["result"]
        assert listed == len(resources)


def test_disabled_controls_are_left_out():
    settings = kyverno_settings.Settings.from_dict({"pod_security": {
        "disabled_controls": ["require_read_only_root_filesystem"]}})
    names = [p["metadata"]["name"] for p in kyverno_builders.build_pod_security_policies(settings)]
    assert "bulwark-require-read-only-root-filesystem" not in names
    assert len(names) == len(kyverno_controls.POD_SECURITY_CONTROLS) - 1
    assert kyverno_builders.build_pod_security_policies(
        kyverno_settings.Settings.from_dict({"pod_security": {"enabled": False}})) == []


def test_evaluator_reports_the_failing_validation(policies):
    pod = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "x"},
           "spec": {"hostPID": True, "containers": [{"name": "c", "image": "i"}]}}
    assert evaluate_policy(policies["disallow_host_namespaces"], pod) == {
        "matched": True, "failed": [0]}


@pytest.mark.parametrize("namespace", ["kube-system", "kyverno", "falco", "ci-runners"])
def test_excluded_namespaces_are_skipped(namespace):
    settings = kyverno_settings.Settings.from_dict({"excluded_namespaces": ["ci-runners"]})
    policy = kyverno_builders.build_pod_security_policy(settings, "disallow_privileged_containers")
    bad = next(r for r, v in kyverno_suites.build_test_cases(settings,
                                                             "disallow_privileged_containers")
               if v == "fail")
    assert verdict(policy, bad) == "fail"
    bad["metadata"]["namespace"] = namespace
    assert verdict(policy, bad) == "skip"


def _pod(spec: dict, annotations: dict | None = None) -> dict:
    meta = {"name": "p", **({"annotations": annotations} if annotations else {})}
    return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(("annotations", "field", "expected"), [
    (None, None, "pass"),
    ({"container.apparmor.security.beta.kubernetes.io/app": "runtime/default"}, None, "pass"),
    ({"container.apparmor.security.beta.kubernetes.io/app": "localhost/k8s-app"}, None, "pass"),
    ({"container.apparmor.security.beta.kubernetes.io/app": "unconfined"}, None, "fail"),
    ({"container.apparmor.security.beta.kubernetes.io/app": ""}, None, "fail"),
    ({"other.example/unconfined": "unconfined"}, None, "pass"),
    (None, {"type": "Unconfined"}, "fail"),
    (None, {"type": "Localhost", "localhostProfile": "p"}, "pass"),
])
def test_apparmor_reads_annotations_and_fields(engine, annotations, field, expected):
    """PSS baseline AppArmor: the annotation values and appArmorProfile.type, in each engine,
    on a Pod and on the same pod as a Deployment's template and as an ephemeral container."""
    settings = kyverno_settings.Settings.from_dict({})
    policy = kyverno_builders.build_pod_security_policy(settings, "restrict_apparmor_profiles")
    spec = {"containers": [{"name": "app", "image": "i"}]}
    if field:
        spec["ephemeralContainers"] = [{"name": "debug", "image": "i",
                                        "securityContext": {"appArmorProfile": field}}]
    assert verdict(policy, _pod(spec, annotations), engine) == expected
    template = {"metadata": {"annotations": annotations} if annotations else {}, "spec": spec}
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d"},
                  "spec": {"selector": {}, "template": template}}
    assert verdict(policy, deployment, engine) == expected


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(("selinux_types", "expected"), [
    ("pod_security_standards", "pass"), ("kyverno_policies", "fail")])
def test_selinux_container_engine_t_follows_the_chosen_list(engine, selinux_types, expected):
    """Kubernetes' PSS allow container_engine_t since v1.31; kyverno/policies' disallow-selinux
    does not: the setting picks one, and both keep refusing spc_t."""
    settings = kyverno_settings.Settings.from_dict({"pod_security": {
        "selinux_types": selinux_types}})
    policy = kyverno_builders.build_pod_security_policy(settings, "disallow_selinux")
    for where in ("pod", "container"):
        spec = {"containers": [{"name": "c", "image": "i"}]}
        options = {"seLinuxOptions": {"type": "container_engine_t"}}
        if where == "pod":
            spec["securityContext"] = options
        else:
            spec["containers"][0]["securityContext"] = options
        assert verdict(policy, _pod(spec), engine) == expected
        options["seLinuxOptions"]["type"] = "spc_t"
        assert verdict(policy, _pod(spec), engine) == "fail"
    assert ("container_engine_t" in policy["spec"]["validations"][0]["message"]) == (
        expected == "pass")


def test_selinux_types_setting_is_refused_when_unknown():
    with pytest.raises(kyverno_settings.SettingsError, match="pod_security.selinux_types"):
        kyverno_settings.Settings.from_dict({"pod_security": {"selinux_types": "strict"}})
