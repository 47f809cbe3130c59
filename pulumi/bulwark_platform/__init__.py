"""Bulwark's admit layer as a Pulumi program: Kyverno, Falco and the cluster policies; and
``harden()``, a transform for users' own programs (hardening.py)."""
from __future__ import annotations

from .collection import ensure_importable

ensure_importable()   # before any submodule imports the collection's module_utils

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.actions import (  # noqa: E402,E501
    policy_actions,
)

from .hardening import harden  # noqa: E402  (users: pulumi.runtime.register_resource_transform)

__all__ = ["harden", "main"]


def provider_options(settings):
    """ResourceOptions with an explicit kubernetes provider when the stack names a kubeconfig
    or a context (bulwark:kubeconfig, bulwark:kubeContext), else None (the default provider)."""
    import pulumi_kubernetes as k8s

    import pulumi

    if not (settings.kubeconfig or settings.kube_context):
        return None
    provider = k8s.Provider(
        "kubernetes",
        kubeconfig=pulumi.Output.secret(settings.kubeconfig) if settings.kubeconfig else None,
        context=settings.kube_context or None)
    return pulumi.ResourceOptions(providers={"kubernetes": provider})


def stack_outputs(platform) -> dict:
    """What a user reads after `pulumi up`: namespaces, each policy with its actions (as the
    posture report and the admission check read them: kyverno/actions.policy_actions), charts."""
    actions = {name: list(a) for name, a in policy_actions(platform.manifests).items()}
    releases = ([platform.settings.kyverno] if platform.kyverno else []) + (
        [platform.settings.falco] if platform.settings.falco else [])
    return {
        "namespaces": sorted({r.namespace for r in releases}
                             | {m["metadata"]["name"] for m in platform.manifests
                                if m["kind"] == "Namespace"}),
        "policies": actions,
        "charts": {r.name: f"{r.chart}@{r.version}" for r in releases},
        "kyvernoRelease": platform.kyverno.status if platform.kyverno else "",
    }


def main() -> None:
    """The program: settings read once from the stack config, then one Platform."""
    import pulumi

    from .components import Platform
    from .settings import from_pulumi_config

    settings = from_pulumi_config()
    platform = Platform("bulwark", settings, opts=provider_options(settings))
    for key, value in stack_outputs(platform).items():
        pulumi.export(key, value)
