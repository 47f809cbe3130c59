"""What each builder puts in its manifests, decided from the settings.

Image policy: the signer's public keys and the image globs; the legacy ClusterPolicy differs only
where the legacy kind requires it. Exceptions: expiry and matchConditions evaluated with a real
CEL engine. Namespaces: Pod Security Admission labels. NetworkPolicies: default deny, DNS,
allowlists. Exclusions and validation actions per policy.
"""
from __future__ import annotations

import copy
from datetime import datetime, timezone

import pytest
from admit_support import ENGINES, TEST_KEYS, evaluate_policy, full_settings, settings
from ansible_collections.bulwark.container_security.plugins.module_utils import predicates
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    validation as kyverno_validation,
)


def _by_kind(bundle, kind):
    return [m for m in bundle if m["kind"] == kind]


# ---------------------------------------------------------------------------- pod security
def test_every_pod_security_policy_excludes_system_and_configured_namespaces():
    for policy in kyverno_builders.build_pod_security_policies(settings()):
        constraints = policy["spec"]["matchConstraints"]
        (expression,) = constraints["namespaceSelector"]["matchExpressions"]
        assert expression == {"key": "kubernetes.io/metadata.name", "operator": "NotIn",
                              "values": ["kube-system", "kyverno", "falco", "monitoring"]}
        # more than one resource rule: Kyverno's CanAutoGen is false, no autogen'd duplicates
        assert len(constraints["resourceRules"]) == 3
        resources = {r for rule in constraints["resourceRules"] for r in rule["resources"]}
        assert resources == {"pods", "deployments", "statefulsets", "daemonsets", "replicasets",
                             "jobs", "cronjobs"}


def test_system_namespaces_are_configurable():
    s = kyverno_settings.Settings.from_dict({"system_namespaces": ["kube-system", "security"],
                                             "excluded_namespaces": ["security", "ci"]})
    assert s.all_excluded_namespaces() == ["kube-system", "security", "ci"]


def test_validation_actions_are_chosen_per_policy():
    policies = {p["metadata"]["annotations"]["bulwark.io/control"]: p["spec"]
                for p in kyverno_builders.build_pod_security_policies(settings())}
    assert policies["disallow_privileged_containers"]["validationActions"] == ["Deny"]
    assert policies["disallow_privileged_containers"]["failurePolicy"] == "Fail"
    assert policies["disallow_host_namespaces"]["validationActions"] == ["Audit", "Warn"]
    assert policies["disallow_host_namespaces"]["failurePolicy"] == "Ignore"
    assert policies["restrict_seccomp"]["validationActions"] == ["Audit"]


# ---------------------------------------------------------------------------- image policy
def test_image_policy_carries_every_key_and_glob():
    policy = kyverno_builders.build_image_policy(settings())
    spec = policy["spec"]
    assert policy["apiVersion"] == "policies.kyverno.io/v1"
    assert [a["cosign"]["key"]["data"] for a in spec["attestors"]] == list(TEST_KEYS)
    assert [g["glob"] for g in spec["matchImageReferences"]] == [
        "127.0.0.1:15000/*", "registry.example.com/team/*"]
    # rotation: one verifyImageSignatures call over all attestors, satisfied by any (> 0)
    signature = spec["validations"][0]["expression"]
    assert "verifyImageSignatures(image, [attestors.key0, attestors.key1]) > 0" in signature
    assert signature.startswith(
        "(images.containers + images.initContainers + images.ephemeralContainers).all(image, ")
    assert spec["validationActions"] == ["Deny"] and spec["failurePolicy"] == "Fail"
    assert spec["attestors"][0]["cosign"]["ctlog"] == {"insecureIgnoreTlog": True,
                                                       "insecureIgnoreSCT": True}


def test_image_policy_vulnerability_attestation_is_optional():
    with_vuln = kyverno_builders.build_image_policy(settings())["spec"]
    assert with_vuln["attestations"] == [{"name": "vulnerabilities",
                                          "intoto": {"type": predicates.VULN_PREDICATE_TYPE}}]
    expressions = " ".join(v["expression"] for v in with_vuln["validations"])
    assert "verifyAttestationSignatures(image, attestations.vulnerabilities" in expressions
    assert "metadata.scanFinishedOn" in expressions and "duration('72h')" in expressions
    data = full_settings()
    data["image_verification"]["require_vulnerability_attestation"] = False
    without = kyverno_builders.build_image_policy(kyverno_settings.Settings.from_dict(data))["spec"]
    assert "attestations" not in without and len(without["validations"]) == 1


