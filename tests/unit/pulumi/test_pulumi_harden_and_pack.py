# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""``bulwark_platform.harden_props`` and the CrossGuard pack's validation functions, on
Kyverno's pss-tests manifests (tests/fixtures/kyverno/pss-tests).

The pack's functions are called as CrossGuard calls them (``validate(args, report_violation)``,
with ``args.get_config()`` the policy's configuration) and must report a violation exactly
where Kyverno's recorded verdict is ``fail``. pulumi_policy itself (pulumi/policy/__main__.py)
is imported in the pack's own virtualenv (test_pulumi_venvs.py): its pin needs protobuf 5, the
dev venv has 6 (see pulumi/policy/requirements.txt).
"""
from __future__ import annotations

import copy
import json
import sys
from types import SimpleNamespace

import jsonschema
import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    crossguard,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    KYVERNO_LIBRARY_EQUIVALENT,
)
from pulumi_harness import PULUMI_DIR

sys.path.insert(0, str(PULUMI_DIR / "policy"))
import pack  # noqa: E402  (pulumi/policy/pack.py)
from bulwark_platform import hardening as harden_module  # noqa: E402

UPSTREAM_TO_CONTROL = {v: k for k, v in KYVERNO_LIBRARY_EQUIVALENT.items()}
LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)   # libyaml: 865 manifests, fast
TOKENS = {"Pod": "kubernetes:core/v1:Pod", "Deployment": "kubernetes:apps/v1:Deployment",
          "CronJob": "kubernetes:batch/v1:CronJob"}


@pytest.fixture(scope="module")
def pss(shared_fixtures):
    """[(upstream policy, expected, resource)] from every pss-tests directory."""
    out = []
    for directory in sorted((shared_fixtures / "kyverno" / "pss-tests").iterdir()):
        test = yaml.load((directory / "kyverno-test.yaml").read_text(), Loader=LOADER)
        docs = {(d["kind"], d["metadata"]["name"]): d
                for d in yaml.load_all((directory / "resource.yaml").read_text(), Loader=LOADER)
                if d}
        for result in test["results"]:
            out += [(result["policy"], result["result"].strip(), docs[(result["kind"], n)])
                    for n in result["resources"]]
    assert len(out) > 800
    return out


@pytest.fixture(scope="module")
def validators():
    """The pod security policies of the pack (its image rules are off by default and tested
    with the settings that enable them, test_pulumi_policy_pack_grpc.py)."""
    return {p.control: (p, p.validate) for p in pack.policies()
            if p.control not in crossguard.IMAGE_RULE_KEYS}


def messages(control: str) -> list[str]:
    """Every message the control's validations can report (under the default settings)."""
    return [v["message"] for v in pack._validations(control, "{}")[1]]


def check(validate, resource: dict, config=None) -> list[str]:
    """What CrossGuard reports for one resource: inputs only, the policy's configuration."""
    reported = []
    props = {k: v for k, v in resource.items() if k != "kind"}
    validate(SimpleNamespace(resource_type=TOKENS[resource["kind"]], props=props,
                             get_config=lambda: config), reported.append)
    return reported


def test_pack_reaches_kyvernos_verdicts(pss, validators):
    wrong = []
    for upstream, expected, resource in pss:
        policy, validate = validators[UPSTREAM_TO_CONTROL[upstream]]
        reported = check(validate, resource)
        if ("fail" if reported else "pass") != expected:
            wrong.append(f"{upstream} {resource['kind']}/{resource['metadata']['name']}")
        assert all(m in messages(policy.control) for m in reported)
    assert not wrong, wrong


