"""Image rules (module_utils/kyverno/image_rules.py): the CEL each rule emits, under both Python
CEL engines, for Kyverno's ValidatingPolicy and Kubernetes' ValidatingAdmissionPolicy alike,
against pods that must pass and pods that must be denied; the emitted objects against
kubernetes-validate and Kyverno's CRD schemas; the settings' named refusals.

allowed_base_images is evaluated with Kyverno's ``image.GetMetadata`` stubbed at the boundary by
the image metadata kyverno/policies recorded for its own allowed-base-images test
(tests/fixtures/kyverno/image-rules/allowed-base-images, context.yaml), against its resources
and recorded verdicts.
"""
from __future__ import annotations

import copy

import jsonschema
import kubernetes_validate
import pytest
import yaml
from admit_support import ENGINES, native_verdict, verdict
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    admission as kyverno_admission,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    image_rules,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    native as kyverno_native,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)

DIGEST = "sha256:" + "0123456789abcdef" * 4
REGISTRIES = ["registry.example/team", "docker.io/library/nginx", "localhost:5000"]
RULES = {
    "allowed_registries": {"action": "Deny", "registries": REGISTRIES},
    "disallow_latest_tag": {"action": "Deny"},
    "require_digest": {"action": ["Warn", "Audit"]},
}
SETTINGS = kyverno_settings.Settings.from_dict({"image_rules": RULES})
NATIVE = kyverno_settings.Settings.from_dict({"engine": "native", "image_rules": RULES})

# image -> (allowed_registries, disallow_latest_tag, require_digest) as the rules must decide
CASES = {
    "registry.example/team/app:1.0": (True, True, False),
    f"registry.example/team/app@{DIGEST}": (True, True, True),
    f"registry.example/team/app:1.0@{DIGEST}": (True, True, True),
    "registry.example/team:2": (True, True, False),
    "registry.example.evil/team/app:1.0": (False, True, False),    # the evil prefix
    "registry.example/team-evil/app:1.0": (False, True, False),
    "registry.example/teamapp:1.0": (False, True, False),
    "registry.example/team/app": (True, False, False),             # untagged
    "registry.example/team/app:latest": (True, False, False),
    "nginx": (True, False, False),                                   # docker.io/library/nginx
    "nginx:1.27": (True, True, False),
    "nginx:latest": (True, False, False),
    "docker.io/nginx:1.27": (True, True, False),
    "index.docker.io/library/nginx:1.27": (True, True, False),
    f"nginx@{DIGEST}": (True, True, True),                           # digest only
    f"nginx:latest@{DIGEST}": (True, True, True),
    "nginx-evil:1": (False, True, False),
    "nginx/app:1": (False, True, False),                             # docker.io/nginx/app
    "evil.example/nginx:1": (False, True, False),
    "localhost:5000/app:1": (True, True, False),
    "localhost:5001/app:1": (False, True, False),
    "Registry.example/team/app:1": (False, True, False),
    "registry.example/team/app:1\n": (False, False, False),         # white space: refused
    "registry.example/team/App:1": (False, False, False),           # not a reference
    "": (False, False, False),
    f"registry.example/team/app@sha256:{'0' * 32}": (True, True, False),  # short digest
}


def test_cases_cover_each_verdict_of_each_rule():
    for i in range(3):
        assert {v[i] for v in CASES.values()} == {True, False}


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("image", sorted(CASES), ids=repr)
def test_cel_and_python_agree_with_the_table(engine, image):
    run = kyverno_admission.ENGINES[engine]
    for i, rule in enumerate(("allowed_registries", "disallow_latest_tag", "require_digest")):
        values = SETTINGS.image_rules.rules[rule].values
        expected = CASES[image][i]
        assert image_rules.allows(rule, image, values) is expected, (rule, image)
        assert bool(run(image_rules.image_predicate(rule, values), {"i": image})) is expected, (
            rule, image, engine)


def _pod(**containers) -> dict:
    spec = {"containers": [{"name": "app", "image": "registry.example/team/app:1.0"}]}
    for kind, image in containers.items():
        spec[kind] = [{"name": kind.lower(), "image": image}]
    return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "apps"},
            "spec": spec}


