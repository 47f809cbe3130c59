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

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.actions import (
    POLICY_KINDS,
    policy_actions,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
    parse_time,
    result,
)

PSA_LABEL = "pod-security.kubernetes.io/enforce"


def cluster_summary(bundle):
    """{policies, namespaces} from the bundle's manifests. Each policy's actions are
    kyverno/actions.policy_actions' (a native policy's come from its binding); a bundle that
    cannot be read that way is refused (BundleError, a ValueError)."""
    policies, namespaces, netpols = [], {}, {}
    actions = policy_actions(bundle or [])
    for doc in bundle or []:
        kind, meta = doc.get("kind"), doc.get("metadata") or {}
        if kind in POLICY_KINDS:
            annotations = meta.get("annotations") or {}
            policies.append(
                {
                    "name": meta.get("name"),
                    "kind": kind,
                    "actions": list(actions[meta["name"]]),
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
        control = "admit.policy" if policy["control"] else "admit.image_policy"
        fix = None if policy["control"] else "kyverno_policy_settings.image_verification"
        if "Deny" in policy["actions"]:
            out.append(result(control, "pass", f"{policy['title']}: Deny", subject,
                              group="Deny"))
        elif policy["actions"]:
            only = f"{', '.join(policy['actions'])} only, violations are admitted"
            out.append(result(control, "warn", f"{policy['title']}: {only}", subject, fix,
                              group=only))
        else:
            out.append(result(control, "fail", f"{policy['title']}: no validation action", subject,
                              fix, group="no validation action"))
    if not any(p["kind"] == "ImageValidatingPolicy" for p in summary["policies"]):
        out.append(result("admit.image_signatures", "fail",
                          "no admission policy verifies image signatures"))
    for ns in summary["namespaces"]:
        name, level = ns["name"], ns["enforce"]
        status = {"restricted": "pass", "baseline": "warn"}.get(level, "fail")
        out.append(result("admit.namespace.pod_security", status,
                          f"{name}: Pod Security enforce {level or 'not set'}", name,
                          group=f"Pod Security enforce {level or 'not set'}"))
        deny = [p["name"] for p in ns["network_policies"] if p["default_deny"]]
        if deny:
            allow = len(ns["network_policies"]) - len(deny)
            out.append(result("admit.namespace.network", "pass", f"{name}: default deny "
                              f"({', '.join(deny)}) + {allow} allow rule(s)", name,
                              group="default-deny NetworkPolicy"))
        else:
            out.append(result("admit.namespace.network", "fail",
                              f"{name}: no default-deny NetworkPolicy", name,
                              group="no default-deny NetworkPolicy"))
    return out


def image_state(image, signature, attestation, now, max_age_hours=168):
    """One image's supply-chain state from cosign_verify and cosign_verify_attestation results.

    `signature` / `attestation` are the registered module results (failed ones included). A
    task registered with `failed_when: false` says `failed: false` even when verification failed,
    so success is read from what only a success returns: `verified`, `attestations`.
    """
    signed = bool(signature) and signature.get("verified") is True and not signature.get("reason")
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
    attested = (bool(attestation) and isinstance(attestation.get("attestations"), list)
                and not attestation.get("reason"))
    if attested:
        state["attestation"] = True
        finished = [
            ((a.get("predicate") or {}).get("metadata") or {}).get("scanFinishedOn")
            for a in attestation.get("attestations") or []
        ]
        stamps = [s for s in (parse_time(f) for f in finished if f) if s]
        if stamps:
            newest = max(stamps)
            state["scan_finished"] = newest.isoformat()
            hours = (parse_time(now) - newest).total_seconds() / 3600
            state["attestation_age_hours"] = round(hours, 1)
    else:
        state["attestation_error"] = (
            (attestation or {}).get("reason") or (attestation or {}).get("msg") or "not verified"
        )
    return state


def image_checks(state):
    image, age = state["image"], state["attestation_age_hours"]
    if state["signed"]:
        signed = result("sign.image", "pass", f"signed by {', '.join(state['signed_by'])}", image)
    else:
        signed = result("sign.image", "fail", f"no signature by a trusted key: "
                        f"{state['signature_error']}", image,
                        group="no signature by a trusted key")
    if not state["attestation"]:
        scanned = result("scan.image", "fail", f"no verified vulnerability attestation: "
                         f"{state['attestation_error']}", image, "posture_attestation_type",
                         group="no verified vulnerability attestation")
    elif age is None:
        scanned = result("scan.image", "warn", "vulnerability attestation without scanFinishedOn",
                         image, "posture_attestation_type")
    elif age > state["max_age_hours"]:
        scanned = result("scan.image", "fail", f"vulnerability attestation is {age} h old (limit "
                         f"{state['max_age_hours']} h)", image)
    else:
        scanned = result("scan.image", "pass", f"vulnerability attestation {age} h old", image)
    return [signed, scanned]
