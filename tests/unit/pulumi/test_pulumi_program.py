"""The Pulumi program under Pulumi's mocks: what each component registers, with which names,
parents and dependencies, and what bad stack config does.

No Pulumi CLI, provider plugin or cluster exists here; `pulumi_harness.run_program` builds
the program inside `@pulumi.runtime.test` on a fresh event loop with a monitor that records
every RegisterResource request (see pulumi_harness.py).
"""
from __future__ import annotations

import copy

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    POD_SECURITY_CONTROLS,
)
from bulwark_platform import settings as platform_settings
from pulumi_harness import PULUMI_DIR, run_program

KYVERNO_TYPES = ("kubernetes:policies.kyverno.io/v1:", "kubernetes:kyverno.io/v1:")
RELEASE = "kubernetes:helm.sh/v3:Release"
NAMESPACE = "kubernetes:core/v1:Namespace"
NAMESPACE_PATCH = "kubernetes:core/v1:NamespacePatch"
NETWORK_POLICY = "kubernetes:networking.k8s.io/v1:NetworkPolicy"
CONTROLS = len(POD_SECURITY_CONTROLS)  # one ValidatingPolicy per pod security control


def example_config() -> dict:
    raw = yaml.safe_load((PULUMI_DIR / "Pulumi.example.yaml").read_text())["config"]
    return {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("bulwark:")}


@pytest.fixture(scope="module")
def example():
    return run_program(example_config())


def component_of(monitor, registration) -> str:
    """Name of the bulwark component a resource was registered under (its parent)."""
    parent = monitor.by_urn().get(registration.parent)
    return parent.name if parent else ""


def test_every_component_registers_what_the_settings_ask(example):
    policy = example_config()["policy"]
    team_namespaces = [n["name"] for n in policy["namespaces"]]
    existing = [n["name"] for n in policy["namespaces"] if n.get("existing")]

    namespaces = example.by_type(NAMESPACE)
    patches = example.by_type(NAMESPACE_PATCH)
    by_component = {}
    for r in namespaces + patches:
        by_component.setdefault(component_of(example, r), []).append(r.inputs["metadata"]["name"])
    assert sorted(by_component["bulwark"]) == ["falco", "kyverno"]
    assert sorted(by_component["pod-security"]) == sorted(team_namespaces)
    assert [p.inputs["metadata"]["name"] for p in patches] == existing
    for r in namespaces + patches:
        labels = r.inputs["metadata"]["labels"]
        assert labels["pod-security.kubernetes.io/enforce"] in {"restricted", "baseline",
                                                                "privileged"}

    # NetworkPolicies: per namespace, default deny + DNS + one per allowlist entry; an existing
    # namespace (someone else's, patched for its labels) only the allowlists it names.
    netpols = example.by_type(NETWORK_POLICY)
    assert {component_of(example, r) for r in netpols} == {"network-isolation"}
    assert existing, "the example stack has an existing namespace"
    for ns in policy["namespaces"]:
        names = sorted(r.inputs["metadata"]["name"] for r in netpols
                       if r.inputs["metadata"]["namespace"] == ns["name"])
        expected = [] if ns.get("existing") else ["allow-dns", "default-deny-all"]
        expected += [f"allow-ingress-{e['name']}" for e in ns.get("ingress", [])]
        expected += [f"allow-egress-{e['name']}" for e in ns.get("egress", [])]
        assert names == sorted(expected), ns["name"]

    # Admission: every pod security control, one image policy, one exception.
    kyverno = [r for r in example.registrations if r.type.startswith(KYVERNO_TYPES)]
    assert {component_of(example, r) for r in kyverno} == {"admission"}
    kinds = sorted(r.type.rsplit(":", 1)[1] for r in kyverno)
    assert kinds == ["ImageValidatingPolicy", "PolicyException"] + ["ValidatingPolicy"] * CONTROLS
    exception = next(r for r in kyverno if r.type.endswith(":PolicyException"))
    assert exception.inputs["metadata"] == {**exception.inputs["metadata"],
                                            "name": "legacy-batch", "namespace": "payments"}

    releases = {r.name: r for r in example.by_type(RELEASE)}
    assert set(releases) == {"kyverno", "falco"}
    assert {component_of(example, r) for r in releases.values()} == {"bulwark"}


