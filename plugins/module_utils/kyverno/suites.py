# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""`kyverno test` suites: for every pod security policy and every enabled image rule that needs
no registry, compliant and non-compliant Pods, Deployments and CronJobs with the verdicts Kyverno
must reach.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    image_rules,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_rule_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.native import (
    build_native_policy,
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


# Variants: each takes a fresh compliant pod spec (from _compliant_pod_spec) and returns the
# test case's pod spec.
def _same(spec: dict) -> dict:
    return spec


def _set_spec(**kv):
    return lambda s: {**s, **kv}


def _set_pod(**kv):
    return lambda s: (s["securityContext"].update(kv), s)[1]


def _set_container(**kv):
    return lambda s: (_container(s).update(kv), s)[1]


def _drop_pod(key):
    return lambda s: (s["securityContext"].pop(key), s)[1]


def _drop_container(key):
    return lambda s: (_container(s).pop(key), s)[1]


def _add_init(**security):
    """An init container whose securityContext is the compliant one with ``security`` on top."""
    def add(spec):
        spec["initContainers"] = [{"name": "init", "image": "registry.example.com/team/init:1.0",
                                   "securityContext": {**_container(_compliant_pod_spec()),
                                                       **security}}]
        return spec
    return add


def _then(*steps):
    """The variant that applies ``steps`` in order."""
    def apply(spec):
        for step in steps:
            spec = step(spec)
        return spec
    return apply


def _seccomp_pod(seccomp_type: str):
    localhost = {"localhostProfile": "profiles/app.json"} if seccomp_type == "Localhost" else {}
    return _set_pod(seccompProfile={"type": seccomp_type, **localhost})


_HOST_NAMESPACES = ("hostNetwork", "hostPID", "hostIPC")


def _set_first(**kv):
    """Set fields of the first container itself (ports, ...), beside its securityContext."""
    return lambda s: (s["containers"][0].update(kv), s)[1]


def _volume(**source):
    return _set_spec(volumes=[{"name": "data", **source}])


def _selinux(**options):
    return _set_container(seLinuxOptions=options)


# control -> function of the pod security settings returning (good, bad): lists of variants,
# each a function turning a compliant pod spec into a test case that Kyverno must pass (good) or
# fail (bad). Every variant becomes a Pod, a Deployment and a CronJob, named in list order.
_VARIANTS = {
    "require_run_as_non_root": lambda ps: (
        [_same, _then(_drop_pod("runAsNonRoot"), _set_container(runAsNonRoot=True))],
        [_set_pod(runAsNonRoot=False), _set_container(runAsNonRoot=False),
         _drop_pod("runAsNonRoot"), _add_init(runAsNonRoot=False)]),
    "disallow_privilege_escalation": lambda ps: (
        [_same],
        [_set_container(allowPrivilegeEscalation=True),
         _drop_container("allowPrivilegeEscalation"), _add_init(allowPrivilegeEscalation=True)]),
    "require_drop_all_capabilities": lambda ps: (
        [_same, _set_container(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})],
        [_drop_container("capabilities"), _set_container(capabilities={"drop": ["NET_RAW"]}),
         _add_init(capabilities={"add": ["CHOWN"]})]),
    "restrict_added_capabilities": lambda ps: (
        [_same, _set_container(capabilities={"drop": ["ALL"],
                                             "add": list(ps.allowed_capabilities)})],
        [_set_container(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
         _set_container(capabilities={"drop": ["ALL"],
                                      "add": [*ps.allowed_capabilities, "NET_RAW"]}),
         _add_init(capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]})]),
    "restrict_seccomp": lambda ps: (
        [*(_seccomp_pod(t) for t in ps.seccomp_profile_types),
         _then(_drop_pod("seccompProfile"),
               _set_container(seccompProfile={"type": ps.seccomp_profile_types[0]}))],
        [_set_pod(seccompProfile={"type": "Unconfined"}), _drop_pod("seccompProfile"),
         _set_container(seccompProfile={"type": "Unconfined"})]),
    "require_read_only_root_filesystem": lambda ps: (
        [_same],
        [_set_container(readOnlyRootFilesystem=False), _drop_container("readOnlyRootFilesystem"),
         _add_init(readOnlyRootFilesystem=False)]),
    "disallow_privileged_containers": lambda ps: (
        [_same, _set_container(privileged=False)],
        [_set_container(privileged=True), _add_init(privileged=True)]),
    "disallow_host_namespaces": lambda ps: (
        [_same, _set_spec(**dict.fromkeys(_HOST_NAMESPACES, False))],
        [_set_spec(**{f: True}) for f in _HOST_NAMESPACES]),
    "disallow_host_path": lambda ps: (
        [_same, _volume(emptyDir={})],
        [_volume(hostPath={"path": "/var/run"})]),
    "disallow_host_ports": lambda ps: (
        [_same, _set_first(ports=[{"containerPort": 8080}]),
         _set_first(ports=[{"containerPort": 8080, "hostPort": 0}])],
        [_set_first(ports=[{"containerPort": 53, "hostPort": 53}])]),
    "disallow_host_process": lambda ps: (
        [_same, _set_container(windowsOptions={"hostProcess": False})],
        [_set_container(windowsOptions={"hostProcess": True}),
         _set_pod(windowsOptions={"hostProcess": True})]),
    "disallow_proc_mount": lambda ps: (
        [_same, _set_container(procMount="Default")],
        [_set_container(procMount="Unmasked"), _add_init(procMount="Unmasked")]),
    "disallow_selinux": lambda ps: (
        [_same, _selinux(type="container_t"), _selinux(level="s0:c123,c456"),
         *([_selinux(type="container_engine_t")] if ps.selinux_types == "pod_security_standards"
           else [])],
        [_selinux(type="spc_t"), _selinux(user="sysadm_u"), _selinux(role="sysadm_r"),
         _set_pod(seLinuxOptions={"type": "unconfined_t"}),
         *([_selinux(type="container_engine_t")] if ps.selinux_types == "kyverno_policies"
           else [])]),
    "restrict_apparmor_profiles": lambda ps: (
        [_same, _set_pod(appArmorProfile={"type": "RuntimeDefault"}),
         _set_container(appArmorProfile={"type": "Localhost", "localhostProfile": "k8s-app"})],
        [_set_pod(appArmorProfile={"type": "Unconfined"}),
         _set_container(appArmorProfile={"type": "Unconfined"}),
         _add_init(appArmorProfile={"type": "Unconfined"})]),
    "restrict_sysctls": lambda ps: (
        [_same, _set_pod(sysctls=[{"name": "net.ipv4.ip_unprivileged_port_start", "value": "0"}])],
        [_set_pod(sysctls=[{"name": "kernel.shm_next_id", "value": "4"}])]),
    "disallow_unconfined_seccomp": lambda ps: (
        [_same, _drop_pod("seccompProfile")],
        [_set_pod(seccompProfile={"type": "Unconfined"}),
         _set_container(seccompProfile={"type": "Unconfined"})]),
    "restrict_baseline_capabilities": lambda ps: (
        [_same, _set_container(capabilities={"drop": ["ALL"], "add": ["CHOWN", "SETUID"]})],
        [_set_container(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
         _add_init(capabilities={"add": ["NET_RAW"]})]),
    "restrict_volume_types": lambda ps: (
        [_same, _volume(emptyDir={}), _volume(configMap={"name": "settings"})],
        [_volume(hostPath={"path": "/data"}), _volume(nfs={"server": "nfs.example.com",
                                                           "path": "/share"})]),
    "require_run_as_non_root_user": lambda ps: (
        [_same, _set_pod(runAsUser=1000)],
        [_set_pod(runAsUser=0), _set_container(runAsUser=0), _add_init(runAsUser=0)]),
}