def test_vulnerability_predicate_matches_the_trivy_gate():
    """One home: the policy demands what `cosign attest --type vuln` writes for the gate."""
    assert predicates.VULN_PREDICATE_TYPE == predicates.PREDICATE_TYPES["vuln"]
    assert predicates.VULN_PREDICATE_TYPE in str(kyverno_builders.build_image_policy(settings()))


def test_image_policy_expressions_parse_in_cel():
    """Kyverno's image functions are not in the Python engines, but the syntax must parse."""
    import celpy
    env = celpy.Environment()
    for validation in kyverno_builders.build_image_policy(settings())["spec"]["validations"]:
        env.compile(validation["expression"])


def _run_image_policy(images, signatures, scans, now):
    """Our ImageValidatingPolicy's validations under a real CEL engine, with Kyverno's image
    functions stubbed at the boundary: ``signatures`` maps image -> attestor names that signed
    it, ``scans`` maps image -> (attestor names, cosign vuln predicate). The stubs stand in for
    Kyverno's registry access; the CEL logic (any key, every image, scan age) is ours."""
    import cel
    spec = kyverno_builders.build_image_policy(settings())["spec"]
    context = cel.Context()
    context.add_variable("images", {"containers": [], "initContainers": [],
                                    "ephemeralContainers": [], **images})
    context.add_variable("attestors", {a["name"]: {"name": a["name"]} for a in spec["attestors"]})
    context.add_variable("attestations", {a["name"]: {"type": a["intoto"]["type"]}
                                          for a in spec["attestations"]})
    context.add_function("verifyImageSignatures", lambda image, attestors: sum(
        1 for a in attestors if a["name"] in signatures.get(image, ())))
    context.add_function("verifyAttestationSignatures", lambda image, attestation, attestors: sum(
        1 for a in attestors if attestation["type"] == predicates.VULN_PREDICATE_TYPE
        and a["name"] in scans.get(image, ((), {}))[0]))
    context.add_function("extractPayload", lambda image, attestation: scans[image][1])
    context.add_function("time.now", lambda: now)
    return [bool(cel.evaluate(v["expression"], context)) for v in spec["validations"]]


def _scan(finished):
    return {"scanner": {"uri": "pkg:github/aquasecurity/trivy"},
            "metadata": {"scanStartedOn": finished, "scanFinishedOn": finished}}


NOW = datetime(2026, 11, 25, 12, 0, tzinfo=timezone.utc)
FRESH = _scan("2026-11-25T06:00:00Z")
STALE = _scan("2026-11-21T12:00:00Z")   # 96 h old, the settings allow 72 h


@pytest.mark.parametrize(("images", "signatures", "scans", "expected"), [
    # signed by the rotated-in key only: any one key is enough
    ({"containers": ["r/app@sha256:1"]}, {"r/app@sha256:1": {"key1"}},
     {"r/app@sha256:1": ({"key1"}, FRESH)}, [True, True, True]),
    # an unsigned init container fails the signature rule
    ({"containers": ["r/app@sha256:1"], "initContainers": ["r/init@sha256:2"]},
     {"r/app@sha256:1": {"key0"}}, {"r/app@sha256:1": ({"key0"}, FRESH),
                                    "r/init@sha256:2": ((), FRESH)}, [False, False, True]),
    # signed by some other key: refused
    ({"containers": ["r/app@sha256:1"]}, {"r/app@sha256:1": {"intruder"}},
     {"r/app@sha256:1": ({"key0"}, FRESH)}, [False, True, True]),
    # a stale scan fails only the age rule
    ({"containers": ["r/app@sha256:1"]}, {"r/app@sha256:1": {"key0"}},
     {"r/app@sha256:1": ({"key0"}, STALE)}, [True, True, False]),
    # no image matched the globs: nothing to verify
    ({}, {}, {}, [True, True, True]),
])
def test_image_policy_logic_with_stubbed_kyverno_image_functions(images, signatures, scans,
                                                                 expected):
    assert _run_image_policy(images, signatures, scans, NOW) == expected