def test_components_are_parented(example):
    components = {r.name: r for r in example.registrations if r.type.startswith("bulwark:")}
    assert set(components) == {"bulwark", "pod-security", "network-isolation", "admission"}
    platform = components["bulwark"]
    for name in ("pod-security", "network-isolation", "admission"):
        assert components[name].parent == platform.urn
    for r in example.registrations:
        if r.custom:
            assert r.parent in {c.urn for c in components.values()}, r.urn


def test_explicit_names_everywhere(example):
    for r in example.registrations:
        if not r.custom or r.type == RELEASE:
            continue
        meta = r.inputs["metadata"]
        assert meta.get("name"), r.urn                  # no auto-naming by the provider
        expected = "-".join(p for p in (r.inputs["kind"].lower(), meta.get("namespace"),
                                        meta["name"]) if p)
        if r.name.endswith("-namespace"):               # the release namespaces
            assert r.name == f"{meta['name']}-namespace"
        else:
            assert r.name == expected
    for release in example.by_type(RELEASE):
        assert release.inputs["name"] == release.name   # helm release name pinned too


def test_no_duplicate_urns(example):
    urns = [r.urn for r in example.registrations]
    assert len(urns) == len(set(urns))
    # 4 components, 2 release namespaces, 2 releases, 3 team namespaces, 7 NetworkPolicies
    # (none in the existing one), one ValidatingPolicy per control, 1 ImageValidatingPolicy,
    # 1 PolicyException.
    assert len(urns) == 20 + CONTROLS


def test_recorder_would_see_a_duplicate():
    """The URN check above can fail: two manifests with one name give one URN twice."""
    manifest = {"apiVersion": "policies.kyverno.io/v1", "kind": "ValidatingPolicy",
                "metadata": {"name": "same"}, "spec": {}}
    monitor = run_program({"falcoEnabled": False}, manifests=[manifest, copy.deepcopy(manifest)])
    urns = [r.urn for r in monitor.registrations]
    assert len(urns) - len(set(urns)) == 1


def test_every_policy_depends_on_the_kyverno_release(example):
    kyverno_release = next(r for r in example.by_type(RELEASE) if r.name == "kyverno")
    policies = [r for r in example.registrations if r.type.startswith(KYVERNO_TYPES)]
    assert len(policies) == CONTROLS + 2
    for policy in policies:
        assert kyverno_release.urn in policy.dependencies, policy.urn
    # ...and nothing else waits for Kyverno: namespaces and NetworkPolicies need no webhook.
    for r in example.by_type(NAMESPACE) + example.by_type(NETWORK_POLICY):
        assert kyverno_release.urn not in r.dependencies


def test_policy_exceptions_wait_for_their_namespace(example):
    (exception,) = example.by_type("kubernetes:policies.kyverno.io/v1:PolicyException")
    (namespace,) = [r for r in example.by_type(NAMESPACE)
                    if r.inputs["metadata"]["name"] == exception.inputs["metadata"]["namespace"]]
    assert namespace.urn in exception.dependencies


def test_legacy_cluster_policy_depends_on_the_release_too():
    config = example_config()
    config["policy"]["image_verification"]["legacy_cluster_policy"] = True
    monitor = run_program(config)
    release = next(r for r in monitor.by_type(RELEASE) if r.name == "kyverno")
    (legacy,) = monitor.by_type("kubernetes:kyverno.io/v1:ClusterPolicy")
    assert release.urn in legacy.dependencies
    assert not monitor.by_type("kubernetes:policies.kyverno.io/v1:ImageValidatingPolicy")


