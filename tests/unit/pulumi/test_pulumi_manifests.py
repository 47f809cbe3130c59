"""Every object the Pulumi program declares, and every file render.py writes, is valid:
core kinds against Kubernetes' own schemas (kubernetes-validate, strict, pinned minor), Kyverno
kinds against the Kyverno CRD schemas in tests/fixtures/kyverno (jsonschema). Also: Pulumi.yaml's
config schema and settings.CONFIG_KEYS are one table, and render.py writes what `pulumi up`
would declare.
"""
from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import kubernetes_validate
import pytest
import render
import yaml
from bulwark_platform import settings as platform_settings
from pulumi_harness import PULUMI_DIR, run_program

KUBERNETES_MINOR = "1.33"        # the Pod Security Admission version the builders pin by default
CORE_KINDS = {"Namespace", "NetworkPolicy"}


def example_config(**policy_changes) -> dict:
    raw = yaml.safe_load((PULUMI_DIR / "Pulumi.example.yaml").read_text())["config"]
    config = {k.split(":", 1)[1]: v for k, v in raw.items() if k.startswith("bulwark:")}
    config["policy"]["image_verification"].update(policy_changes)
    return config


@pytest.fixture(scope="module")
def kyverno_schemas(shared_fixtures):
    schemas = {}
    for path in (shared_fixtures / "kyverno" / "schemas").glob("*.json"):
        group, kind_version = path.stem.split("_", 1)
        kind, version = kind_version.rsplit("_", 1)
        schemas[(f"{group}/{version}", kind)] = json.loads(path.read_text())
    # PolicyException has no generated JSON schema in the fixtures: use its CRD's own.
    crd = yaml.safe_load((shared_fixtures / "kyverno" / "crds" /
                          "policies.kyverno.io_policyexceptions.yaml").read_text())
    for version in crd["spec"]["versions"]:
        schemas[(f"policies.kyverno.io/{version['name']}", "policyexception")] = \
            version["schema"]["openAPIV3Schema"]
    return schemas


def validate(manifest: dict, kyverno_schemas: dict) -> None:
    if manifest["kind"] in CORE_KINDS:
        kubernetes_validate.validate(manifest, KUBERNETES_MINOR, strict=True)
        return
    schema = kyverno_schemas[(manifest["apiVersion"], manifest["kind"].lower())]
    jsonschema.validate(manifest, schema, cls=jsonschema.Draft7Validator)


def declared_manifests(monitor) -> list[dict]:
    """The Kubernetes objects as the monitor received them (Helm releases aside)."""
    out = []
    for r in monitor.registrations:
        if not r.custom or r.type == "kubernetes:helm.sh/v3:Release":
            continue
        manifest = dict(r.inputs)
        if r.type.endswith(":NamespacePatch"):
            manifest["kind"] = "Namespace"            # a server-side apply patch of one
        out.append(manifest)
    return out


@pytest.mark.parametrize("legacy", [False, True], ids=["current-kinds", "legacy-cluster-policy"])
def test_every_declared_manifest_validates(kyverno_schemas, legacy):
    monitor = run_program(example_config(legacy_cluster_policy=legacy))
    manifests = declared_manifests(monitor)
    kinds = {m["kind"] for m in manifests}
    assert kinds >= {"Namespace", "NetworkPolicy", "ValidatingPolicy", "PolicyException"}
    assert ("ClusterPolicy" in kinds) is legacy
    for manifest in manifests:
        validate(manifest, kyverno_schemas)


def test_validation_can_fail(kyverno_schemas):
    """The checks above are not vacuous: an unknown field or a wrong type is caught."""
    monitor = run_program(example_config())
    manifests = declared_manifests(monitor)
    netpol = next(m for m in manifests if m["kind"] == "NetworkPolicy")
    broken = {**netpol, "spec": {**netpol["spec"], "podSelectr": {}}}
    with pytest.raises(kubernetes_validate.ValidationError):
        validate(broken, kyverno_schemas)
    policy = next(m for m in manifests if m["kind"] == "ValidatingPolicy")
    broken = {**policy, "spec": {**policy["spec"], "validationActions": "Deny"}}
    with pytest.raises(jsonschema.ValidationError):
        validate(broken, kyverno_schemas)


