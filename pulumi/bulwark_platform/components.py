"""ComponentResources of the platform: one per job, every child `parent=self`.

Platform            the Kyverno and Falco releases (pinned charts) and their namespaces,
                    then the three policy components below.
PodSecurity         namespaces with Pod Security Admission labels.
NetworkIsolation    default-deny NetworkPolicies, DNS and the allowlists per namespace.
Admission           Kyverno ValidatingPolicies, ImageValidatingPolicies, PolicyExceptions
                    (and legacy ClusterPolicies on request); each depends on the Kyverno
                    release, whose chart installs their CRDs and the admission webhook.
"""
from __future__ import annotations

import pulumi_kubernetes as k8s

import pulumi

from . import charts, policy_source
from .settings import PlatformSettings

TYPE_PREFIX = "bulwark:platform"


def _metadata(manifest: dict) -> dict:
    return dict(manifest["metadata"])


def declare(manifest: dict, opts: pulumi.ResourceOptions,
            patch: bool = False) -> pulumi.CustomResource:
    """One Kubernetes resource for one manifest of the bundle, under its explicit name.

    `patch` declares a server-side-apply patch of an object someone else owns (an existing
    namespace that only gets our Pod Security labels) instead of an object Pulumi owns.
    """
    name = policy_source.manifest_name(manifest)
    kind = manifest["kind"]
    if kind == "Namespace" and patch:
        return k8s.core.v1.NamespacePatch(name, metadata=_metadata(manifest), opts=opts)
    if kind == "Namespace":
        return k8s.core.v1.Namespace(name, metadata=_metadata(manifest), opts=opts)
    if kind == "NetworkPolicy":
        return k8s.networking.v1.NetworkPolicy(name, metadata=_metadata(manifest),
                                               spec=manifest["spec"], opts=opts)
    extra = {k: v for k, v in manifest.items() if k not in ("apiVersion", "kind", "metadata")}
    return k8s.apiextensions.CustomResource(name, api_version=manifest["apiVersion"], kind=kind,
                                            metadata=_metadata(manifest), opts=opts, **extra)


class PodSecurity(pulumi.ComponentResource):
    def __init__(self, name: str, namespaces: list[dict], existing: set[str] = frozenset(),
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:PodSecurity", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.namespaces = [declare(m, child, patch=m["metadata"]["name"] in existing)
                           for m in namespaces]
        self.register_outputs({"namespaces": [m["metadata"]["name"] for m in namespaces]})


class NetworkIsolation(pulumi.ComponentResource):
    def __init__(self, name: str, network_policies: list[dict],
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:NetworkIsolation", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.network_policies = [declare(m, child) for m in network_policies]
        self.register_outputs({"networkPolicies": [policy_source.manifest_name(m)
                                                   for m in network_policies]})


class Admission(pulumi.ComponentResource):
    def __init__(self, name: str, policies: list[dict], kyverno: pulumi.Resource | None,
                 namespaces: pulumi.Resource | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:Admission", name, None, opts)
        # depends_on on each policy, not only on this component: Pulumi does not hand a
        # component's dependencies down to its children. The namespaces come first too:
        # PolicyExceptions live in team namespaces.
        after = [r for r in (kyverno, namespaces) if r is not None]
        child = pulumi.ResourceOptions(parent=self, depends_on=after)
        self.policies = [declare(m, child) for m in policies]
        self.register_outputs({"policies": [policy_source.manifest_name(m) for m in policies]})


class Platform(pulumi.ComponentResource):
    """Everything the stack declares, built from the typed settings."""

    def __init__(self, name: str, settings: PlatformSettings, manifests: list[dict] | None = None,
                 opts: pulumi.ResourceOptions | None = None):
        super().__init__(f"{TYPE_PREFIX}:Platform", name, None, opts)
        existing: set[str] = set()
        self.settings = settings
        if manifests is None:
            manifests = policy_source.bundle(settings)
            existing = policy_source.existing_namespaces(settings)
        self.manifests = manifests
        plan = policy_source.plan(manifests)
        child = pulumi.ResourceOptions(parent=self)

        # Kyverno only where a policy needs it: with `engine: native` and no image verification
        # the bundle is Kubernetes' own admission policies, and the cluster runs no Kyverno.
        self.kyverno = None
        if any(policy_source.is_kyverno(m) for m in manifests):
            self.kyverno = self._release(settings.kyverno, charts.kyverno_values(settings))
        self.falco = None
        if settings.falco:
            values = charts.falco_values(settings)
            # falcosidekick's outputs carry webhook URLs and tokens: the whole values are a
            # secret then, encrypted in the state and masked in preview and diff.
            self.falco = self._release(settings.falco, values, secret=bool(settings.falcosidekick))

        self.pod_security = PodSecurity("pod-security", plan.namespaces + plan.other,
                                        existing=existing, opts=child)
        self.network_isolation = NetworkIsolation(
            "network-isolation", plan.network_policies,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[self.pod_security]))
        self.admission = Admission("admission", plan.admission, kyverno=self.kyverno,
                                   namespaces=self.pod_security, opts=child)
        falco = settings.falco
        self.register_outputs({
            "kyvernoChart": (f"{settings.kyverno.chart}@{settings.kyverno.version}"
                             if self.kyverno else ""),
            "falcoChart": f"{falco.chart}@{falco.version}" if falco else "",
        })

    def _release(self, release, values: dict, secret: bool = False) -> k8s.helm.v3.Release:
        namespace = k8s.core.v1.Namespace(
            f"{release.name}-namespace", metadata=charts.release_namespace(release)["metadata"],
            opts=pulumi.ResourceOptions(parent=self))
        return k8s.helm.v3.Release(
            release.name,
            k8s.helm.v3.ReleaseArgs(
                name=release.name,
                chart=release.chart,
                version=release.version,
                repository_opts=k8s.helm.v3.RepositoryOptsArgs(repo=release.repository),
                namespace=release.namespace,
                values=pulumi.Output.secret(values) if secret else values,
                atomic=True,
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[namespace]))