def test_network_policies_wait_for_their_namespaces(example):
    (isolation,) = [r for r in example.registrations if r.name == "network-isolation"]
    namespace_urns = {r.urn for r in example.by_type(NAMESPACE) + example.by_type(NAMESPACE_PATCH)
                      if component_of(example, r) == "pod-security"}
    assert namespace_urns <= set(isolation.dependencies)


def test_releases_are_pinned_with_the_chosen_values(example):
    releases = {r.name: r.inputs for r in example.by_type(RELEASE)}
    kyverno, falco = releases["kyverno"], releases["falco"]
    assert (kyverno["chart"], kyverno["version"]) == ("kyverno",
                                                      platform_settings.KYVERNO_CHART_VERSION)
    assert kyverno["repositoryOpts"]["repo"] == platform_settings.KYVERNO_CHART_REPOSITORY
    assert kyverno["namespace"] == "kyverno"
    assert (falco["chart"], falco["version"]) == ("falco", platform_settings.FALCO_CHART_VERSION)
    values = falco["values"]["value"]   # a secret: the example routes alerts to falcosidekick
    assert values["driver"]["kind"] == "modern_ebpf"
    rules = values["customRules"]
    assert "bulwark_10_library.yaml" in rules
    assert "- list: bulwark_shell_binaries" in rules["bulwark_10_library.yaml"]
    assert "{{" not in rules["bulwark_10_library.yaml"]
    golden = PULUMI_DIR.parent / "tests/fixtures/falco_library/defaults.yaml"
    assert rules["bulwark_10_library.yaml"] == golden.read_text(encoding="utf-8")


def test_falco_rules_files_replace_the_library(tmp_path):
    rules = tmp_path / "site_rules.yaml"
    rules.write_text("- macro: site_never\n  condition: (evt.num = 0)\n")
    monitor = run_program({"falcoRulesFiles": [str(rules)], "falcoValues": {"tty": True}})
    falco = next(r for r in monitor.by_type(RELEASE) if r.name == "falco")
    assert falco.inputs["values"]["customRules"] == {"site_rules.yaml": rules.read_text()}
    assert falco.inputs["values"]["tty"] is True                    # user values win
    assert falco.inputs["values"]["driver"]["kind"] == "modern_ebpf"


def test_falco_disabled_and_renamed_kyverno_namespace():
    monitor = run_program({"falcoEnabled": False, "kyvernoNamespace": "policy-engine",
                           "policy": {"pod_security": {"default_action": "Warn"}}})
    assert [r.name for r in monitor.by_type(RELEASE)] == ["kyverno"]
    policies = monitor.by_type("kubernetes:policies.kyverno.io/v1:ValidatingPolicy")
    assert len(policies) == CONTROLS
    for policy in policies:
        excluded = policy.inputs["spec"]["matchConstraints"]["namespaceSelector"]
        assert "policy-engine" in yaml.safe_dump(excluded)   # the release namespace is exempt
        assert policy.inputs["spec"]["validationActions"] == ["Warn"]


def test_native_engine_declares_admission_policies_from_the_stack_config():
    """bulwark:policy.engine native: Kubernetes ValidatingAdmissionPolicies and bindings in the
    Admission component, no Kyverno ValidatingPolicy."""
    monitor = run_program({"falcoEnabled": False, "policy": {"engine": "native"}})
    admission = "kubernetes:admissionregistration.k8s.io/v1:"
    vaps = monitor.by_type(admission + "ValidatingAdmissionPolicy")
    bindings = monitor.by_type(admission + "ValidatingAdmissionPolicyBinding")
    assert len(vaps) == len(bindings) == CONTROLS
    assert not monitor.by_type("kubernetes:policies.kyverno.io/v1:ValidatingPolicy")
    assert {component_of(monitor, r) for r in vaps + bindings} == {"admission"}
    names = {v.inputs["metadata"]["name"] for v in vaps}
    assert {b.inputs["spec"]["policyName"] for b in bindings} == names


