# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters over the collection's Kyverno policy builders (logic in module_utils)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.kubernetes_names import (
    manifest_name,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.prune import (
    SELECTOR,
    prune_kinds,
    prune_plan,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.suites import (
    build_test_suites,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    SettingsError,
)


def _settings(settings):
    try:
        return Settings.from_dict(settings)
    except SettingsError as exc:
        raise AnsibleFilterError(f"kyverno settings: {exc}") from exc


def kyverno_policy_bundle(settings):
    """Every manifest (Namespaces, NetworkPolicies, Kyverno policies, exceptions) as a list."""
    return build_bundle(_settings(settings))


def kyverno_test_suites(settings):
    """``kyverno test`` suites for the bundle's policies: {relative path: file content}."""
    return build_test_suites(_settings(settings))


def kubernetes_manifest_name(manifest):
    """``kind-namespace-name`` of a manifest: the file name the role writes it to, and the
    logical name the Pulumi program gives it (both call kubernetes_names.manifest_name)."""
    try:
        return manifest_name(manifest)
    except ValueError as exc:
        raise AnsibleFilterError(f"kubernetes_manifest_name: {exc}") from exc


def kyverno_prune_kinds(bundle):
    """What to list before pruning: every kind the builders make (not only the bundle's), each
    with the label selector of Bulwark's manifests."""
    if not isinstance(bundle, list):
        raise AnsibleFilterError("kyverno_prune_kinds: the input must be the policy bundle")
    return [{**k, "label_selector": SELECTOR} for k in prune_kinds()]


def kyverno_prune_plan(listings, bundle):
    """The managed objects of ``listings`` (kubernetes.core.k8s_info results) that ``bundle``
    no longer has: {'delete': [...], 'orphaned_namespaces': [...]} (prune.py)."""
    try:
        return prune_plan(bundle, listings)
    except ValueError as exc:   # prune.py checks the objects' shape: anything else is a bug
        raise AnsibleFilterError(f"kyverno_prune_plan: {exc}") from exc


class FilterModule:
    def filters(self):
        return {
            "kyverno_policy_bundle": kyverno_policy_bundle,
            "kyverno_test_suites": kyverno_test_suites,
            "kubernetes_manifest_name": kubernetes_manifest_name,
            "kyverno_prune_kinds": kyverno_prune_kinds,
            "kyverno_prune_plan": kyverno_prune_plan,
        }
