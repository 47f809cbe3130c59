# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Kyverno admission policies, Pod Security labels and NetworkPolicies from typed settings.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    image_rules,
    image_verification,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    CONTROL_VARIABLES,
    POD_SECURITY_CONTROLS,
    POD_SPEC_VARIABLES,
    SELINUX_TYPE_LISTS,
    _control_validations,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.native import (
    build_native_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    ExceptionSettings,
    NamespaceSettings,
    Settings,
    TrafficRule,
    Workload,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    KYVERNO_API,
    LEGACY_API,
    MANAGED_LABELS,
    NAMESPACE_NAME_LABEL,
    POD_KINDS,
    POD_RESOURCE_RULES,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.predicates import (
    VULN_PREDICATE_TYPE,
)


def _metadata(name: str, namespace: str | None = None, annotations: dict | None = None,
              labels: dict | None = None) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = {**MANAGED_LABELS, **(labels or {})}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _match_constraints(settings: Settings) -> dict:
    rules = [{"apiGroups": [group], "apiVersions": [version],
              "operations": ["CREATE", "UPDATE"], "resources": list(resources)}
             for group, version, resources in POD_RESOURCE_RULES]
    constraints = {"resourceRules": rules}
    excluded = settings.all_excluded_namespaces()
    if excluded:
        constraints["namespaceSelector"] = {"matchExpressions": [
            {"key": NAMESPACE_NAME_LABEL, "operator": "NotIn", "values": excluded}]}
    return constraints


def _failure_policy(actions) -> str:
    return "Fail" if "Deny" in actions else "Ignore"


def build_pod_security_policy(settings: Settings, control: str) -> dict:
    """The ValidatingPolicy of one pod-security control (a key of POD_SECURITY_CONTROLS)."""
    suffix, title, level = POD_SECURITY_CONTROLS[control]
    ps = settings.pod_security
    actions = ps.actions_for(control)
    validations = _control_validations(control, ps.allowed_capabilities,
                                       ps.seccomp_profile_types,
                                       SELINUX_TYPE_LISTS[ps.selinux_types])
    return {
        "apiVersion": KYVERNO_API,
        "kind": "ValidatingPolicy",
        "metadata": _metadata(settings.policy_name(control), annotations={
            "policies.kyverno.io/title": title,
            "policies.kyverno.io/category": f"Pod Security ({level})",
            "policies.kyverno.io/subject": "Pod",
            "bulwark.io/control": control,
        }),
        "spec": {
            "validationActions": list(actions),
            "failurePolicy": _failure_policy(actions),
            "evaluation": {"admission": {"enabled": True}, "background": {"enabled": True}},
            "matchConstraints": _match_constraints(settings),
            "variables": [dict(v) for v in
                          (*POD_SPEC_VARIABLES, *CONTROL_VARIABLES.get(control, ()))],
            "validations": validations,
        },
    }


def build_image_rule_policy(settings: Settings, rule: str) -> dict:
    """The ValidatingPolicy of one image rule (a key of image_rules.IMAGE_RULES), over every
    container kind of Pods and pod controllers, as the pod security policies read them."""
    _suffix, title, _keys = image_rules.IMAGE_RULES[rule]
    rule_settings = settings.image_rules.rules[rule]
    actions = rule_settings.actions
    registry = rule in image_rules.REGISTRY_RULES
    return {
        "apiVersion": KYVERNO_API,
        "kind": "ValidatingPolicy",
        "metadata": _metadata(settings.policy_name(rule), annotations={
            "policies.kyverno.io/title": title,
            "policies.kyverno.io/category": "Image rules",
            "policies.kyverno.io/subject": "Pod",
            "bulwark.io/control": rule,
        }),
        "spec": {
            "validationActions": list(actions),
            "failurePolicy": _failure_policy(actions),
            # a registry lookup per image: at admission only, as kyverno/policies' own
            "evaluation": {"admission": {"enabled": True},
                           "background": {"enabled": not registry}},
            "matchConstraints": _match_constraints(settings),
            "variables": [dict(v) for v in POD_SPEC_VARIABLES],
            "validations": [image_rules.validation(rule, rule_settings)],
        },
    }


def build_rule_policy(settings: Settings, key: str) -> dict:
    """The ValidatingPolicy of a pod security control or of an image rule, by its key."""
    if key in image_rules.IMAGE_RULES:
        return build_image_rule_policy(settings, key)
    return build_pod_security_policy(settings, key)


def build_image_rule_policies(settings: Settings) -> list[dict]:
    """The enabled image rules; with ``engine: native`` as ValidatingAdmissionPolicies (the
    settings refuse the registry rules there)."""
    policies = [build_image_rule_policy(settings, r) for r in settings.image_rules.enabled()]
    if settings.engine == "native":
        return [doc for policy in policies for doc in build_native_policy(policy)]
    return policies


# Kyverno fills images.containers / initContainers / ephemeralContainers (always present, only
# the images matchImageReferences selects) for Pods and pod controllers alike.
_ALL_IMAGES = "(images.containers + images.initContainers + images.ephemeralContainers)"


def build_image_policy(settings: Settings) -> dict:
    """ImageValidatingPolicy: every matching image signed by any one of the public keys.

    Init and ephemeral containers are verified too. ``time.now()`` comes from Kyverno's CEL
    time library (kyverno/sdk extensions/cel/libs/time), loaded for ImageValidatingPolicies.
    """
    iv = settings.image_verification
    attestors = image_verification.attestors(iv)
    refs = "[" + ", ".join(f"attestors.{a['name']}" for a in attestors) + "]"
    validations = [{
        "expression": f"{_ALL_IMAGES}.all(image, verifyImageSignatures(image, {refs}) > 0)",
        "message": "Every image matching " + ", ".join(iv.image_globs)
                   + " must carry a signature by one of the trusted keys, certificates or "
                   "identities.",
    }]
    spec = {
        "validationActions": list(iv.actions),
        "failurePolicy": _failure_policy(iv.actions),
        "evaluation": {"background": {"enabled": False}},
        "matchConstraints": _match_constraints(settings),
        "matchImageReferences": [{"glob": g} for g in iv.image_globs],
        "validationConfigurations": {"mutateDigest": True, "verifyDigest": True,
                                     "required": True},
        "attestors": attestors,
    }
    if iv.require_vulnerability_attestation:
        spec["attestations"] = [{"name": "vulnerabilities",
                                 "intoto": {"type": VULN_PREDICATE_TYPE}}]
        validations.append({
            "expression": f"{_ALL_IMAGES}.all(image, verifyAttestationSignatures(image, "
                          f"attestations.vulnerabilities, {refs}) > 0)",
            "message": "Every image must carry a vulnerability scan attestation "
                       f"({VULN_PREDICATE_TYPE}) signed by one of the trusted keys.",
        })
        validations.append({
            "expression": f"{_ALL_IMAGES}.all(image, time.now() - timestamp(extractPayload("
                          "image, attestations.vulnerabilities).metadata.scanFinishedOn) <= "
                          f"duration('{iv.vulnerability_max_age_hours}h'))",
            "message": "The vulnerability scan attestation must be at most "
                       f"{iv.vulnerability_max_age_hours} hours old.",
        })
    spec["validations"] = validations
    return {
        "apiVersion": KYVERNO_API,
        "kind": "ImageValidatingPolicy",
        "metadata": _metadata(settings.policy_name("image_verification"), annotations={
            "policies.kyverno.io/title": "Verify image signatures",
            "policies.kyverno.io/category": "Software Supply Chain Security",
            "policies.kyverno.io/subject": "Pod",
        }),
        "spec": spec,
    }


def build_legacy_image_policy(settings: Settings) -> dict:
    """The same image rule as a kyverno.io/v1 ClusterPolicy, for clusters on Kyverno < 1.15.

    Differences forced by the legacy kind: ``verifyImages`` with ``type: SigstoreBundle`` (cosign
    3 bundles are OCI referrers, which ``type: Cosign`` does not find), ``failureAction``
    Enforce/Audit (Warn becomes Audit with ``emitWarning``), ``match``/``exclude`` blocks instead
    of matchConstraints, keys as ``attestors[].entries`` with ``count: 1`` (any key), JMESPath
    ``time_since`` for the scan age.
    """
    iv = settings.image_verification
    keys = {}
    if iv.ignore_transparency_log:
        keys = {"rekor": {"ignoreTlog": True}, "ctlog": {"ignoreSCT": True}}
    attestors = [{"count": 1, "entries": [{"keys": {"publicKeys": pem, **keys}}
                                          for pem in iv.public_keys]}]
    verify = {
        "imageReferences": list(iv.image_globs),
        "type": "SigstoreBundle",
        "failureAction": "Enforce" if "Deny" in iv.actions else "Audit",
        "mutateDigest": True,
        "verifyDigest": True,
        "required": True,
        "attestors": attestors,
    }
    if iv.require_vulnerability_attestation:
        verify["attestations"] = [{
            "type": VULN_PREDICATE_TYPE,
            "attestors": attestors,
            "conditions": [{"all": [{
                "key": "{{ time_since('', '{{ metadata.scanFinishedOn }}', '') }}",
                "operator": "DurationLessThanOrEquals",
                "value": f"{iv.vulnerability_max_age_hours}h",
            }]}],
        }]
    rule = {
        "name": "verify-image-signatures",
        "match": {"any": [{"resources": {"kinds": list(POD_KINDS)}}]},
        "verifyImages": [verify],
    }
    excluded = settings.all_excluded_namespaces()
    if excluded:
        rule["exclude"] = {"any": [{"resources": {"namespaces": excluded}}]}
    spec = {
        "background": False,
        "failurePolicy": _failure_policy(iv.actions),
        "webhookTimeoutSeconds": 30,
        "rules": [rule],
    }
    if "Warn" in iv.actions:
        spec["emitWarning"] = True
    policy = build_image_policy(settings)
    return {"apiVersion": LEGACY_API, "kind": "ClusterPolicy",
            "metadata": policy["metadata"], "spec": spec}


# Kubernetes' rand.SafeEncodeString alphabet (the pod-template-hash of a Deployment's
# ReplicaSets) and the scheduled-time suffix of a CronJob's Jobs.
_TEMPLATE_HASH = "[bcdfghjklmnpqrstvwxz2456789]+"
_SCHEDULE_SUFFIX = "[0-9]+"


def _owner_clause(w: Workload) -> str:
    """CEL over one owner reference ``o``: does it lead to the workload?

    Pods of a Deployment are owned by a ReplicaSet ``<name>-<pod-template-hash>`` and pods of a
    CronJob by a Job ``<name>-<scheduled time>``, so those two also accept that generated name;
    the other controllers own their pods directly.
    """
    escaped = w.name.replace(".", "\\\\.")
    direct = f"(o.kind == '{w.kind}' && o.name == '{w.name}')"
    if w.kind == "Deployment":
        return (f"{direct} || (o.kind == 'ReplicaSet' && "
                f"o.name.matches('^{escaped}-{_TEMPLATE_HASH}$'))")
    if w.kind == "CronJob":
        return f"{direct} || (o.kind == 'Job' && o.name.matches('^{escaped}-{_SCHEDULE_SUFFIX}$'))"
    if not w.kind:
        return (f"o.name == '{w.name}' || (o.kind == 'ReplicaSet' && "
                f"o.name.matches('^{escaped}-{_TEMPLATE_HASH}$')) || (o.kind == 'Job' && "
                f"o.name.matches('^{escaped}-{_SCHEDULE_SUFFIX}$'))")
    return direct


def _exception_conditions(exc: ExceptionSettings) -> list[dict]:
    """The workload itself, or a pod (ReplicaSet, Job) its controller created."""
    clauses = []
    for w in exc.workloads:
        itself = f"object.metadata.name == '{w.name}'"
        clauses.append(f"(object.kind == '{w.kind}' && {itself})" if w.kind else f"({itself})")
        if w.kind != "Pod":
            clauses.append("(has(object.metadata.ownerReferences) && "
                           f"object.metadata.ownerReferences.exists(o, {_owner_clause(w)}))")
    return [
        {"name": "in-namespace",
         "expression": f"has(object.metadata.namespace) && "
                       f"object.metadata.namespace == '{exc.namespace}'"},
        {"name": "named-workload", "expression": " || ".join(clauses)},
    ]


def build_policy_exception(settings: Settings, exc: ExceptionSettings) -> dict:
    """PolicyException for named workloads, with ``expiresAt`` so nothing is exempt forever.

    It lives in the workloads' namespace and matches, through CEL ``matchConditions``, the
    named workloads and the pods their controllers create (by owner reference). Kyverno must
    have policy exceptions enabled for that namespace (Helm ``features.policyExceptions``).
    """
    refs = []
    for key in exc.policies:
        kind = "ImageValidatingPolicy" if key == "image_verification" else "ValidatingPolicy"
        refs.append({"kind": kind, "name": settings.policy_name(key)})
    annotations = {"bulwark.io/expires-at": exc.expires_at}
    if exc.reason:
        annotations["bulwark.io/reason"] = exc.reason
    return {
        "apiVersion": KYVERNO_API,
        "kind": "PolicyException",
        "metadata": _metadata(exc.name, exc.namespace, annotations=annotations),
        "spec": {
            "policyRefs": refs,
            "expiresAt": exc.expires_at,
            "matchConditions": _exception_conditions(exc),
        },
    }


def build_namespace(settings: Settings, ns: NamespaceSettings) -> dict:
    """Namespace with Pod Security Admission labels (applying it to an existing one patches)."""
    psa = ns.pod_security
    labels = dict(ns.labels)
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = getattr(psa, mode)
        labels[f"pod-security.kubernetes.io/{mode}-version"] = psa.version
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _metadata(ns.name, labels=labels)}


