"""Every manifest the builders emit validates offline against the real schemas.

Core kinds (Namespace, NetworkPolicy, and the Pods/controllers of the generated test suites) go
through ``kubernetes-validate`` in strict mode for a pinned Kubernetes minor; Kyverno kinds go
through ``jsonschema`` against datreeio's strict schemas and against the ``openAPIV3Schema`` of
Kyverno's own CRDs (v1.19 era), both read from ``tests/fixtures/kyverno``.
"""
from __future__ import annotations

import jsonschema
import kubernetes_validate
import pytest
import yaml
from admit_support import full_settings, signer_settings
from ansible_collections.bulwark.container_security.plugins.module_utils import kubernetes_names
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    suites as kyverno_suites,
)

KUBERNETES_MINOR = "1.33"
CORE_KINDS = {"Namespace", "NetworkPolicy"}
DATREE = {
    ("policies.kyverno.io/v1", "ValidatingPolicy"): "policies.kyverno.io_validatingpolicy_v1.json",
    ("policies.kyverno.io/v1", "ImageValidatingPolicy"):
        "policies.kyverno.io_imagevalidatingpolicy_v1.json",
    ("kyverno.io/v1", "ClusterPolicy"): "kyverno.io_clusterpolicy_v1.json",
}
CRDS = {
    "ValidatingPolicy": "policies.kyverno.io_validatingpolicies.yaml",
    "ImageValidatingPolicy": "policies.kyverno.io_imagevalidatingpolicies.yaml",
    "PolicyException": "policies.kyverno.io_policyexceptions.yaml",
    "ClusterPolicy": "kyverno.io_clusterpolicies.yaml",
}
VALIDATOR = jsonschema.Draft202012Validator


def _bundles():
    """Bundles covering every builder path: defaults, everything on, legacy image policy."""
    full = full_settings()
    legacy = full_settings()
    legacy["image_verification"] = {**legacy["image_verification"],
                                    "legacy_cluster_policy": True, "action": ["Warn", "Audit"]}
    return {
        "defaults": kyverno_builders.build_bundle({}),
        "full": kyverno_builders.build_bundle(full),
        "legacy": kyverno_builders.build_bundle(legacy),
        "signers": kyverno_builders.build_bundle(signer_settings()),
        "image_rules": kyverno_builders.build_bundle(full_settings(image_rules={
            "allowed_registries": {"action": "Deny", "registries": ["registry.example.com"]},
            "disallow_latest_tag": {}, "require_digest": {"action": ["Warn", "Audit"]},
            "allowed_base_images": {"images": ["gcr.io/distroless/static:nonroot"]}})),
    }


BUNDLES = _bundles()
MANIFESTS = [(f"{name}:{kubernetes_names.manifest_name(m)}", m) for name, bundle in BUNDLES.items()
             for m in bundle]


@pytest.fixture(scope="module")
def kyverno_dir(shared_fixtures):
    return shared_fixtures / "kyverno"


@pytest.fixture(scope="module")
def crd_schemas(kyverno_dir):
    out = {}
    for kind, filename in CRDS.items():
        text = (kyverno_dir / "crds" / filename).read_text()
        crd = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
        versions = {v["name"]: v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"]}
        out[(f"{crd['spec']['group']}/v1", kind)] = versions["v1"]
    return out


def test_bundles_cover_every_kind():
    kinds = {m["kind"] for _manifest_id, m in MANIFESTS}
    assert kinds == {"Namespace", "NetworkPolicy", "ValidatingPolicy", "ImageValidatingPolicy",
                     "ClusterPolicy", "PolicyException"}


@pytest.mark.parametrize("bundle", sorted(BUNDLES))
def test_every_manifest_has_an_explicit_unique_name(bundle):
    ids = [kubernetes_names.manifest_name(m) for m in BUNDLES[bundle]]
    assert len(ids) == len(set(ids))
    for manifest in BUNDLES[bundle]:
        name = manifest["metadata"]["name"]
        assert isinstance(name, str) and name and len(name) <= 63
        assert manifest["metadata"]["labels"]["app.kubernetes.io/managed-by"] == "bulwark"


@pytest.mark.parametrize(("ident", "manifest"), [m for m in MANIFESTS
                                                 if m[1]["kind"] in CORE_KINDS],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_core_kinds_validate_strict(ident, manifest):
    kubernetes_validate.validate(manifest, KUBERNETES_MINOR, strict=True)


def test_strict_validation_has_teeth():
    namespace = kyverno_settings.Settings.from_dict({"namespaces": ["a"]}).namespaces[0]
    policy = kyverno_builders.build_network_policies(kyverno_settings.Settings.from_dict({}),
                                                     namespace)
    broken = {**policy[0], "spec": {**policy[0]["spec"], "policyType": ["Ingress"]}}
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(broken, KUBERNETES_MINOR, strict=True)


@pytest.mark.parametrize(("ident", "manifest"), [m for m in MANIFESTS
                                                 if m[1]["kind"] not in CORE_KINDS],
                         ids=lambda v: v if isinstance(v, str) else "")
def test_kyverno_kinds_validate_against_crd_schemas(ident, manifest, kyverno_dir, crd_schemas):
    key = (manifest["apiVersion"], manifest["kind"])
    VALIDATOR(crd_schemas[key], format_checker=VALIDATOR.FORMAT_CHECKER).validate(manifest)
    if key in DATREE:  # datree has no PolicyException of policies.kyverno.io
        import json
        schema = json.loads((kyverno_dir / "schemas" / DATREE[key]).read_text())
        VALIDATOR(schema, format_checker=VALIDATOR.FORMAT_CHECKER).validate(manifest)


def test_datree_schemas_are_strict_enough_to_catch_a_typo(kyverno_dir):
    import json
    schema = json.loads((kyverno_dir / "schemas" / DATREE[("policies.kyverno.io/v1",
                                                           "ValidatingPolicy")]).read_text())
    policy = kyverno_builders.build_pod_security_policies(
        kyverno_settings.Settings.from_dict({}))[0]
    policy["spec"]["validationAction"] = policy["spec"].pop("validationActions")
    with pytest.raises(jsonschema.ValidationError):
        VALIDATOR(schema).validate(policy)


def test_exception_expiry_is_rfc3339_as_the_crd_declares(crd_schemas):
    schema = crd_schemas[("policies.kyverno.io/v1", "PolicyException")]
    assert schema["properties"]["spec"]["properties"]["expiresAt"]["format"] == "date-time"
    exc = next(m for m in BUNDLES["full"] if m["kind"] == "PolicyException")
    assert exc["spec"]["expiresAt"] == "2027-03-31T00:00:00Z"


def test_generated_suite_resources_validate_strict():
    suites = kyverno_suites.build_test_suites({})
    count = 0
    for path, text in suites.items():
        if path.endswith("/resources.yaml"):
            for resource in yaml.safe_load_all(text):
                kubernetes_validate.validate(resource, KUBERNETES_MINOR, strict=True)
                count += 1
    assert count > 100
