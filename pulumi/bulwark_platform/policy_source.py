"""The one policy source: the collection's policy builders, imported standalone.

plugins/module_utils/kyverno_policies.py is plain Python (no Ansible imports), so the
program puts that directory on sys.path and calls the same builders the `kyverno` role's
filter calls. The manifests are then sorted by the component that owns them.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field

from .settings import REPO_ROOT, PlatformSettings, StackConfigError

MODULE_UTILS = REPO_ROOT / "plugins" / "module_utils"
KYVERNO_GROUPS = ("policies.kyverno.io/", "kyverno.io/")


def builders():
    if str(MODULE_UTILS) not in sys.path:
        sys.path.insert(0, str(MODULE_UTILS))
    import kyverno_policies

    return kyverno_policies


def policy_settings(settings: PlatformSettings):
    """The builders' typed settings; their errors are re-raised naming the stack key.

    The namespaces of the Kyverno and Falco releases are always added to the builders'
    system namespaces (excluded from the pod security policies), whatever they are called.
    """
    kp = builders()
    policy = dict(settings.policy)
    system = policy.get("system_namespaces", list(kp.DEFAULT_SYSTEM_NAMESPACES))
    if isinstance(system, list):
        policy["system_namespaces"] = system + [n for n in settings.system_namespaces
                                                if n not in system]
    try:
        return kp.Settings.from_dict(policy)
    except kp.SettingsError as exc:
        raise StackConfigError(f"bulwark:policy.{exc}") from None


def existing_namespaces(settings: PlatformSettings) -> set[str]:
    """Namespaces the settings mark `existing`: someone else owns them, we patch labels."""
    return {ns.name for ns in policy_settings(settings).namespaces if ns.existing}


def bundle(settings: PlatformSettings) -> list[dict]:
    """Every manifest of the policy bundle, each with an explicit metadata.name."""
    manifests = builders().build_bundle(policy_settings(settings))
    for manifest in manifests:
        if not manifest.get("metadata", {}).get("name"):
            raise ValueError(f"policy builder returned a {manifest.get('kind')} "
                             "without metadata.name")
    return manifests


def is_kyverno(manifest: dict) -> bool:
    return str(manifest.get("apiVersion", "")).startswith(KYVERNO_GROUPS)


@dataclass
class Plan:
    """The bundle, split by the component that declares it."""

    namespaces: list = field(default_factory=list)
    network_policies: list = field(default_factory=list)
    admission: list = field(default_factory=list)
    other: list = field(default_factory=list)


def plan(manifests: list[dict]) -> Plan:
    result = Plan()
    for manifest in manifests:
        kind = manifest.get("kind")
        if is_kyverno(manifest):
            result.admission.append(manifest)
        elif kind == "Namespace":
            result.namespaces.append(manifest)
        elif kind == "NetworkPolicy":
            result.network_policies.append(manifest)
        else:
            result.other.append(manifest)
    return result


def resource_name(manifest: dict) -> str:
    """A logical Pulumi name unique across the stack: kind, namespace and name."""
    meta = manifest["metadata"]
    parts = [manifest["kind"].lower()]
    if meta.get("namespace"):
        parts.append(meta["namespace"])
    parts.append(meta["name"])
    return "-".join(parts)
