"""Helm values of the two releases, shared by the Pulumi components and render.py."""
from __future__ import annotations

import copy

from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)

from .settings import ChartRelease, PlatformSettings

# Pod Security Admission for the release namespaces: Kyverno's pods meet `restricted`;
# Falco's DaemonSet needs host access (eBPF), so its namespace is `privileged` and is
# excluded from the pod security policies by the builders' system-namespace list.
RELEASE_NAMESPACE_LEVELS = {"kyverno": "restricted", "falco": "privileged"}


def deep_merge(base: dict, override: dict) -> dict:
    merged = copy.deepcopy(base)
    for key, value in override.items():
        if isinstance(value, dict) and isinstance(merged.get(key), dict):
            merged[key] = deep_merge(merged[key], value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def kyverno_values(settings: PlatformSettings) -> dict:
    # Three admission controller replicas: a single replica blocks every admission
    # request of the cluster while it restarts (the webhook fails closed).
    ours = {"admissionController": {"replicas": 3}}
    return deep_merge(ours, settings.kyverno.values)


def falco_rules(settings: PlatformSettings) -> dict[str, str]:
    """The chart's customRules (file name -> text): the files named in bulwark:falcoRulesFiles,
    or else the collection's Falco rules library, built from bulwark:falcoLibrary by the
    builder the falco role's filter calls (the same text the role writes on a node)."""
    if settings.falco_rules_files:
        return {p.name: p.read_text(encoding="utf-8") for p in settings.falco_rules_files}
    return {rules_library.FILE_NAME: rules_library.build_rules_library(settings.falco_library)}


def falco_values(settings: PlatformSettings) -> dict:
    ours = {
        "driver": {"kind": "modern_ebpf"},
        "tty": False,
        "customRules": falco_rules(settings),
    }
    if settings.falcosidekick:
        # The chart points Falco's http_output (JSON) at falcosidekick when it is enabled.
        ours["falcosidekick"] = {"enabled": True, "config": settings.falcosidekick}
    return deep_merge(ours, settings.falco.values if settings.falco else {})


def release_namespace(release: ChartRelease) -> dict:
    level = RELEASE_NAMESPACE_LEVELS[release.name]
    return {
        "apiVersion": "v1",
        "kind": "Namespace",
        "metadata": {
            "name": release.namespace,
            "labels": {
                "app.kubernetes.io/managed-by": "bulwark",
                "pod-security.kubernetes.io/enforce": level,
                "pod-security.kubernetes.io/audit": level,
                "pod-security.kubernetes.io/warn": level,
            },
        },
    }


def release_descriptor(release: ChartRelease, values: dict) -> dict:
    """What a GitOps user needs to install the same release (render.py writes it)."""
    return {
        "name": release.name,
        "namespace": release.namespace,
        "chart": release.chart,
        "repository": release.repository,
        "version": release.version,
        "values": values,
    }
