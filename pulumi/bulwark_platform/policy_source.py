"""The one policy source: the collection's policy builders, imported through its namespace.

The program calls the same builders the `kyverno` role's filter calls, imported the same way
(bulwark_platform puts the collection on sys.path once, see collection.py), so the process
holds one copy of each module: one SettingsError class. The manifests are then sorted by the
component that owns them, and named with the collection's manifest_name, as the role names
its files.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# manifest_name is re-exported: components.py and render.py name manifests with it
# pylint: disable-next=unused-import
from ansible_collections.bulwark.container_security.plugins.module_utils.kubernetes_names import (  # noqa: F401
    manifest_name,
)

# crossguard is re-exported: render.py writes the policy pack's configuration with it
# pylint: disable-next=unused-import
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (  # noqa: F401
    crossguard,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    DEFAULT_SYSTEM_NAMESPACES,
    SettingsError,
)

from .settings import PlatformSettings, StackConfigError

KYVERNO_GROUPS = ("policies.kyverno.io/", "kyverno.io/")
# engine: native puts the pod security controls into Kubernetes' own admission policies
ADMISSION_GROUPS = (*KYVERNO_GROUPS, "admissionregistration.k8s.io/")


def policy_settings(settings: PlatformSettings):
    """The builders' typed settings; their errors are re-raised naming the stack key.

    The namespaces of the Kyverno and Falco releases are always added to the builders'
    system namespaces (excluded from the pod security policies), whatever they are called.
    """
    policy = dict(settings.policy)
    system = policy.get("system_namespaces", list(DEFAULT_SYSTEM_NAMESPACES))
    if isinstance(system, list):
        policy["system_namespaces"] = system + [n for n in settings.system_namespaces
                                                if n not in system]
    try:
        return Settings.from_dict(policy)
    except SettingsError as exc:
        raise StackConfigError(f"bulwark:policy.{exc}") from None


def existing_namespaces(settings: PlatformSettings) -> set[str]:
    """Namespaces the settings mark `existing`: someone else owns them, we patch labels."""
    return {ns.name for ns in policy_settings(settings).namespaces if ns.existing}


def bundle(settings: PlatformSettings) -> list[dict]:
    """Every manifest of the policy bundle, each with an explicit metadata.name."""
    manifests = build_bundle(policy_settings(settings))
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
        if str(manifest.get("apiVersion", "")).startswith(ADMISSION_GROUPS):
            result.admission.append(manifest)
        elif kind == "Namespace":
            result.namespaces.append(manifest)
        elif kind == "NetworkPolicy":
            result.network_policies.append(manifest)
        else:
            result.other.append(manifest)
    return result