def test_legacy_policy_differs_only_where_the_legacy_kind_requires():
    s = settings()
    modern = kyverno_builders.build_image_policy(s)
    legacy = kyverno_builders.build_legacy_image_policy(s)
    assert (legacy["apiVersion"], legacy["kind"]) == ("kyverno.io/v1", "ClusterPolicy")
    assert legacy["metadata"] == modern["metadata"]
    (rule,) = legacy["spec"]["rules"]
    (verify,) = rule["verifyImages"]
    assert verify["type"] == "SigstoreBundle"  # cosign 3 bundles are OCI referrers
    # same keys (any one of them: count 1), same globs, same scope, same exclusions, same action
    (attestor,) = verify["attestors"]
    assert attestor["count"] == 1
    assert [e["keys"]["publicKeys"] for e in attestor["entries"]] == list(TEST_KEYS)
    assert all(e["keys"]["rekor"] == {"ignoreTlog": True} for e in attestor["entries"])
    assert verify["imageReferences"] == [g["glob"] for g in modern["spec"]["matchImageReferences"]]
    kinds = set(rule["match"]["any"][0]["resources"]["kinds"])
    assert kinds == set(kyverno_validation.POD_KINDS)
    excluded = modern["spec"]["matchConstraints"]["namespaceSelector"]["matchExpressions"][0]
    assert rule["exclude"]["any"][0]["resources"]["namespaces"] == excluded["values"]
    assert verify["failureAction"] == "Enforce" and modern["spec"]["validationActions"] == ["Deny"]
    assert legacy["spec"]["failurePolicy"] == modern["spec"]["failurePolicy"]
    for key in ("mutateDigest", "verifyDigest", "required"):
        assert verify[key] == modern["spec"]["validationConfigurations"][key]
    (attestation,) = verify["attestations"]
    assert attestation["type"] == modern["spec"]["attestations"][0]["intoto"]["type"]
    assert attestation["conditions"][0]["all"][0]["value"] == "72h"


@pytest.mark.parametrize(("actions", "failure_action", "warning"),
                         [("Audit", "Audit", False), (["Warn", "Audit"], "Audit", True),
                          ("Deny", "Enforce", False)])
def test_legacy_action_mapping(actions, failure_action, warning):
    data = full_settings()
    data["image_verification"]["action"] = actions
    legacy = kyverno_builders.build_legacy_image_policy(kyverno_settings.Settings.from_dict(data))
    assert legacy["spec"]["rules"][0]["verifyImages"][0]["failureAction"] == failure_action
    assert legacy["spec"].get("emitWarning", False) is warning


def test_bundle_emits_the_legacy_kind_only_on_request():
    kinds = {m["kind"] for m in kyverno_builders.build_bundle(full_settings())}
    assert "ImageValidatingPolicy" in kinds and "ClusterPolicy" not in kinds
    data = full_settings()
    data["image_verification"]["legacy_cluster_policy"] = True
    kinds = {m["kind"] for m in kyverno_builders.build_bundle(data)}
    assert "ClusterPolicy" in kinds and "ImageValidatingPolicy" not in kinds
    assert not {"ImageValidatingPolicy", "ClusterPolicy"} & {
        m["kind"] for m in kyverno_builders.build_bundle({})}


# ---------------------------------------------------------------------------- exceptions
def _workload(kind, name, namespace="observability"):
    return {"apiVersion": "v1", "kind": kind, "metadata": {"name": name, "namespace": namespace},
            "spec": {"containers": [{"name": "c", "image": "i"}]}}


def test_exception_expires_and_refers_to_our_policies():
    (exc,) = _by_kind(kyverno_builders.build_bundle(full_settings()), "PolicyException")
    assert exc["metadata"]["namespace"] == "observability"
    assert exc["spec"]["expiresAt"] == "2027-03-31T00:00:00Z"
    assert exc["spec"]["policyRefs"] == [
        {"kind": "ValidatingPolicy", "name": "bulwark-disallow-host-namespaces"},
        {"kind": "ValidatingPolicy", "name": "bulwark-require-read-only-root-filesystem"}]
    names = {p["metadata"]["name"]
             for p in kyverno_builders.build_pod_security_policies(settings())}
    assert {r["name"] for r in exc["spec"]["policyRefs"]} <= names


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(("kind", "name", "namespace", "exempt"), [
    ("DaemonSet", "node-agent", "observability", True),
    ("Deployment", "node-agent", "observability", False),    # kind pinned to DaemonSet
    ("Pod", "node-agent-debug", "observability", True),      # any kind
    ("DaemonSet", "node-agent", "payments", False),          # other namespace
    ("DaemonSet", "other-agent", "observability", False),
])
def test_exception_match_conditions_select_only_the_named_workloads(engine, kind, name,
                                                                    namespace, exempt):
    (exc,) = _by_kind(kyverno_builders.build_bundle(full_settings()), "PolicyException")
    as_policy = {"spec": {"matchConditions": exc["spec"]["matchConditions"], "validations": []}}
    result = evaluate_policy(as_policy, _workload(kind, name, namespace), engine)
    assert result["matched"] is exempt


