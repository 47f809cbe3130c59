"""Filters over the collection's Kyverno policy builders (logic in module_utils)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno_policies import (
    Settings,
    SettingsError,
    build_bundle,
    build_test_suites,
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


class FilterModule:
    def filters(self):
        return {
            "kyverno_policy_bundle": kyverno_policy_bundle,
            "kyverno_test_suites": kyverno_test_suites,
        }
