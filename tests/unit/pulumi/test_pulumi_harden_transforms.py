# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""``bulwark_platform.harden()`` as a Pulumi transform, on programs written the way
pulumi/examples' Kubernetes programs are (typed Args: ``DeploymentSpecArgs``, ``PodSpecArgs``,
``ContainerArgs``; a ComponentResource whose children are ``parent=self``) and with dicts.

The programs run under Pulumi's mocks; the harness's monitor sends every transform the
engine's TransformRequest through the SDK's callback server (see pulumi_harness.py), so what
is checked is what the monitor receives after the transforms, as an engine would register it.
"""
from __future__ import annotations

import logging

import pulumi_kubernetes as k8s
from bulwark_platform import hardening as harden_module
from pulumi.runtime.rpc import is_rpc_secret
from pulumi_harness import run_program

import pulumi

RESTRICTED_POD = {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}}
RESTRICTED_CONTAINER = {"allowPrivilegeEscalation": False, "readOnlyRootFilesystem": True,
                        "capabilities": {"drop": ["ALL"]}}


class Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)

    def at(self, level: int) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno == level]


def _logger() -> tuple[logging.Logger, Records]:
    logger = logging.getLogger(f"harden-test-{id(object())}")
    logger.setLevel(logging.DEBUG)
    logger.propagate = False
    records = Records()
    logger.addHandler(records)
    return logger, records


def nginx_deployment(name: str, opts=None, security_context=None) -> k8s.apps.v1.Deployment:
    """A Deployment written with typed Args, one container, labels shared by the selector."""
    labels = {"app": name}
    return k8s.apps.v1.Deployment(
        name,
        metadata=k8s.meta.v1.ObjectMetaArgs(name=name),
        spec=k8s.apps.v1.DeploymentSpecArgs(
            selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
            replicas=2,
            template=k8s.core.v1.PodTemplateSpecArgs(
                metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                spec=k8s.core.v1.PodSpecArgs(containers=[k8s.core.v1.ContainerArgs(
                    name=name, image="nginx:1.27",
                    ports=[k8s.core.v1.ContainerPortArgs(container_port=8080)],
                    security_context=security_context)]))),
        opts=opts)


class FrontendService(pulumi.ComponentResource):
    """A component in the style of a guestbook tier: a Deployment and its Service, both children."""

    def __init__(self, name: str, image: str, opts=None):
        super().__init__("example:index:FrontendService", name, None, opts)
        labels = {"app": name}
        child = pulumi.ResourceOptions(parent=self)
        self.deployment = k8s.apps.v1.Deployment(
            name, metadata=k8s.meta.v1.ObjectMetaArgs(name=name),
            spec=k8s.apps.v1.DeploymentSpecArgs(
                selector=k8s.meta.v1.LabelSelectorArgs(match_labels=labels),
                template=k8s.core.v1.PodTemplateSpecArgs(
                    metadata=k8s.meta.v1.ObjectMetaArgs(labels=labels),
                    spec=k8s.core.v1.PodSpecArgs(
                        init_containers=[k8s.core.v1.ContainerArgs(name="migrate", image=image)],
                        containers=[k8s.core.v1.ContainerArgs(
                            name=name, image=image,
                            env=[k8s.core.v1.EnvVarArgs(name="GET_HOSTS_FROM", value="dns")],
                            resources=k8s.core.v1.ResourceRequirementsArgs(
                                requests={"cpu": "100m", "memory": "100Mi"}))]))),
            opts=child)
        self.service = k8s.core.v1.Service(
            name, metadata=k8s.meta.v1.ObjectMetaArgs(name=name, labels=labels),
            spec=k8s.core.v1.ServiceSpecArgs(
                selector=labels, ports=[k8s.core.v1.ServicePortArgs(port=80)]),
            opts=child)
        self.register_outputs({})


def _pod(registration) -> dict:
    spec = registration.inputs["spec"]
    if registration.type.endswith("CronJob"):
        spec = spec["jobTemplate"]["spec"]
    return spec["template"]["spec"] if "template" in spec else spec


def test_typed_args_programs_are_hardened_by_a_stack_transform():
    changes = []

    def program():
        pulumi.runtime.register_resource_transform(
            harden_module.harden(lambda name, paths: changes.append((name, paths))))
        nginx_deployment("nginx")
        FrontendService("frontend", image="frontend:v4")
        k8s.batch.v1.CronJob(
            "report", metadata=k8s.meta.v1.ObjectMetaArgs(name="report"),
            spec=k8s.batch.v1.CronJobSpecArgs(
                schedule="0 3 * * *",
                job_template=k8s.batch.v1.JobTemplateSpecArgs(spec=k8s.batch.v1.JobSpecArgs(
                    template=k8s.core.v1.PodTemplateSpecArgs(spec=k8s.core.v1.PodSpecArgs(
                        restart_policy="Never",
                        containers=[k8s.core.v1.ContainerArgs(name="report",
                                                              image="report:1")]))))))
        k8s.core.v1.Pod("debug", metadata=k8s.meta.v1.ObjectMetaArgs(name="debug"),
                        spec=k8s.core.v1.PodSpecArgs(containers=[
                            k8s.core.v1.ContainerArgs(name="debug", image="busybox:1")]))

    monitor = run_program({}, manifests=[], entry_point=program)
    workloads = [r for t in ("apps/v1:Deployment", "batch/v1:CronJob", "core/v1:Pod")
                 for r in monitor.by_type(f"kubernetes:{t}")]
    assert sorted(r.name for r in workloads) == ["debug", "frontend", "nginx", "report"]
    for registration in workloads:
        pod = _pod(registration)
        assert pod["securityContext"] == RESTRICTED_POD, registration.name
        for container in pod["containers"] + pod.get("initContainers", []):
            assert container["securityContext"] == RESTRICTED_CONTAINER, registration.name
    frontend = next(r for r in workloads if r.name == "frontend")
    container = _pod(frontend)["containers"][0]
    # everything the user wrote with typed Args is still there, under its Kubernetes name
    assert container["env"] == [{"name": "GET_HOSTS_FROM", "value": "dns"}]
    assert container["resources"] == {"requests": {"cpu": "100m", "memory": "100Mi"}}
    assert [c["name"] for c in _pod(frontend)["initContainers"]] == ["migrate"]
    assert _pod(next(r for r in workloads if r.name == "report"))["restartPolicy"] == "Never"
    # a Service has no Pod template: registered as written
    (service,) = monitor.by_type("kubernetes:core/v1:Service")
    assert service.inputs["spec"]["ports"] == [{"port": 80}]
    assert "securityContext" not in str(service.inputs)
    reported = dict(changes)
    assert sorted(reported) == ["debug", "frontend", "nginx", "report"]
    assert ("spec.template.spec.initContainers[migrate].securityContext.capabilities.drop"
            in reported["frontend"])


def test_a_component_transform_hardens_its_children_only():
    def program():
        FrontendService("frontend", image="frontend:v4",
                        opts=pulumi.ResourceOptions(transforms=[harden_module.harden()]))
        nginx_deployment("outside")

    monitor = run_program({}, manifests=[], entry_point=program)
    by_name = {r.name: r for r in monitor.by_type("kubernetes:apps/v1:Deployment")}
    assert _pod(by_name["frontend"])["securityContext"] == RESTRICTED_POD
    assert "securityContext" not in _pod(by_name["outside"])
    assert "securityContext" not in _pod(by_name["outside"])["containers"][0]


def test_values_set_with_typed_args_are_kept():
    def program():
        pulumi.runtime.register_resource_transform(harden_module.harden())
        nginx_deployment("legacy", security_context=k8s.core.v1.SecurityContextArgs(
            allow_privilege_escalation=True, read_only_root_filesystem=False,
            capabilities=k8s.core.v1.CapabilitiesArgs(add=["NET_BIND_SERVICE"])))

    monitor = run_program({}, manifests=[], entry_point=program)
    (deployment,) = monitor.by_type("kubernetes:apps/v1:Deployment")
    assert _pod(deployment)["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": True, "readOnlyRootFilesystem": False,
        "capabilities": {"add": ["NET_BIND_SERVICE"], "drop": ["ALL"]}}


def test_dict_programs_are_hardened_and_user_values_kept():
    changes = []

    def program():
        pulumi.runtime.register_resource_transform(harden_module.harden(
            lambda name, paths: changes.append((name, paths))))
        k8s.apps.v1.Deployment("web", metadata={"name": "web"}, spec={
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}}, "spec": {"containers": [{
                "name": "web", "image": "web:1",
                "securityContext": {"allowPrivilegeEscalation": True}}]}}})
        k8s.core.v1.ConfigMap("settings", metadata={"name": "settings"}, data={"a": "b"})

    logger, records = _logger()
    monitor = run_program({}, manifests=[], entry_point=program, logger=logger)
    (deployment,) = monitor.by_type("kubernetes:apps/v1:Deployment")
    pod = _pod(deployment)
    assert pod["securityContext"] == RESTRICTED_POD
    assert pod["containers"][0]["securityContext"] == {
        "allowPrivilegeEscalation": True,            # the user's value, kept
        "readOnlyRootFilesystem": True, "capabilities": {"drop": ["ALL"]}}
    assert [name for name, _paths in changes] == ["web"]
    path = "spec.template.spec.containers[web].securityContext.readOnlyRootFilesystem"
    assert path in changes[0][1]
    assert monitor.by_type("kubernetes:core/v1:ConfigMap")[0].inputs["data"] == {"a": "b"}
    (info,) = [m for m in records.at(logging.INFO) if "bulwark harden" in m]
    assert info.startswith("bulwark harden: kubernetes:apps/v1:Deployment web: set ")


def _unknown(value):
    """An Output that is not known during a preview (what another resource's output is)."""
    known = pulumi.Output.from_input(False).future()
    return pulumi.Output(set(), pulumi.Output.from_input(value).future(), known)


def test_a_pod_spec_not_known_in_a_preview_is_left_alone_with_a_warning():
    def program():
        pulumi.runtime.register_resource_transform(harden_module.harden())
        k8s.core.v1.Pod("later", metadata=k8s.meta.v1.ObjectMetaArgs(name="later"),
                        spec=k8s.core.v1.PodSpecArgs(containers=_unknown([])))

    logger, records = _logger()
    monitor = run_program({}, manifests=[], entry_point=program, preview=True, logger=logger)
    (pod,) = monitor.by_type("kubernetes:core/v1:Pod")
    assert "securityContext" not in pod.inputs["spec"]
    (warning,) = [m for m in records.at(logging.WARNING) if "bulwark harden" in m]
    assert warning == ("bulwark harden: kubernetes:core/v1:Pod later left as it is: "
                       "spec.containers is not known yet (an Output), not a list")


def test_a_secret_pod_spec_part_is_left_alone_with_a_warning():
    def program():
        pulumi.runtime.register_resource_transform(harden_module.harden())
        k8s.core.v1.Pod("sealed", metadata=k8s.meta.v1.ObjectMetaArgs(name="sealed"),
                        spec=k8s.core.v1.PodSpecArgs(containers=pulumi.Output.secret(
                            [{"name": "app", "image": "app:1"}])))

    logger, records = _logger()
    monitor = run_program({}, manifests=[], entry_point=program, logger=logger)
    (warning,) = [m for m in records.at(logging.WARNING) if "bulwark harden" in m]
    # the SDK lifts a secret up to the property that holds it: the whole spec is sealed
    assert warning == ("bulwark harden: kubernetes:core/v1:Pod sealed left as it is: "
                       "spec is a secret")
    (pod,) = monitor.by_type("kubernetes:core/v1:Pod")
    assert is_rpc_secret(pod.inputs["spec"])                # still a secret when registered
