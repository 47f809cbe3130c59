# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The cluster side and the images' supply chain: what the one policy source says, and what
cosign verified, turned into posture checks.

Plain Python, no Ansible imports. The cluster side is read from the rendered bundle (the
manifests `kyverno/builders.build_bundle` returns for the Pulumi program and the kyverno role),
never from a second description of the policies.
"""

from __future__ import annotations

import datetime

from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import check

PSA_LABEL = "pod-security.kubernetes.io/enforce"
POLICY_KINDS = (
    "ValidatingPolicy",
    "ImageValidatingPolicy",
    "ClusterPolicy",
    "ValidatingAdmissionPolicy",
)


def _actions(doc):
    spec = doc.get("spec") or {}
    if "validationActions" in spec:
        return [str(a) for a in spec["validationActions"]]
    if "validationFailureAction" in spec:  # legacy ClusterPolicy
        return [str(spec["validationFailureAction"]).capitalize()]
    return []


def cluster_summary(bundle):
    """{policies, namespaces} from the bundle's manifests."""
    policies, namespaces, netpols = [], {}, {}
    for doc in bundle or []:
        kind, meta = doc.get("kind"), doc.get("metadata") or {}
        if kind in POLICY_KINDS:
            annotations = meta.get("annotations") or {}
            policies.append(
                {
                    "name": meta.get("name"),
                    "kind": kind,
                    "actions": _actions(doc),
                    "control": annotations.get("bulwark.io/control"),
                    "title": annotations.get("policies.kyverno.io/title", meta.get("name")),
                }
            )
        elif kind == "Namespace":
            labels = meta.get("labels") or {}
            namespaces[meta["name"]] = {
                "name": meta["name"],
                "enforce": labels.get(PSA_LABEL),
                "audit": labels.get("pod-security.kubernetes.io/audit"),
                "warn": labels.get("pod-security.kubernetes.io/warn"),
            }
        elif kind == "NetworkPolicy":
            spec = doc.get("spec") or {}
            netpols.setdefault(meta.get("namespace"), []).append(
                {
                    "name": meta.get("name"),
                    "policy_types": list(spec.get("policyTypes") or []),
                    "default_deny": spec.get("podSelector") == {}
                    and not spec.get("ingress")
                    and not spec.get("egress"),
                }
            )
    for name in netpols:
        namespaces.setdefault(name, {"name": name, "enforce": None, "audit": None, "warn": None})
    out = []
    for name in sorted(namespaces):
        entry = dict(namespaces[name], network_policies=netpols.get(name, []))
        out.append(entry)
    return {"policies": sorted(policies, key=lambda p: p["name"]), "namespaces": out}


def cluster_checks(summary):
    out = []
    for policy in summary["policies"]:
        subject = policy["control"] or policy["name"]
        fix = (
            f"kyverno_policy_settings.pod_security.actions.{policy['control']}"
            if policy["control"]
            else "kyverno_policy_settings.image_verification"
        )
        nist = "untrusted_images" if policy["kind"] == "ImageValidatingPolicy" else "runtime_config"
        if "Deny" in policy["actions"]:
            out.append(
                check(
                    f"admit.policy.{subject}",
                    "pass",
                    f"{policy['title']}: Deny",
                    "admit",
                    "admit",
                    nist,
                )
            )
        elif policy["actions"]:
            out.append(
                check(
                    f"admit.policy.{subject}",
                    "warn",
                    f"{policy['title']}: {', '.join(policy['actions'])} "
                    f"only, violations are admitted",
                    "admit",
                    "admit",
                    nist,
                    fix,
                )
            )
        else:
            out.append(
                check(
                    f"admit.policy.{subject}",
                    "fail",
                    f"{policy['title']}: no validation action",
                    "admit",
                    "admit",
                    nist,
                    fix,
                )
            )
    if not any(p["kind"] == "ImageValidatingPolicy" for p in summary["policies"]):
        out.append(
            check(
                "admit.image_signatures",
                "fail",
                "no admission policy verifies image signatures",
                "admit",
                "admit",
                "untrusted_images",
                "kyverno_policy_settings.image_verification",
            )
        )
    for ns in summary["namespaces"]:
        name, level = ns["name"], ns["enforce"]
        fix = f"kyverno_policy_settings.namespaces[{name}].pod_security"
        if level == "restricted":
            out.append(
                check(
                    f"admit.namespace.{name}.pod_security",
                    "pass",
                    f"{name}: Pod Security enforce restricted",
                    "admit",
                    "admit",
                    "workload_sensitivity",
                )
            )
        elif level == "baseline":
            out.append(
                check(
                    f"admit.namespace.{name}.pod_security",
                    "warn",
                    f"{name}: Pod Security enforce baseline",
                    "admit",
                    "admit",
                    "workload_sensitivity",
                    fix,
                )
            )
        else:
            out.append(
                check(
                    f"admit.namespace.{name}.pod_security",
                    "fail",
                    f"{name}: Pod Security enforce {level or 'not set'}",
                    "admit",
                    "admit",
                    "workload_sensitivity",
                    fix,
                )
            )
        deny = [p["name"] for p in ns["network_policies"] if p["default_deny"]]
        if deny:
            out.append(
                check(
                    f"admit.namespace.{name}.network",
                    "pass",
                    f"{name}: default deny ({', '.join(deny)}) "
                    f"+ {len(ns['network_policies']) - len(deny)} allow rule(s)",
                    "admit",
                    "admit",
                    "network_separation",
                )
            )
        else:
            out.append(
                check(
                    f"admit.namespace.{name}.network",
                    "fail",
                    f"{name}: no default-deny NetworkPolicy",
                    "admit",
                    "admit",
                    "network_separation",
                    f"kyverno_policy_settings.namespaces[{name}].network",
                )
            )
    return out