@pytest.mark.parametrize(("config", "named", "allowed"), [
    ({"kyvernoChartVersion": "latest"}, "bulwark:kyvernoChartVersion", "exact chart version"),
    ({"falcoChartVersion": "^9.0"}, "bulwark:falcoChartVersion", "exact chart version"),
    ({"falcoEnabled": "maybe"}, "bulwark:falcoEnabled", "valid boolean JSON"),
    ({"falcoEnabled": '"yes"'}, "bulwark:falcoEnabled", "a boolean is required"),
    ({"kyvernoNamespace": "Kyverno_System"}, "bulwark:kyvernoNamespace", "lowercase letters"),
    ({"kyvernoChartRepository": "http://charts.example.com"}, "bulwark:kyvernoChartRepository",
     "https:// or oci://"),
    ({"falcoRulesFiles": ["no/such/rules.yaml"]}, "bulwark:falcoRulesFiles[0]", "does not exist"),
    ({"falcoNamespace": "kyverno"}, "bulwark:falcoNamespace", "its own namespace"),
    ({"policy": "pod_security: {}"}, "bulwark:policy", "valid object JSON"),
    ({"policy": {"pod_security": {"default_action": "Block"}}},
     "bulwark:policy.pod_security.default_action", "Audit"),
    ({"policy": {"namespaces": [{"name": "web", "ingress": [{"name": "x"}]}]}},
     "bulwark:policy.namespaces[0].ingress[0]", "namespaces, pods or cidrs"),
])
def test_bad_stack_config_fails_naming_the_key(config, named, allowed):
    with pytest.raises(platform_settings.StackConfigError) as failure:
        run_program(config)
    message = str(failure.value)
    assert message.startswith(named + ":") or message.startswith(named + " "), message
    assert allowed in message


def test_unknown_key_lists_the_allowed_ones():
    """A stack file read without the CLI (render.py) names a misspelt key. Under `pulumi up`
    the program reads its keys by name through pulumi.Config, so it cannot see one."""
    with pytest.raises(platform_settings.StackConfigError, match="allowed: .*kyvernoNamespace"):
        platform_settings.from_mapping({"bulwark:kyvernoNamspace": "kyverno"})
    with pytest.raises(platform_settings.StackConfigError, match="bulwark:policies is not"):
        platform_settings.from_mapping({"bulwark:policies": {}})
    monitor = run_program({"kyvernoNamspace": "kyverno", "falcoEnabled": False})
    assert [r.name for r in monitor.by_type(RELEASE)] == ["kyverno"]


def test_main_entry_point_under_mocks():
    """__main__.py's main(): config read from the stack, the platform built, an export made."""
    import gc

    import bulwark_platform

    thresholds = gc.get_threshold()
    try:
        monitor = run_program({"falcoEnabled": False}, entry_point=bulwark_platform.main)
    finally:
        gc.unfreeze()
        gc.set_threshold(*thresholds)
    assert [r.name for r in monitor.by_type(RELEASE)] == ["kyverno"]
    assert len(monitor.by_type("kubernetes:policies.kyverno.io/v1:ValidatingPolicy")) == CONTROLS


def test_main_uses_an_explicit_provider_only_when_the_stack_names_one():
    import bulwark_platform

    def run(config):
        import gc

        thresholds = gc.get_threshold()     # main() tunes the collector (see bulwark_platform)
        try:
            return run_program(config, entry_point=bulwark_platform.main)
        finally:
            gc.unfreeze()
            gc.set_threshold(*thresholds)

    plain = run({"falcoEnabled": False})
    assert not plain.by_type("pulumi:providers:kubernetes")
    assert all(r.provider == "" for r in plain.by_type(RELEASE))
    explicit = run({"falcoEnabled": False, "kubeContext": "platform-admin"})
    (provider,) = explicit.by_type("pulumi:providers:kubernetes")
    assert provider.inputs["context"] == "platform-admin"
    for registration in explicit.registrations:
        if registration.custom and registration is not provider:
            assert registration.provider.startswith(provider.urn + "::"), registration.name