_DIGEST = "@sha256:" + "0123456789abcdef" * 4


def _image(image: str):
    return _set_first(image=image)


def _image_variants(rule: str, settings: Settings) -> tuple[list, list]:
    """(good, bad) variants of an image rule; each image's verdict is checked against
    image_rules.allows, the rule's reference semantics, so a case never says what CEL cannot."""
    values = settings.image_rules.rules[rule].values
    if rule == "allowed_registries":
        good = [f"{v}/app:1.0" if "/" in v else f"{v}/team/app:1.0" for v in values]
        bad = [f"{values[0]}-evil/app:1.0", f"{values[0].split('/')[0]}.evil/app:1.0",
               "busybox:1.36"]
    else:
        good = ["registry.example.com/team/app" + _DIGEST]
        bad = ["registry.example.com/team/app:latest", "nginx"]
        if rule == "disallow_latest_tag":
            good.append("registry.example.com/team/app:1.0")
        else:
            bad.append("registry.example.com/team/app:1.0")
    good = [i for i in good if image_rules.allows(rule, i, values)]
    bad = [i for i in bad if not image_rules.allows(rule, i, values)]
    return ([_image(i) for i in good],
            [_image(i) for i in bad] + [_add_init_image(bad[0])])


def _add_init_image(image: str):
    def add(spec):
        spec = _add_init()(spec)
        spec["initContainers"][0]["image"] = image
        return spec
    return add