def _parse(value):
    try:
        stamp = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)


def image_state(image, signature, attestation, now, max_age_hours=168):
    """One image's supply-chain state from cosign_verify and cosign_verify_attestation results.

    `signature` / `attestation` are the registered module results (failed ones included).
    """
    signed = bool(signature) and not signature.get("failed") and bool(signature.get("verified"))
    state = {
        "image": image,
        "digest": (signature or {}).get("digest") or (attestation or {}).get("digest"),
        "signed": signed,
        "signed_by": list((signature or {}).get("verified_keys") or []),
        "signature_error": None
        if signed
        else ((signature or {}).get("reason") or (signature or {}).get("msg") or "not verified"),
        "attestation": False,
        "scan_finished": None,
        "attestation_age_hours": None,
        "attestation_error": None,
        "max_age_hours": max_age_hours,
    }
    if attestation and not attestation.get("failed"):
        state["attestation"] = True
        finished = [
            ((a.get("predicate") or {}).get("metadata") or {}).get("scanFinishedOn")
            for a in attestation.get("attestations") or []
        ]
        stamps = [s for s in (_parse(f) for f in finished if f) if s]
        if stamps:
            newest = max(stamps)
            state["scan_finished"] = newest.isoformat()
            state["attestation_age_hours"] = round((_parse(now) - newest).total_seconds() / 3600, 1)
    else:
        state["attestation_error"] = (
            (attestation or {}).get("reason") or (attestation or {}).get("msg") or "not verified"
        )
    return state


def image_checks(state):
    image = state["image"]
    out = []
    if state["signed"]:
        out.append(
            check(
                f"sign.image.{image}",
                "pass",
                f"signed by {', '.join(state['signed_by'])}",
                "sign",
                "ship",
                "untrusted_images",
            )
        )
    else:
        out.append(
            check(
                f"sign.image.{image}",
                "fail",
                f"no signature by a trusted key: {state['signature_error']}",
                "sign",
                "ship",
                "untrusted_images",
                "posture_public_keys",
            )
        )
    age = state["attestation_age_hours"]
    if not state["attestation"]:
        out.append(
            check(
                f"scan.image.{image}",
                "fail",
                f"no verified vulnerability attestation: {state['attestation_error']}",
                "scan",
                "build",
                "image_vulnerabilities",
                "posture_attestation_type",
            )
        )
    elif age is None:
        out.append(
            check(
                f"scan.image.{image}",
                "warn",
                "vulnerability attestation without scanFinishedOn",
                "scan",
                "build",
                "image_vulnerabilities",
            )
        )
    elif age > state["max_age_hours"]:
        out.append(
            check(
                f"scan.image.{image}",
                "fail",
                f"vulnerability attestation is {age} h old (limit {state['max_age_hours']} h)",
                "scan",
                "build",
                "image_vulnerabilities",
                "posture_attestation_max_age_hours",
            )
        )
    else:
        out.append(
            check(
                f"scan.image.{image}",
                "pass",
                f"vulnerability attestation {age} h old",
                "scan",
                "build",
                "image_vulnerabilities",
            )
        )
    return out