def _controllers(pod: dict) -> list[dict]:
    template = {"metadata": {"labels": {"app": "a"}}, "spec": pod["spec"]}
    meta = {"name": "c", "namespace": "apps"}
    return [pod,
            {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
             "spec": {"selector": {"matchLabels": {"app": "a"}}, "template": template}},
            {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
             "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": {
                 **template, "spec": {**pod["spec"], "restartPolicy": "OnFailure"}}}}}}]


# (resource variant, failing rules) over containers, initContainers and ephemeralContainers
PODS = [
    (_pod(), {"require_digest"}),
    (_pod(containers=f"registry.example/team/app@{DIGEST}"), set()),
    (_pod(containers="registry.example.evil/team/app:1.0"),
     {"allowed_registries", "require_digest"}),
    (_pod(initContainers="nginx"), {"disallow_latest_tag", "require_digest"}),
    (_pod(initContainers="registry.example/team/init:latest"),
     {"disallow_latest_tag", "require_digest"}),
    (_pod(ephemeralContainers="busybox:1.36"), {"allowed_registries", "require_digest"}),
    (_pod(ephemeralContainers=f"nginx@{DIGEST}"), {"require_digest"}),
]


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(("pod", "failing"), PODS)
def test_policies_pass_and_deny_every_container_kind_and_controller(engine, pod, failing):
    policies = kyverno_builders.build_image_rule_policies(SETTINGS)
    natives = kyverno_builders.build_image_rule_policies(NATIVE)[::2]
    assert [p["kind"] for p in natives] == ["ValidatingAdmissionPolicy"] * 3
    for resource in _controllers(pod):
        got = {p["metadata"]["annotations"]["bulwark.io/control"] for p in policies
               if verdict(p, resource, engine) == "fail"}
        assert got == failing, (resource["kind"], engine)
        native = {p["metadata"]["annotations"]["bulwark.io/control"] for p in natives
                  if native_verdict(p, resource, engine) == "fail"}
        assert native == failing, (resource["kind"], engine)


def test_offline_check_denies_by_each_rules_action():
    bad = _pod(initContainers="registry.example.evil/x:latest")
    report = kyverno_admission.evaluate(kyverno_builders.build_bundle(SETTINGS), [bad])
    (resource,) = report["resources"]
    by_rule = {p["control"]: p for p in resource["policies"]}
    assert by_rule["allowed_registries"]["denied"] and by_rule["disallow_latest_tag"]["denied"]
    assert by_rule["require_digest"]["verdict"] == "fail"
    assert not by_rule["require_digest"]["denied"]      # Warn + Audit only
    assert not resource["allowed"]


def test_emitted_objects_validate(shared_fixtures):
    for doc in kyverno_builders.build_image_rule_policies(NATIVE):
        kubernetes_validate.validate(doc, kyverno_native.NATIVE_MIN_KUBERNETES, strict=True)
    crd = yaml.safe_load((shared_fixtures / "kyverno" / "crds"
                          / "policies.kyverno.io_validatingpolicies.yaml").read_text())
    schema = next(v["schema"]["openAPIV3Schema"] for v in crd["spec"]["versions"]
                  if v["name"] == "v1")
    settings = kyverno_settings.Settings.from_dict({"image_rules": {
        **RULES, "allowed_base_images": {"images": ["gcr.io/distroless/static:nonroot"]}}})
    policies = kyverno_builders.build_image_rule_policies(settings)
    assert len(policies) == 4
    for policy in policies:
        jsonschema.Draft202012Validator(schema).validate(policy)
    for pod, _failing in PODS:
        for resource in _controllers(pod):
            kubernetes_validate.validate(resource, "1.33", strict=True)


# ---------------------------------------------------------------- allowed base images

def _base_image_case(shared_fixtures):
    directory = shared_fixtures / "kyverno" / "image-rules" / "allowed-base-images"
    context = yaml.safe_load((directory / "context.yaml").read_text())
    allowed = context["spec"]["resources"][0]["data"]["allowedbaseimages"].split(",")
    metadata = {i["image"]: i for i in context["spec"]["images"]}
    test = yaml.safe_load((directory / "kyverno-test.yaml").read_text())
    docs = {(d["kind"], d["metadata"]["name"]): d
            for d in yaml.safe_load_all((directory / "resource.yaml").read_text()) if d}
    expected = [(docs[(r["kind"], n)], r["result"]) for r in test["results"]
                for n in r["resources"]]
    return allowed, metadata, expected


