# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""`kyverno test` suites: for every pod security policy, compliant and non-compliant Pods,
Deployments and CronJobs with the verdicts Kyverno must reach.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_pod_security_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    NAMESPACE_NAME_LABEL,
)


def _compliant_pod_spec() -> dict:
    return {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "app",
            "image": "registry.example.com/team/app:1.0",
            "securityContext": {"allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}},
        }],
    }


def _container(spec: dict) -> dict:
    return spec["containers"][0]["securityContext"]


def _with_init(spec: dict, **security) -> dict:
    init = {"name": "init", "image": "registry.example.com/team/init:1.0",
            "securityContext": {**_container(_compliant_pod_spec()), **security}}
    spec["initContainers"] = [init]
    return spec


def _variants(control: str, settings: Settings) -> tuple[list, list]:
    """(good, bad) lists of functions turning a compliant pod spec into a test case."""
    ps = settings.pod_security

    def set_pod(**kv):
        return lambda s: (s["securityContext"].update(kv), s)[1]

    def set_container(**kv):
        return lambda s: (_container(s).update(kv), s)[1]

    def drop_pod(key):
        return lambda s: (s["securityContext"].pop(key), s)[1]

    def drop_container(key):
        return lambda s: (_container(s).pop(key), s)[1]

    same = [lambda s: s]
    if control == "require_run_as_non_root":
        good = same + [lambda s: set_container(runAsNonRoot=True)(drop_pod("runAsNonRoot")(s))]
        bad = [set_pod(runAsNonRoot=False), set_container(runAsNonRoot=False),
               drop_pod("runAsNonRoot"), lambda s: _with_init(s, runAsNonRoot=False)]
    elif control == "disallow_privilege_escalation":
        good = same
        bad = [set_container(allowPrivilegeEscalation=True),
               drop_container("allowPrivilegeEscalation"),
               lambda s: _with_init(s, allowPrivilegeEscalation=True)]
    elif control == "require_drop_all_capabilities":
        good = same + [set_container(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})]
        bad = [drop_container("capabilities"), set_container(capabilities={"drop": ["NET_RAW"]}),
               lambda s: _with_init(s, capabilities={"add": ["CHOWN"]})]
    elif control == "restrict_added_capabilities":
        good = same + [set_container(capabilities={"drop": ["ALL"],
                                                   "add": list(ps.allowed_capabilities)})]
        bad = [set_container(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
               set_container(capabilities={"drop": ["ALL"],
                                           "add": [*ps.allowed_capabilities, "NET_RAW"]}),
               lambda s: _with_init(s, capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]})]
    elif control == "restrict_seccomp":
        good = [set_pod(seccompProfile={"type": t, **({"localhostProfile": "profiles/app.json"}
                                                      if t == "Localhost" else {})})
                for t in ps.seccomp_profile_types]
        good.append(lambda s: set_container(seccompProfile={"type": ps.seccomp_profile_types[0]})(
            drop_pod("seccompProfile")(s)))
        bad = [set_pod(seccompProfile={"type": "Unconfined"}), drop_pod("seccompProfile"),
               set_container(seccompProfile={"type": "Unconfined"})]
    elif control == "require_read_only_root_filesystem":
        good = same
        bad = [set_container(readOnlyRootFilesystem=False),
               drop_container("readOnlyRootFilesystem"),
               lambda s: _with_init(s, readOnlyRootFilesystem=False)]
    elif control == "disallow_privileged_containers":
        good = same + [set_container(privileged=False)]
        bad = [set_container(privileged=True), lambda s: _with_init(s, privileged=True)]
    elif control == "disallow_host_namespaces":
        good = same + [lambda s: {**s, "hostNetwork": False, "hostPID": False, "hostIPC": False}]
        bad = [lambda s, f=f: {**s, f: True} for f in ("hostNetwork", "hostPID", "hostIPC")]
    else:
        raise KeyError(control)
    return good, bad


def _wrap(kind: str, name: str, spec: dict) -> dict:
    meta = {"name": name, "namespace": SUITE_NAMESPACE, "labels": {"app": name}}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    template = {"metadata": {"labels": {"app": name}}, "spec": spec}
    if kind == "Deployment":
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                "spec": {"selector": {"matchLabels": {"app": name}}, "template": template}}
    template["spec"] = {**spec, "restartPolicy": "OnFailure"}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
            "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}}


SUITE_KINDS = ("Pod", "Deployment", "CronJob")
SUITE_NAMESPACE = "bulwark-policy-tests"


def build_test_cases(settings: Settings, control: str) -> list[tuple[dict, str]]:
    """[(resource, 'pass'|'fail')] for one control: every variant as Pod, Deployment, CronJob."""
    good, bad = _variants(control, settings)
    cases = []
    for verdict, variants in (("pass", good), ("fail", bad)):
        label = "good" if verdict == "pass" else "bad"
        for i, make in enumerate(variants, 1):
            for kind in SUITE_KINDS:
                name = f"{label}-{kind.lower()}-{i:02d}"
                cases.append((_wrap(kind, name, make(_compliant_pod_spec())), verdict))
    return cases


def _yaml_docs(docs) -> str:
    """YAML documents; JSON (valid YAML 1.2) when PyYAML is absent, to stay dependency-free."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with Ansible and Pulumi
        import json
        return "".join("---\n" + json.dumps(d, indent=2) + "\n" for d in docs)
    return yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True, width=100)


def build_test_suites(settings: Settings | dict) -> dict[str, str]:
    """``kyverno test`` suites for the pod security policies: {relative path: file text}.

    One directory per policy with ``policy.yaml``, ``resources.yaml`` and ``kyverno-test.yaml``;
    run all of them with ``kyverno test <dir>``.
    """
    if not isinstance(settings, Settings):
        settings = Settings.from_dict(settings)
    suites = {}
    for control in settings.pod_security.controls():
        policy = build_pod_security_policy(settings, control)
        name = policy["metadata"]["name"]
        cases = build_test_cases(settings, control)
        results = []
        for verdict in ("pass", "fail"):
            for kind in SUITE_KINDS:
                names = [r["metadata"]["name"] for r, v in cases
                         if v == verdict and r["kind"] == kind]
                if names:
                    results.append({"isValidatingPolicy": True, "kind": kind, "policy": name,
                                    "resources": names, "result": verdict})
        # The namespace's labels, as the API server sets them, for the namespaceSelector.
        values = {"namespaceSelector": [{"name": SUITE_NAMESPACE,
                                         "labels": {NAMESPACE_NAME_LABEL: SUITE_NAMESPACE}}]}
        test = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test",
                "metadata": {"name": name}, "policies": ["policy.yaml"],
                "resources": ["resources.yaml"], "values": values, "results": results}
        suites[f"{name}/policy.yaml"] = _yaml_docs([policy])
        suites[f"{name}/resources.yaml"] = _yaml_docs([r for r, _ in cases])
        suites[f"{name}/kyverno-test.yaml"] = _yaml_docs([test])
    return suites