def test_pack_config_is_pulumi_policys_and_comes_from_the_settings():
    """A stack's settings, as the policy pack config file render.py writes: Deny is mandatory,
    a disabled control disabled, the rest advisory; the properties a control reads."""
    settings = {"pod_security": {"default_action": "Audit",
                                 "actions": {"disallow_host_path": "Deny"},
                                 "disabled_controls": ["restrict_sysctls"],
                                 "allowed_capabilities": ["NET_BIND_SERVICE", "CHOWN"]},
                "excluded_namespaces": ["legacy"]}
    config = crossguard.pack_config(settings)
    names = {p.name for p in pack.policies()}
    assert set(config) == names and len(names) == len(pack.policies())
    assert config["bulwark-disallow-host-path"] == {
        "enforcementLevel": "mandatory",
        "excludedNamespaces": ["kube-system", "kyverno", "falco", "legacy"]}
    assert config["bulwark-restrict-volume-types"]["enforcementLevel"] == "advisory"
    assert config["bulwark-restrict-sysctls"]["enforcementLevel"] == "disabled"
    assert config["bulwark-restrict-added-capabilities"]["allowedCapabilities"] == [
        "NET_BIND_SERVICE", "CHOWN"]
    assert set(config["bulwark-restrict-seccomp"]) == {
        "enforcementLevel", "excludedNamespaces", "seccompProfileTypes"}
    # every entry is valid under the policy's own schema (what the Pulumi CLI checks)
    for policy in pack.policies():
        schema = {"type": "object", "additionalProperties": False,
                  "properties": {**policy.config_schema["properties"],
                                 "enforcementLevel": {"enum": list(crossguard.ENFORCEMENT_LEVELS)}}}
        jsonschema.validate(config[policy.name], schema)
    assert pack.initial_config() == crossguard.pack_config({})
    levels = {name: c["enforcementLevel"] for name, c in pack.initial_config().items()}
    images = {crossguard.policy_name(r) for r in crossguard.IMAGE_RULE_KEYS}
    assert {level for name, level in levels.items() if name not in images} == {"advisory"}
    assert {levels[name] for name in images} == {"disabled"}     # image rules: opt in