def _with_get_metadata(engine: str, expression: str, activation: dict, metadata: dict) -> bool:
    """``expression`` with Kyverno's ``image.GetMetadata`` answering from ``metadata``: a
    function of common-expression-language's context, a method of cel-python's on ``image``."""
    if engine == "common-expression-language":
        import cel
        context = cel.Context()
        for name, value in activation.items():
            context.add_variable(name, value)
        context.add_function("image.GetMetadata", lambda image: metadata[image])
        return bool(cel.evaluate(expression, context))
    import celpy
    env = celpy.Environment()
    program = env.program(env.compile(expression), functions={
        "GetMetadata": lambda _image, ref: celpy.json_to_cel(metadata[str(ref)])})
    bound = {k: celpy.json_to_cel(v) for k, v in {**activation, "image": {}}.items()}
    return bool(program.evaluate(bound))


@pytest.mark.parametrize("engine", sorted(ENGINES))
def test_base_images_reach_kyverno_policies_recorded_verdicts(shared_fixtures, engine):
    """Our rule (with upstream's allow list) against upstream's resources, with
    ``image.GetMetadata`` answering from upstream's recorded image metadata."""
    allowed, metadata, expected = _base_image_case(shared_fixtures)
    settings = kyverno_settings.Settings.from_dict({"image_rules": {
        "allowed_base_images": {"action": "Deny", "images": allowed}}})
    (policy,) = kyverno_builders.build_image_rule_policies(settings)
    assert policy["spec"]["evaluation"]["background"] == {"enabled": False}
    (validation,) = policy["spec"]["validations"]
    run = kyverno_admission.ENGINES[engine]
    counts = {"pass": 0, "fail": 0}
    for resource, result in expected:
        activation = {"object": resource, "variables": {}}
        for variable in policy["spec"]["variables"]:
            activation["variables"][variable["name"]] = run(variable["expression"], activation)
        ok = _with_get_metadata(engine, validation["expression"], activation, metadata)
        got = "pass" if ok else "fail"
        assert got == result, resource["metadata"]["name"]
        counts[got] += 1
    assert counts["pass"] >= 4 and counts["fail"] >= 4


def test_base_images_are_not_evaluated_offline():
    settings = kyverno_settings.Settings.from_dict({"image_rules": {
        "allowed_base_images": {"images": ["gcr.io/distroless/static:nonroot"]}}})
    report = kyverno_admission.evaluate(kyverno_builders.build_bundle(settings), [_pod()])
    assert report["not_evaluated"] == ["ValidatingPolicy/bulwark-allowed-base-images"]
    assert all(p["control"] != "allowed_base_images"
               for p in report["resources"][0]["policies"])


def test_native_engine_refuses_base_images_by_name():
    with pytest.raises(kyverno_settings.SettingsError,
                       match="image_rules.allowed_base_images.*ValidatingAdmissionPolicy cannot"):
        kyverno_settings.Settings.from_dict({"engine": "native", "image_rules": {
            "allowed_base_images": {"images": ["gcr.io/distroless/static:nonroot"]}}})
    # switched off, it is accepted (and emits nothing)
    off = kyverno_settings.Settings.from_dict({"engine": "native", "image_rules": {
        "allowed_base_images": {"enabled": False}}})
    assert kyverno_builders.build_image_rule_policies(off) == []


# ---------------------------------------------------------------- settings