def _owned(kind, name, owner_kind, owner_name, namespace="shop"):
    obj = _workload(kind, name, namespace)
    obj["metadata"]["ownerReferences"] = [{"apiVersion": "apps/v1", "kind": owner_kind,
                                           "name": owner_name, "uid": "0", "controller": True}]
    return obj


@pytest.mark.parametrize("engine", sorted(ENGINES))
@pytest.mark.parametrize(("resource", "exempt"), [
    (_workload("Deployment", "web.v2", "shop"), True),
    (_owned("ReplicaSet", "web.v2-7d9c8b5f6", "Deployment", "web.v2"), True),
    (_owned("Pod", "web.v2-7d9c8b5f6-x2x9q", "ReplicaSet", "web.v2-7d9c8b5f6"), True),
    (_owned("Pod", "webxv2-7d9c8b5f6-x2x9q", "ReplicaSet", "webxv2-7d9c8b5f6"), False),  # dot
    (_owned("Pod", "web.v2-admin-x2x9q", "ReplicaSet", "web.v2-admin"), False),  # not a hash
    (_owned("Pod", "web.v2-canary-1-abcde", "ReplicaSet", "web.v2-canary-1"), False),
    (_workload("Pod", "web.v2", "shop"), False),                 # kind pinned to Deployment
    (_owned("Job", "report-29012345", "CronJob", "report"), True),
    (_owned("Pod", "report-29012345-abcde", "Job", "report-29012345"), True),
    (_owned("Pod", "report-x-abcde", "Job", "report-x"), False),
    (_owned("Pod", "backup-0", "StatefulSet", "backup"), True),
    (_owned("Pod", "backup-0", "StatefulSet", "backup", namespace="other"), False),
])
def test_exception_covers_the_pods_a_named_controller_creates(engine, resource, exempt):
    data = full_settings()
    data["exceptions"] = [{
        "name": "legacy-apps", "namespace": "shop", "policies": ["restrict_seccomp"],
        "expires_at": "2027-01-01T00:00:00Z",
        "workloads": [{"name": "web.v2", "kind": "Deployment"},
                      {"name": "report", "kind": "CronJob"},
                      {"name": "backup", "kind": "StatefulSet"}]}]
    (exc,) = _by_kind(kyverno_builders.build_bundle(data), "PolicyException")
    as_policy = {"spec": {"matchConditions": exc["spec"]["matchConditions"], "validations": []}}
    assert evaluate_policy(as_policy, resource, engine)["matched"] is exempt


def test_image_verification_exception_refers_to_the_image_policy():
    data = full_settings()
    data["exceptions"][0]["policies"] = ["image_verification"]
    (exc,) = _by_kind(kyverno_builders.build_bundle(data), "PolicyException")
    assert exc["spec"]["policyRefs"] == [{"kind": "ImageValidatingPolicy",
                                          "name": "bulwark-verify-image-signatures"}]


# ---------------------------------------------------------------------------- namespaces
def test_namespaces_carry_pinned_pod_security_admission_labels():
    namespaces = {n["metadata"]["name"]: n["metadata"]["labels"]
                  for n in _by_kind(kyverno_builders.build_bundle(full_settings()), "Namespace")}
    assert namespaces["payments"] == {
        "app.kubernetes.io/managed-by": "bulwark",
        "app.kubernetes.io/part-of": "bulwark",
        "team": "payments",
        "pod-security.kubernetes.io/enforce": "restricted",
        "pod-security.kubernetes.io/enforce-version": "v1.33",
        "pod-security.kubernetes.io/audit": "restricted",
        "pod-security.kubernetes.io/audit-version": "v1.33",
        "pod-security.kubernetes.io/warn": "restricted",
        "pod-security.kubernetes.io/warn-version": "v1.33",
    }
    assert namespaces["kube-public"]["pod-security.kubernetes.io/enforce"] == "baseline"
    assert namespaces["kube-public"]["pod-security.kubernetes.io/warn"] == "restricted"
    assert namespaces["kube-public"]["pod-security.kubernetes.io/audit-version"] == "v1.32"
    existing = {n.name: n.existing for n in settings().namespaces}
    assert existing == {"payments": False, "kube-public": True}