def test_render_writes_what_the_program_declares(tmp_path, kyverno_schemas):
    stack = PULUMI_DIR / "Pulumi.example.yaml"
    assert render.main(["--stack", str(stack), "--out", str(tmp_path)]) == 0
    rendered = [d for d in yaml.safe_load_all((tmp_path / "all.yaml").read_text()) if d]
    for manifest in rendered:
        validate(manifest, kyverno_schemas)
    for path in tmp_path.rglob("*.yaml"):
        if path.parent.name in {"namespaces", "network-policies", "admission"}:
            (doc,) = list(yaml.safe_load_all(path.read_text()))
            assert doc in rendered

    monitor = run_program(example_config())
    declared = declared_manifests(monitor)

    def ids(manifests):
        return sorted((m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"])
                      for m in manifests)

    assert ids(rendered) == ids(declared)
    by_id = {(m["kind"], m["metadata"].get("namespace", ""), m["metadata"]["name"]): m
             for m in declared}
    for manifest in rendered:
        twin = by_id[(manifest["kind"], manifest["metadata"].get("namespace", ""),
                      manifest["metadata"]["name"])]
        assert manifest.get("spec") == twin.get("spec")
        assert manifest["metadata"].get("labels") == twin["metadata"].get("labels")

    helm = {p.stem: yaml.safe_load(p.read_text()) for p in (tmp_path / "helm").glob("*.yaml")}
    assert helm["kyverno"]["version"] == platform_settings.KYVERNO_CHART_VERSION
    assert helm["falco"]["version"] == platform_settings.FALCO_CHART_VERSION
    assert helm["falco"]["values"]["driver"]["kind"] == "modern_ebpf"


def test_render_refuses_bad_config_naming_the_key(tmp_path, capsys):
    stack = tmp_path / "Pulumi.bad.yaml"
    stack.write_text(yaml.safe_dump({"config": {
        "bulwark:policy": {"pod_security": {"actions": {"no_such_control": ["Deny"]}}}}}))
    assert render.main(["--stack", str(stack), "--out", str(tmp_path / "out")]) == 2
    assert "bulwark:policy.pod_security.actions.no_such_control" in capsys.readouterr().err
    assert not (tmp_path / "out").exists()


def test_pulumi_yaml_schema_is_the_settings_table():
    project = yaml.safe_load((PULUMI_DIR / "Pulumi.yaml").read_text())
    assert project["name"] == platform_settings.PROJECT
    assert project["runtime"]["name"] == "python"
    declared = project["config"]
    assert set(declared) == set(platform_settings.CONFIG_KEYS)
    for key, (kind, default, _description) in platform_settings.CONFIG_KEYS.items():
        assert declared[key]["type"] == kind, key
        assert declared[key]["description"], key
        if key.endswith("ChartVersion"):
            # The pin lives in settings.py only; Pulumi.yaml's empty default means "the pin".
            assert declared[key]["default"] == ""
        else:
            assert declared[key]["default"] == default, key
        if kind == "array":
            assert declared[key]["items"] == {"type": "string"}


def test_pulumi_yaml_defaults_give_the_pinned_charts():
    project = yaml.safe_load((PULUMI_DIR / "Pulumi.yaml").read_text())
    defaults = {key: spec["default"] for key, spec in project["config"].items()}
    settings = platform_settings.from_mapping(defaults)
    assert settings.kyverno.version == platform_settings.KYVERNO_CHART_VERSION
    assert settings.falco.version == platform_settings.FALCO_CHART_VERSION


def test_main_is_two_lines():
    lines = [line for line in Path(PULUMI_DIR, "__main__.py").read_text().splitlines() if line]
    assert lines == ["from bulwark_platform import main", "main()"]
