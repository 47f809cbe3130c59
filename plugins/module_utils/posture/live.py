# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The cluster as it runs: `kubernetes.core.k8s_info` answers in, the posture's cluster side out.

Plain Python, no Ansible imports. playbooks/posture.yml asks k8s_info for each kind of
`LIVE_KINDS` (one loop, `failed_when: false`) when a kubeconfig is given, and hands the
registered results here. Each answer is recognised first (k8s_info's return: `api_found`, a
list of `resources`); one that failed or has another shape leaves its kind "unknown" with the
reason, never "none found". A kind whose API is absent (`api_found: false`, Kyverno not
installed) is read: none of it exists. The policies, namespaces and NetworkPolicies are judged
by the same `cluster_summary` / `cluster_checks` as the intended bundle, so live and intended
read alike; the cluster also shows the PolicyReports' violations per policy and every
PolicyException with its `spec.expiresAt`, and, given the intended bundle, which of its
policies the cluster lacks.
"""

from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.actions import (
    POLICY_KINDS,
    BundleError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
    parse_time,
    result,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.cluster import (
    cluster_checks,
    cluster_summary,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    redact,
)

# (apiVersion, kind) asked of the cluster; playbooks/tasks/posture_cluster_live.yml loops
# over these.
LIVE_KINDS = (
    ("policies.kyverno.io/v1", "ValidatingPolicy"),
    ("policies.kyverno.io/v1", "ImageValidatingPolicy"),
    ("kyverno.io/v1", "ClusterPolicy"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicy"),
    ("admissionregistration.k8s.io/v1", "ValidatingAdmissionPolicyBinding"),
    ("wgpolicyk8s.io/v1alpha2", "PolicyReport"),
    ("wgpolicyk8s.io/v1alpha2", "ClusterPolicyReport"),
    ("policies.kyverno.io/v1", "PolicyException"),
    ("kyverno.io/v2", "PolicyException"),
    ("v1", "Namespace"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
)
KNOWN = {f"{api} {kind}" for api, kind in LIVE_KINDS}
REPORT_KINDS = ("PolicyReport", "ClusterPolicyReport")
RESULTS = ("pass", "fail", "warn", "error", "skip")
MAX_RESOURCES = 50_000
SHOWN_RESOURCES = 5


class LiveError(ValueError):
    """k8s_info answers that are not a list of them; the message says where."""


def _text(value, limit=200):
    return redact(str(value)).replace("\n", " ")[:limit]


def _answer(index, response):
    """(key, resources or None, reason): one k8s_info result recognised, or why it was not."""
    if not isinstance(response, dict):
        raise LiveError(f"cluster answer [{index}] is a {type(response).__name__}, not a k8s_info "
                        "result")
    item = response.get("item")
    if not isinstance(item, dict) or not isinstance(item.get("kind"), str) \
            or not isinstance(item.get("api_version"), str):
        raise LiveError(f"cluster answer [{index}]: no item {{api_version, kind}} (the loop item "
                        "of playbooks/tasks/posture_cluster_live.yml)")
    key = f"{item['api_version']} {item['kind']}"
    if key not in KNOWN:
        raise LiveError(f"cluster answer [{index}]: {_text(key, 80)!r} is not a kind the posture "
                        f"asks for ({', '.join(sorted(KNOWN))})")
    if response.get("failed") or "api_found" not in response:
        return key, None, _text(response.get("msg") or "k8s_info gave no answer")
    if response["api_found"] is False:
        return key, [], None
    resources = response.get("resources")
    if response["api_found"] is not True or not isinstance(resources, list):
        return key, None, (f"k8s_info answered api_found={_text(response['api_found'], 20)}, "
                           f"resources a {type(resources).__name__}, not a list")
    if len(resources) > MAX_RESOURCES:
        return key, None, f"{len(resources)} resources, over the limit of {MAX_RESOURCES}"
    docs = []
    for at, doc in enumerate(resources):
        meta = doc.get("metadata") if isinstance(doc, dict) else None
        kind = doc.get("kind", item["kind"]) if isinstance(doc, dict) else None
        # a report's name is not read (its results are); every other object is known by name
        named = isinstance(meta, dict) and (item["kind"] in REPORT_KINDS
                                            or isinstance(meta.get("name"), str))
        if not isinstance(meta, dict) or not named or kind != item["kind"]:
            return key, None, (f"resources[{at}] is not a {item['kind']} with metadata.name "
                               f"(kind {_text(kind, 40)!r})")
        docs.append(dict(doc, kind=item["kind"]))
    return key, docs, None


def read_answers(responses):
    """{"<apiVersion> <kind>": [objects]} of what was read and [{kind, reason}] of what was not."""
    if not isinstance(responses, (list, tuple)):
        raise LiveError(f"the cluster answers are a {type(responses).__name__}, not the list of "
                        "k8s_info results")
    read, unread = {}, []
    for index, response in enumerate(responses):
        key, docs, reason = _answer(index, response)
        if docs is None:
            unread.append({"kind": key, "reason": reason})
        else:
            read.setdefault(key, []).extend(docs)
    for api, kind in LIVE_KINDS:
        key = f"{api} {kind}"
        if key not in read and not any(u["kind"] == key for u in unread):
            unread.append({"kind": key, "reason": "no k8s_info answer for it"})
    return read, unread


def _of(read, kind):
    return [doc for key, docs in read.items() if key.split(" ")[1] == kind for doc in docs]


def _reports(read):
    """Per policy: how many results of each kind the PolicyReports hold, and some resources."""
    out = {}
    for doc in _of(read, "PolicyReport") + _of(read, "ClusterPolicyReport"):
        scope = doc.get("scope") if isinstance(doc.get("scope"), dict) else {}
        where = "/".join(str(p) for p in (doc["metadata"].get("namespace"), scope.get("name")) if p)
        rows = doc.get("results") if isinstance(doc.get("results"), list) else []
        for row in rows:
            if not isinstance(row, dict) or not isinstance(row.get("policy"), str):
                continue
            entry = out.setdefault(row["policy"], dict.fromkeys(RESULTS, 0) | {"resources": []})
            outcome = row.get("result") if row.get("result") in RESULTS else "error"
            entry[outcome] += 1
            if outcome in ("fail", "error") and len(entry["resources"]) < SHOWN_RESOURCES:
                entry["resources"].append(_text(f"{scope.get('kind', '?')} {where}", 120))
    return [dict(v, policy=_text(k, 120)) for k, v in sorted(out.items())]


def _exceptions(read, now):
    out = []
    for doc in _of(read, "PolicyException"):
        meta, spec = doc["metadata"], doc.get("spec") if isinstance(doc.get("spec"), dict) else {}
        stamp = spec.get("expiresAt")
        when = parse_time(stamp) if isinstance(stamp, str) else None
        out.append({"name": _text(meta["name"], 120),
                    "namespace": _text(meta["namespace"], 120) if meta.get("namespace") else None,
                    "api_version": _text(doc.get("apiVersion") or "", 60),
                    "expires_at": when.isoformat() if when else None,
                    "expired": None if when is None or now is None else when <= now})
    return sorted(out, key=lambda e: (e["namespace"] or "", e["name"]))


def exception_checks(exceptions):
    out = []
    for e in exceptions:
        subject = f"{e['namespace']}/{e['name']}" if e["namespace"] else e["name"]
        if e["expired"]:
            out.append(result("admit.exception", "warn", f"{subject}: expired {e['expires_at']}, "
                              "still in the cluster (Kyverno no longer applies it)", subject,
                              group="expired PolicyException still in the cluster"))
        elif e["expires_at"] is None:
            out.append(result("admit.exception", "warn", f"{subject}: no readable "
                              "spec.expiresAt, exempt for ever", subject,
                              group="PolicyException without expiry"))
        else:
            out.append(result("admit.exception", "pass", f"{subject}: until {e['expires_at']}",
                              subject, group="PolicyException with a future expiry"))
    return out


def report_checks(reports):
    out = []
    for r in reports:
        bad = r["fail"] + r["error"]
        shown = f" ({', '.join(r['resources'])})" if r["resources"] else ""
        if bad:
            out.append(result("admit.violations", "fail", f"{r['policy']}: {bad} failed "
                              f"result(s) in PolicyReports{shown}", r["policy"],
                              group="running resources fail the policy (PolicyReports)"))
        elif r["warn"]:
            out.append(result("admit.violations", "warn", f"{r['policy']}: {r['warn']} warning(s) "
                              "in PolicyReports", r["policy"], group="warnings in PolicyReports"))
        else:
            out.append(result("admit.violations", "pass", f"{r['policy']}: {r['pass']} pass, "
                              f"{r['skip']} skip in PolicyReports", r["policy"],
                              group="no violation in PolicyReports"))
    return out


def live_cluster(responses, now, intended=None, source=""):
    """The cluster side as it runs. `responses`: the k8s_info results (one per LIVE_KINDS
    entry); `intended`: the bundle from kyverno_policy_settings (its namespaces are the ones
    judged, its policies the ones the cluster must have), or None."""
    read, unread = read_answers(responses)
    now = parse_time(now)
    policy_docs = [d for kind in (*POLICY_KINDS, "ValidatingAdmissionPolicyBinding")
                   for d in _of(read, kind)]
    namespaces = _of(read, "Namespace")
    wanted = None
    if intended is not None:
        wanted = {d["metadata"]["name"] for d in intended if d.get("kind") == "Namespace"}
        wanted |= {d["metadata"].get("namespace") for d in intended
                   if d.get("kind") == "NetworkPolicy"}
        namespaces = [d for d in namespaces if d["metadata"]["name"] in wanted]
    netpols = [d for d in _of(read, "NetworkPolicy")
               if wanted is None or d["metadata"].get("namespace") in wanted]
    summary = None
    for what, docs in (("policies", policy_docs), ("namespaces", namespaces + netpols)):
        try:
            part = cluster_summary(docs)
        except (BundleError, KeyError, TypeError, AttributeError, ValueError) as exc:
            unread.append({"kind": what, "reason": _text(f"the cluster's {what} cannot be "
                                                         f"read: {exc}", 300)})
            part = cluster_summary([])
        summary = part if summary is None else dict(summary, namespaces=part["namespaces"])
    reports, exceptions = _reports(read), _exceptions(read, now)
    checks = cluster_checks(summary) + report_checks(reports) + exception_checks(exceptions)
    if intended is not None:
        live_names = {p["name"] for p in summary["policies"]}
        for doc in intended:
            name = doc.get("metadata", {}).get("name")
            if doc.get("kind") in POLICY_KINDS and name not in live_names:
                checks.append(result("admit.drift", "fail", f"{name}: in kyverno_policy_settings, "
                                     "not in the cluster", name,
                                     group="intended policy missing from the cluster"))
    for u in unread:
        checks.append(result("admit.live", "fail", f"{u['kind']} could not be read from the "
                             f"cluster: {u['reason']}", u["kind"].replace(" ", "/"),
                             group="not readable from the cluster", unread=True))
    return dict(summary, state="live", source=_text(source or "the cluster", 200),
                reports=reports, exceptions=exceptions,
                unread=unread, checks=checks)