# ---------------------------------------------------------------------------- network policies
def _network(namespace):
    return {m["metadata"]["name"]: m["spec"]
            for m in _by_kind(kyverno_builders.build_bundle(full_settings()), "NetworkPolicy")
            if m["metadata"]["namespace"] == namespace}


def test_default_deny_and_dns():
    policies = _network("payments")
    assert policies["default-deny-all"] == {"podSelector": {},
                                            "policyTypes": ["Ingress", "Egress"]}
    (egress,) = policies["allow-dns"]["egress"]
    assert egress["to"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "kube-system"}},
        "podSelector": {"matchLabels": {"k8s-app": "kube-dns"}}}]
    assert egress["ports"] == [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}]
    assert _network("kube-public") == {}  # default_deny and allow_dns switched off


def test_an_existing_namespace_gets_only_the_network_policies_asked_for():
    def network(**ns):
        bundle = kyverno_builders.build_bundle({"namespaces": [{"name": "ingress", **ns}]})
        return sorted(m["metadata"]["name"] for m in _by_kind(bundle, "NetworkPolicy"))

    # its owner's traffic stays theirs: the labels patch only
    assert network(existing=True) == []
    assert network(existing=True, ingress=[{"name": "from-lb", "cidrs": ["10.0.0.0/8"]}]) == [
        "allow-ingress-from-lb"]
    assert network(existing=True, default_deny=True) == ["default-deny-all"]
    assert network(existing=True, allow_dns=True) == ["allow-dns"]
    # a namespace Bulwark owns keeps the default deny and DNS
    assert network() == ["allow-dns", "default-deny-all"]
    assert network(existing=False, default_deny=False) == ["allow-dns"]


def test_allowlists_from_settings():
    policies = _network("payments")
    assert sorted(policies) == ["allow-dns", "allow-egress-to-database", "allow-egress-to-partner",
                                "allow-ingress-from-frontend", "allow-ingress-from-ingress",
                                "default-deny-all"]
    ingress = policies["allow-ingress-from-ingress"]
    assert ingress["podSelector"] == {"matchLabels": {"app": "api"}}
    assert ingress["policyTypes"] == ["Ingress"]
    assert ingress["ingress"] == [{"from": [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "ingress-nginx"}}}],
        "ports": [{"protocol": "TCP", "port": 8080}]}]
    assert policies["allow-ingress-from-frontend"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"app": "frontend"}}}]
    database = policies["allow-egress-to-database"]["egress"][0]
    assert database["to"] == [{"namespaceSelector": {"matchLabels": {
        "kubernetes.io/metadata.name": "databases"}},
        "podSelector": {"matchLabels": {"app": "postgres"}}}]
    partner = policies["allow-egress-to-partner"]["egress"][0]
    assert partner["to"] == [{"ipBlock": {"cidr": "203.0.113.0/24",
                                          "except": ["203.0.113.7/32"]}}]
    assert partner["ports"] == [{"protocol": "UDP", "port": 30000, "endPort": 30100}]


def test_dns_target_is_configurable():
    data = full_settings(dns={"namespace": "dns", "pod_labels": {"app": "coredns"}, "port": 5353})
    egress = _by_kind(kyverno_builders.build_bundle(data), "NetworkPolicy")[1]["spec"]["egress"][0]
    assert egress["to"][0]["podSelector"] == {"matchLabels": {"app": "coredns"}}
    assert egress["ports"][0]["port"] == 5353


# ---------------------------------------------------------------------------- bundle
def test_bundle_order_and_determinism():
    first = kyverno_builders.build_bundle(full_settings())
    assert first == kyverno_builders.build_bundle(copy.deepcopy(full_settings()))
    kinds = [m["kind"] for m in first]
    assert kinds.index("Namespace") < kinds.index("NetworkPolicy") < kinds.index(
        "ValidatingPolicy") < kinds.index("PolicyException")


def test_bundle_scales_linearly():
    """200 namespaces: ten times the manifests of 20, each namespace's own four policies."""
    def data(n):
        return full_settings(namespaces=[
            {"name": f"team-{i:03d}", "ingress": [{"name": "web", "namespaces": ["ingress"]}]}
            for i in range(n)])
    small, large = kyverno_builders.build_bundle(data(20)), kyverno_builders.build_bundle(data(200))
    fixed = len(small) - 20 * 4
    assert len(large) - fixed == 200 * 4