def test_stack_outputs_name_namespaces_policies_with_actions_and_charts():
    import bulwark_platform
    from bulwark_platform.components import Platform
    from bulwark_platform.settings import from_pulumi_config

    captured = {}

    def program():
        platform = Platform("bulwark", from_pulumi_config())
        captured.update({k: v for k, v in bulwark_platform.stack_outputs(platform).items()
                         if k != "kyvernoRelease"})

    run_program(example_config(), entry_point=program)
    # the releases' namespaces, the team namespaces, and the existing one that gets labels
    assert captured["namespaces"] == ["falco", "ingress", "kyverno", "payments", "web"]
    policies = captured["policies"]
    assert policies["bulwark-require-run-as-non-root"] == ["Deny"]
    assert policies["bulwark-disallow-host-path"] == ["Audit"]
    assert policies["bulwark-verify-image-signatures"] == ["Deny"]
    assert len(policies) == CONTROLS + 1
    assert captured["charts"] == {
        "kyverno": f"kyverno@{platform_settings.KYVERNO_CHART_VERSION}",
        "falco": f"falco@{platform_settings.FALCO_CHART_VERSION}"}
    native = {}

    def native_program():
        platform = Platform("bulwark", from_pulumi_config())
        native.update(bulwark_platform.stack_outputs(platform)["policies"])

    run_program({"falcoEnabled": False, "policy": {"engine": "native",
                                                   "pod_security": {"default_action": "Warn"}}},
                entry_point=native_program)
    assert native["bulwark-disallow-host-path"] == ["Warn"] and len(native) == CONTROLS


def test_native_engine_without_image_verification_installs_no_kyverno():
    """Kubernetes' own admission policies need no Kyverno: no release, no namespace for it, and
    the outputs name no Kyverno chart. Image verification brings it back (a Kyverno policy)."""
    import bulwark_platform
    from bulwark_platform.components import Platform
    from bulwark_platform.settings import from_pulumi_config

    outputs = {}

    def program():
        outputs.update(bulwark_platform.stack_outputs(Platform("bulwark", from_pulumi_config())))

    monitor = run_program({"falcoEnabled": False, "policy": {"engine": "native"}},
                          entry_point=program)
    assert not monitor.by_type(RELEASE)
    assert "kyverno" not in outputs["namespaces"] and outputs["charts"] == {}
    assert outputs["kyvernoRelease"] == ""
    example_policy = example_config()["policy"]
    with_images = {"engine": "native",
                   "image_verification": example_policy["image_verification"]}
    monitor = run_program({"falcoEnabled": False, "policy": with_images})
    assert [r.name for r in monitor.by_type(RELEASE)] == ["kyverno"]


def test_image_rules_from_the_stack_settings_are_declared_by_either_engine():
    """bulwark:policy.image_rules reaches the program through the same bundle: Kyverno
    ValidatingPolicies with engine kyverno, ValidatingAdmissionPolicies (and no Kyverno) with
    engine native, as many as the settings enable."""
    rules = {"allowed_registries": {"action": "Deny", "registries": ["registry.example.com"]},
             "disallow_latest_tag": {"action": "Deny"}}
    kyverno = run_program({"falcoEnabled": False, "policy": {"image_rules": rules}})
    names = [r.inputs["metadata"]["name"] for r in
             kyverno.by_type("kubernetes:policies.kyverno.io/v1:ValidatingPolicy")]
    assert len(names) == CONTROLS + 2
    assert {"bulwark-allowed-registries", "bulwark-disallow-latest-tag"} <= set(names)
    native_policy = {"engine": "native", "image_rules": rules}
    native = run_program({"falcoEnabled": False, "policy": native_policy})
    vaps = [r.inputs["metadata"]["name"] for r in native.by_type(
        "kubernetes:admissionregistration.k8s.io/v1:ValidatingAdmissionPolicy")]
    assert len(vaps) == CONTROLS + 2 and "bulwark-allowed-registries" in vaps
    assert not native.by_type(RELEASE)