@pytest.mark.parametrize(("rules", "key"), [
    ({"allowed_registries": {"registries": ["nginx"]}},
     "image_rules.allowed_registries.registries[0]"),
    ({"allowed_registries": {"registries": ["registry.example/*"]}},
     "image_rules.allowed_registries.registries[0]"),
    ({"allowed_registries": {"registries": ["Registry.example"]}},
     "image_rules.allowed_registries.registries[0]"),
    ({"allowed_registries": {"registries": ["registry.example/app:1"]}},
     "image_rules.allowed_registries.registries[0]"),
    ({"allowed_registries": {"registries": []}}, "image_rules.allowed_registries.registries"),
    ({"allowed_registries": {}}, "image_rules.allowed_registries.registries"),
    ({"allowed_registries": {"registries": "registry.example"}},
     "image_rules.allowed_registries.registries"),
    ({"disallow_latest_tag": {"action": "Block"}}, "image_rules.disallow_latest_tag.action"),
    ({"require_digest": {"registries": ["x.example"]}}, "image_rules.require_digest.registries"),
    ({"require_digest": "yes"}, "image_rules.require_digest"),
    ({"allowed_base_images": {"images": ["gcr.io/x:'] || true"]}},
     "image_rules.allowed_base_images.images[0]"),
    ({"no_such_rule": {}}, "image_rules.no_such_rule"),
])
def test_bad_image_rules_are_refused_by_name(rules, key):
    with pytest.raises(kyverno_settings.SettingsError) as err:
        kyverno_settings.Settings.from_dict({"image_rules": rules})
    assert err.value.key == key


def test_registry_entries_are_normalised():
    settings = kyverno_settings.Settings.from_dict({"image_rules": {"allowed_registries": {
        "registries": ["registry.example/", "index.docker.io/library", "localhost"]}}})
    assert settings.image_rules.rules["allowed_registries"].values == (
        "registry.example", "docker.io/library", "localhost")


def test_exceptions_name_image_rules_only_when_enabled():
    exception = {"name": "legacy", "namespace": "apps", "policies": ["disallow_latest_tag"],
                 "workloads": ["old"], "expires_at": "2027-01-31T00:00:00Z"}
    with pytest.raises(kyverno_settings.SettingsError, match="image_rules.disallow_latest_tag"):
        kyverno_settings.Settings.from_dict({"exceptions": [exception]})
    settings = kyverno_settings.Settings.from_dict({"exceptions": [exception], "image_rules": {
        "disallow_latest_tag": {}}})
    (exc,) = [d for d in kyverno_builders.build_bundle(settings) if d["kind"] == "PolicyException"]
    assert exc["spec"]["policyRefs"] == [{"kind": "ValidatingPolicy",
                                          "name": "bulwark-disallow-latest-tag"}]


def test_default_settings_emit_no_image_rule():
    assert kyverno_builders.build_image_rule_policies(kyverno_settings.Settings.from_dict({})) == []
    weak = copy.deepcopy(kyverno_builders.build_image_rule_policies(SETTINGS)[0])
    weak["spec"]["validations"][0]["expression"] = weak["spec"]["validations"][0][
        "expression"].replace("(?:[/:@]|$)", "")
    assert verdict(weak, _pod(containers="registry.example/team-evil/app:1")) == "pass", (
        "without the boundary the evil prefix would pass: the cases above have teeth")


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize("settings", [SETTINGS, NATIVE], ids=["kyverno", "native"])
def test_kyverno_test_suites_cover_the_enabled_image_rules(engine, settings):
    """``kyverno test`` suites for the rules that need no registry: both verdicts, every
    recorded verdict reached by our policy under CEL, resources the API server accepts."""
    from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
        suites as kyverno_suites,
    )
    suites = kyverno_suites.build_test_suites(settings)
    for rule in ("allowed_registries", "disallow_latest_tag", "require_digest"):
        name = settings.policy_name(rule)
        test = yaml.safe_load(suites[f"{name}/kyverno-test.yaml"])
        docs = list(yaml.safe_load_all(suites[f"{name}/policy.yaml"]))
        resources = {(r["kind"], r["metadata"]["name"]): r
                     for r in yaml.safe_load_all(suites[f"{name}/resources.yaml"])}
        assert {r["result"] for r in test["results"]} == {"pass", "fail"}
        for result in test["results"]:
            for resource_name in result["resources"]:
                resource = resources[(result["kind"], resource_name)]
                got = (native_verdict(docs[0], resource, engine) if settings.engine == "native"
                       else verdict(docs[0], resource, engine))
                assert got == result["result"], (rule, resource_name, engine)
        if engine == "common-expression-language":
            for resource in resources.values():
                kubernetes_validate.validate(resource, "1.33", strict=True)
    assert "bulwark-allowed-base-images/policy.yaml" not in suites