def test_validate_reads_its_configuration():
    by_control = {p.control: p.validate for p in pack.policies()}
    pod = {"kind": "Pod", "metadata": {"name": "p", "namespace": "payments"},
           "spec": {"containers": [{"name": "c", "securityContext": {
               "capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}}}],
               "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}
    assert check(by_control["disallow_host_path"], pod) == [
        "HostPath volumes are disallowed: spec.volumes[*].hostPath must be unset."]
    assert check(by_control["restrict_added_capabilities"], pod)
    assert check(by_control["restrict_added_capabilities"], pod,
                 {"enforcementLevel": "advisory", "allowedCapabilities": ["CHOWN"]}) == []
    excluded = {"excludedNamespaces": ["payments"]}
    assert check(by_control["disallow_host_path"], pod, excluded) == []
    ignored = []
    config_map = SimpleNamespace(resource_type="kubernetes:core/v1:ConfigMap", props={},
                                 get_config=lambda: None)
    by_control["disallow_host_path"](config_map, ignored.append)
    assert ignored == []


@pytest.mark.parametrize(("control", "config", "message"), [
    ("restrict_added_capabilities", {"allowedCapabilities": ["chown"]},
     "bulwark-restrict-added-capabilities.allowedCapabilities[0]: 'chown' is not valid"),
    ("restrict_seccomp", {"seccompProfileTypes": ["Unconfined"]},
     "bulwark-restrict-seccomp.seccompProfileTypes[0]: 'Unconfined' is not valid"),
    ("disallow_host_path", {"excludedNamespaces": "kube-system"},
     "bulwark-disallow-host-path.excludedNamespaces: 'kube-system' is a string; a list is "
     "required"),
    ("disallow_host_path", {"excludedNamespaces": None},
     "bulwark-disallow-host-path.excludedNamespaces: None is null; a list is required"),
    ("disallow_host_path", ["not", "a", "mapping"],
     "bulwark-disallow-host-path: the configuration is a list, not a mapping"),
])
def test_a_bad_configuration_is_refused_naming_policy_and_property(control, config, message):
    validate = {p.control: p.validate for p in pack.policies()}[control]
    pod = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {"containers": [{"name": "c"}]}}
    with pytest.raises(crossguard.CrossGuardConfigError) as refused:
        check(validate, pod, config)
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_rendered_config_changes_what_the_pack_allows():
    """Settings that change a control's validations (seccomp types) reach the pack through the
    config render.py writes: what the defaults allow, that config refuses."""
    settings = {"pod_security": {"allowed_capabilities": ["CHOWN"],
                                 "seccomp_profile_types": ["RuntimeDefault"]}}
    config = json.loads(json.dumps(crossguard.pack_config(settings)))
    strict = crossguard.settings_for("restrict_seccomp", config["bulwark-restrict-seccomp"])
    assert strict.pod_security.seccomp_profile_types == ("RuntimeDefault",)
    by_control = {p.control: p for p in pack.policies()}
    localhost = {"kind": "Pod", "metadata": {"name": "p"}, "spec": {
        "securityContext": {"seccompProfile": {"type": "Localhost", "localhostProfile": "x"}},
        "containers": [{"name": "c"}]}}
    seccomp = by_control["restrict_seccomp"]
    assert check(seccomp.validate, localhost) == []
    assert check(seccomp.validate, localhost, config[seccomp.name])


def _leaves(value, path=()):
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _leaves(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _leaves(v, (*path, i))
    else:
        yield path, value


def _get(value, path):
    for key in path:
        value = value[key]
    return value


def test_harden_never_overrides_and_never_breaks_a_passing_resource(pss, validators):
    """On every pss-tests manifest: each value the user set is still there, unchanged; Kyverno's
    good resources still pass their control; a bad one that sets a refused value still fails
    (only the ones that merely left a field unset are fixed); a second run changes nothing."""
    changed, still_bad = 0, set()
    for upstream, expected, resource in pss:
        hardened, changes = harden_module.harden_props(resource["kind"], resource)
        changed += bool(changes)
        for path, value in _leaves(resource):
            assert _get(hardened, path) == value, (resource["metadata"]["name"], path)
        _control, validate = validators[UPSTREAM_TO_CONTROL[upstream]]
        if expected == "pass":
            assert not check(validate, hardened), (upstream, resource["metadata"]["name"])
        elif check(validate, hardened):
            still_bad.add(upstream)
        assert harden_module.harden_props(resource["kind"], hardened)[1] == []
    assert changed > 400
    # every control's refused values (hostPath, privileged: true, Unconfined, ...) stay refused
    assert still_bad == set(UPSTREAM_TO_CONTROL)


def test_harden_makes_a_bare_workload_pass_every_control(validators):
    for kind in ("Pod", "Deployment", "CronJob"):
        spec = {"containers": [{"name": "app", "image": "app:1"}],
                "initContainers": [{"name": "init", "image": "init:1"}]}
        resource = {"kind": kind, "metadata": {"name": "bare"}, "spec": spec}
        if kind == "Deployment":
            resource["spec"] = {"template": {"spec": spec}}
        if kind == "CronJob":
            resource["spec"] = {"jobTemplate": {"spec": {"template": {"spec": spec}}}}
        failing = [c.name for c, v in validators.values() if check(v, resource)]
        assert "bulwark-require-run-as-non-root" in failing
        hardened, changes = harden_module.harden_props(TOKENS[kind], resource)
        assert [c.name for c, v in validators.values() if check(v, hardened)] == []
        assert len(changes) == 2 + 2 * 3
        assert resource["spec"] != hardened["spec"]                 # the input is not mutated


def test_a_pod_spec_part_that_is_not_a_mapping_is_refused_by_name():
    with pytest.raises(harden_module.NotPlainData, match=r"\Aspec is a object, not a mapping\Z"):
        harden_module.harden_props("kubernetes:core/v1:Pod", {"spec": copy.copy(object())})