def _variants(control: str, settings: Settings) -> tuple[list, list]:
    """(good, bad) lists of functions turning a compliant pod spec into a test case."""
    if control in image_rules.IMAGE_RULES:
        return _image_variants(control, settings)
    return _VARIANTS[control](settings.pod_security)


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
    """[(resource, 'pass'|'fail')] for one control (or enabled image rule that needs no
    registry): every variant as Pod, Deployment, CronJob."""
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
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)   # libyaml: the same text, faster
    return yaml.dump_all(docs, Dumper=dumper, sort_keys=False, explicit_start=True, width=100)


def build_test_suites(settings: Settings | dict) -> dict[str, str]:
    """``kyverno test`` suites for the pod security policies: {relative path: file text}.

    One directory per policy with ``policy.yaml``, ``resources.yaml`` and ``kyverno-test.yaml``;
    run all of them with ``kyverno test <dir>``.
    """
    if not isinstance(settings, Settings):
        settings = Settings.from_dict(settings)
    suites = {}
    rules = [r for r in settings.image_rules.enabled() if r not in image_rules.REGISTRY_RULES]
    for control in (*settings.pod_security.controls(), *rules):
        policy = build_rule_policy(settings, control)
        name = policy["metadata"]["name"]
        native = settings.engine == "native"
        flag = "isValidatingAdmissionPolicy" if native else "isValidatingPolicy"
        cases = build_test_cases(settings, control)
        results = []
        for verdict in ("pass", "fail"):
            for kind in SUITE_KINDS:
                names = [r["metadata"]["name"] for r, v in cases
                         if v == verdict and r["kind"] == kind]
                if names:
                    results.append({flag: True, "kind": kind, "policy": name,
                                    "resources": names, "result": verdict})
        # The namespace's labels, as the API server sets them, for the namespaceSelector.
        values = {"namespaceSelector": [{"name": SUITE_NAMESPACE,
                                         "labels": {NAMESPACE_NAME_LABEL: SUITE_NAMESPACE}}]}
        test = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test",
                "metadata": {"name": name}, "policies": ["policy.yaml"],
                "resources": ["resources.yaml"], "values": values, "results": results}
        suites[f"{name}/policy.yaml"] = _yaml_docs(build_native_policy(policy) if native
                                                   else [policy])
        suites[f"{name}/resources.yaml"] = _yaml_docs([r for r, _verdict in cases])
        suites[f"{name}/kyverno-test.yaml"] = _yaml_docs([test])
    return suites
