# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""``bulwark_platform.harden()`` and the CrossGuard pack's validation functions, on Kyverno's
pss-tests manifests (tests/fixtures/kyverno/pss-tests).

The pack's functions are called as CrossGuard calls them (``validate(args, report_violation)``)
and must report a violation exactly where Kyverno's recorded verdict is ``fail``. The transform
runs under Pulumi's mocks, registered with ``register_stack_transformation`` as a user would.
pulumi_policy itself (pulumi/policy/__main__.py) is not imported: its pin needs protobuf 5, the
dev venv has 6 (see pulumi/policy/requirements.txt).
"""
from __future__ import annotations

import copy
import sys
from types import SimpleNamespace

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    KYVERNO_LIBRARY_EQUIVALENT,
)
from pulumi_harness import PULUMI_DIR

sys.path.insert(0, str(PULUMI_DIR / "policy"))
import pack  # noqa: E402  (pulumi/policy/pack.py)
from bulwark_platform import hardening as harden_module  # noqa: E402
from bulwark_platform import pod_checks  # noqa: E402

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
    return {c.control: (c, pack.validator(c)) for c in pod_checks.controls({})}


def crossguard(validate, resource: dict) -> list[str]:
    reported = []
    props = {k: v for k, v in resource.items() if k != "kind"}   # CrossGuard: inputs only
    validate(SimpleNamespace(resource_type=TOKENS[resource["kind"]], props=props),
             reported.append)
    return reported


def test_pack_reaches_kyvernos_verdicts(pss, validators):
    wrong = []
    for upstream, expected, resource in pss:
        control, validate = validators[UPSTREAM_TO_CONTROL[upstream]]
        reported = crossguard(validate, resource)
        if ("fail" if reported else "pass") != expected:
            wrong.append(f"{upstream} {resource['kind']}/{resource['metadata']['name']}")
        assert all(m in [v["message"] for v in control.validations] for m in reported)
    assert not wrong, wrong


def test_pack_messages_and_levels_come_from_the_settings():
    settings = {"pod_security": {"default_action": "Audit",
                                 "actions": {"disallow_host_path": "Deny"},
                                 "disabled_controls": ["restrict_sysctls"]}}
    entries = {name: (description, mandatory) for name, description, mandatory, _v
               in pack.policies(settings)}
    assert entries["bulwark-disallow-host-path"] == ("Disallow hostPath volumes", True)
    assert entries["bulwark-restrict-volume-types"][1] is False
    assert "bulwark-restrict-sysctls" not in entries
    assert len(entries) == len(pod_checks.controls({})) - 1
    by_name = {n: v for n, _d, _m, v in pack.policies(settings)}
    validate = by_name["bulwark-disallow-host-path"]
    pod = {"kind": "Pod", "spec": {"containers": [{"name": "c"}],
                                   "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}
    assert crossguard(validate, pod) == [
        "HostPath volumes are disallowed: spec.volumes[*].hostPath must be unset."]
    ignored = []
    config_map = SimpleNamespace(resource_type="kubernetes:core/v1:ConfigMap", props={})
    validate(config_map, ignored.append)
    assert ignored == []


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
            assert not crossguard(validate, hardened), (upstream, resource["metadata"]["name"])
        elif crossguard(validate, hardened):
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
        failing = [c.name for c, v in validators.values() if crossguard(v, resource)]
        assert "bulwark-require-run-as-non-root" in failing
        hardened, changes = harden_module.harden_props(TOKENS[kind], resource)
        assert [c.name for c, v in validators.values() if crossguard(v, hardened)] == []
        assert len(changes) == 2 + 2 * 3
        assert resource["spec"] != hardened["spec"]                 # the input is not mutated


def test_a_pod_spec_part_that_is_not_a_mapping_is_refused_by_name():
    with pytest.raises(harden_module.NotPlainData, match=r"\Aspec is a object, not a mapping\Z"):
        harden_module.harden_props("kubernetes:core/v1:Pod", {"spec": copy.copy(object())})