def _peers(rule: TrafficRule) -> list[dict]:
    peers = []
    for name in rule.namespaces:
        peer = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}
        if rule.pods is not None:
            peer["podSelector"] = {"matchLabels": dict(rule.pods)} if rule.pods else {}
        peers.append(peer)
    if not rule.namespaces and rule.pods is not None:
        peers.append({"podSelector": {"matchLabels": dict(rule.pods)} if rule.pods else {}})
    for c in rule.cidrs:
        block = {"cidr": c.cidr}
        if c.except_cidrs:
            block["except"] = list(c.except_cidrs)
        peers.append({"ipBlock": block})
    return peers


def _ports(ports) -> list[dict]:
    out = []
    for p in ports:
        item = {"protocol": p.protocol, "port": p.port}
        if p.end_port is not None:
            item["endPort"] = p.end_port
        out.append(item)
    return out


def _selector(labels: dict) -> dict:
    return {"matchLabels": dict(labels)} if labels else {}


def build_network_policies(settings: Settings, ns: NamespaceSettings) -> list[dict]:
    """Default deny (ingress and egress), DNS to kube-dns, then the namespace's allowlists."""
    out = []

    def policy(name, spec):
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": _metadata(name, ns.name), "spec": spec})

    if ns.default_deny:
        policy("default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    if ns.allow_dns:
        dns = settings.dns
        policy("allow-dns", {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL:
                                                              dns.namespace}},
                        "podSelector": _selector(dns.pod_labels)}],
                "ports": [{"protocol": "UDP", "port": dns.port},
                          {"protocol": "TCP", "port": dns.port}],
            }],
        })
    for direction, key, peer_key in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
        for rule in getattr(ns, key):
            entry = {peer_key: _peers(rule)}
            if rule.ports:
                entry["ports"] = _ports(rule.ports)
            policy(f"allow-{key}-{rule.name}"[:63].rstrip("-"), {
                "podSelector": _selector(rule.pod_selector),
                "policyTypes": [direction],
                key: [entry],
            })
    return out


def build_pod_security_policies(settings: Settings) -> list[dict]:
    """One ValidatingPolicy per control, or with ``engine: native`` the ValidatingAdmissionPolicy
    and its binding derived from it (native.py)."""
    policies = [build_pod_security_policy(settings, c) for c in settings.pod_security.controls()]
    if settings.engine == "native":
        return [doc for policy in policies for doc in build_native_policy(policy)]
    return policies


def build_bundle(settings: Settings | dict) -> list[dict]:
    """Every manifest, in apply order: namespaces, network policies, policies, exceptions."""
    if not isinstance(settings, Settings):
        settings = Settings.from_dict(settings)
    out = []
    for ns in settings.namespaces:
        out.append(build_namespace(settings, ns))
    for ns in settings.namespaces:
        out.extend(build_network_policies(settings, ns))
    out.extend(build_pod_security_policies(settings))
    out.extend(build_image_rule_policies(settings))
    if settings.image_verification.enabled:
        if settings.image_verification.legacy_cluster_policy:
            out.append(build_legacy_image_policy(settings))
        else:
            out.append(build_image_policy(settings))
    for exc in settings.exceptions:
        out.append(build_policy_exception(settings, exc))
    return out
