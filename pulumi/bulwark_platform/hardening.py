# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""``harden()``: restricted security-context defaults for the Pods a user's own program declares.

Register it in your program, before declaring resources::

    import pulumi
    import bulwark_platform

    changes = []
    pulumi.runtime.register_resource_transform(bulwark_platform.harden(changes.append))

or on one component and its children: ``ResourceOptions(transforms=[bulwark_platform.harden()])``.

It is a Pulumi *transform* (the engine calls it with the resource's inputs as they go over the
wire: plain dicts under their Kubernetes names), so it sees the same thing whether the program
was written with dicts or with typed Args (``DeploymentSpecArgs``, ``PodSpecArgs``,
``ContainerArgs``), and it reaches the children of packaged components too. Every Pod template
of a Pod, Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob gets runAsNonRoot and
seccomp RuntimeDefault on the pod, and allowPrivilegeEscalation false, capabilities drop [ALL] and
a read-only root filesystem on every container and init container. A value the user set is never
changed, even one that the admission policies will refuse: the policies report it instead. Each
filled-in field is reported (``on_change`` and ``pulumi.log.info``). A part that is not known yet
(an ``Output`` still unknown in a preview) or is a secret cannot be read here: the resource is left
as it is, with a warning naming that part.
"""
from __future__ import annotations

import copy

from pulumi.output import Unknown
from pulumi.runtime.rpc import is_rpc_secret

# Pulumi type token suffix -> keys from the resource's ``spec`` down to its pod spec
POD_SPEC_PATHS = {
    "core/v1:Pod": ("spec",),
    "apps/v1:Deployment": ("spec", "template", "spec"),
    "apps/v1:StatefulSet": ("spec", "template", "spec"),
    "apps/v1:DaemonSet": ("spec", "template", "spec"),
    "apps/v1:ReplicaSet": ("spec", "template", "spec"),
    "batch/v1:Job": ("spec", "template", "spec"),
    "batch/v1:CronJob": ("spec", "jobTemplate", "spec", "template", "spec"),
}
POD_DEFAULTS = (("runAsNonRoot", True), ("seccompProfile", {"type": "RuntimeDefault"}))
CONTAINER_DEFAULTS = (("allowPrivilegeEscalation", False), ("readOnlyRootFilesystem", True))


def pod_spec_path(resource_type: str):
    """The path to the pod spec for a Pulumi type token (``kubernetes:apps/v1:Deployment``) or
    a Kubernetes kind (``Deployment``); None for anything without a Pod template."""
    suffix = resource_type.split(":", 1)[1] if resource_type.startswith("kubernetes:") else None
    for token, path in POD_SPEC_PATHS.items():
        if suffix == token or resource_type == token.rsplit(":", 1)[1]:
            return path
    return None


class NotPlainData(ValueError):
    """Part of the resource cannot be read (not known yet, a secret, not a mapping): nothing
    can be filled in."""


def _readable(value) -> str | None:
    """None for a plain dict; else what the value is, for the warning."""
    if is_rpc_secret(value):
        return "a secret"
    if isinstance(value, dict):
        return None
    if isinstance(value, Unknown):                 # a preview: an Output not known yet
        return "not known yet (an Output)"
    return f"a {type(value).__name__}, not a mapping"


def _child(parent: dict, key: str, where: str) -> dict:
    value = parent.setdefault(key, {})
    problem = _readable(value)
    if problem:
        raise NotPlainData(f"{where}.{key} is {problem}")
    return value


def harden_pod_spec(pod: dict, where: str) -> list[str]:
    """Fill the restricted defaults into one pod spec (in place); the paths set, as strings."""
    changes = []
    pod_sc = _child(pod, "securityContext", where)
    for key, value in POD_DEFAULTS:
        # a container's own setting still wins over the pod's, as Kubernetes applies them
        if key not in pod_sc:
            pod_sc[key] = copy.deepcopy(value)
            changes.append(f"{where}.securityContext.{key}")
    for key in ("initContainers", "containers"):
        containers = pod.get(key) or []
        if not isinstance(containers, list):
            what = _readable(containers) or "a mapping"
            raise NotPlainData(f"{where}.{key} is {what.split(',', maxsplit=1)[0]}, not a list")
        for i, container in enumerate(containers):
            problem = _readable(container)
            if problem:
                raise NotPlainData(f"{where}.{key}[{i}] is {problem}")
            at = f"{where}.{key}[{container.get('name', i)}].securityContext"
            sc = _child(container, "securityContext", at.rsplit(".", 1)[0])
            for field, value in CONTAINER_DEFAULTS:
                if field not in sc:
                    sc[field] = value
                    changes.append(f"{at}.{field}")
            caps = _child(sc, "capabilities", at)
            if "drop" not in caps:
                caps["drop"] = ["ALL"]
                changes.append(f"{at}.capabilities.drop")
    return changes


def harden_props(resource_type: str, props: dict) -> tuple[dict, list[str]]:
    """(hardened copy of ``props``, changed paths) for a resource's input properties; the props
    come back unchanged (and no paths) for a type without a Pod template."""
    path = pod_spec_path(resource_type)
    if path is None:
        return props, []
    out = copy.copy(props)
    node, where = out, ""
    for key in path:
        value = node.get(key)
        problem = _readable(value)
        if problem:
            raise NotPlainData(f"{f'{where}.' if where else ''}{key} is {problem}")
        node[key] = copy.deepcopy(value) if node is out else value
        node, where = node[key], f"{where}.{key}" if where else key
    return out, harden_pod_spec(node, where)


def harden(on_change=None):
    """A Pulumi resource transform (``pulumi.runtime.register_resource_transform`` or
    ``ResourceOptions(transforms=[...])``) that applies :func:`harden_props`.

    ``on_change(resource_name, [paths])`` is called for every resource it changed."""
    import pulumi

    def transform(args: pulumi.ResourceTransformArgs):
        if pod_spec_path(args.type_) is None:
            return None
        try:
            props, changes = harden_props(args.type_, dict(args.props))
        except NotPlainData as exc:
            pulumi.log.warn(f"bulwark harden: {args.type_} {args.name} left as it is: {exc}")
            return None
        if not changes:
            return None
        pulumi.log.info(f"bulwark harden: {args.type_} {args.name}: set " + ", ".join(changes))
        if on_change is not None:
            on_change(args.name, changes)
        return pulumi.ResourceTransformResult(props, args.opts)

    return transform
