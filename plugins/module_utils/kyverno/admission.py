# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Offline admission: the verdicts a cluster would give Kubernetes manifests under the policies
``builders.build_bundle`` makes, with a real CEL engine and without a cluster (what
``kyverno apply`` does, for CI and the demo).

What is evaluated, as Kyverno and the API server do for one CREATE request:

* ``ValidatingPolicy`` (Kyverno): ``matchConstraints`` (resource rules, namespaceSelector), then
  ``variables`` in order into ``variables``, ``matchConditions``, ``validations``; the actions
  are the policy's ``validationActions``.
* ``ValidatingAdmissionPolicy`` (``engine: native``): the same with ``object`` alone bound; the
  actions come from its ``ValidatingAdmissionPolicyBinding`` (no binding: not enforced).
  Both as ``actions.policy_actions`` reads them, as the posture report and Pulumi do.
* ``PolicyException``: a policy it names is skipped for a resource its ``matchConditions``
  select, unless ``expiresAt`` has passed.
* ``ImageValidatingPolicy`` and ``ClusterPolicy`` need registries and signatures, and so does a
  ``ValidatingPolicy`` that calls Kyverno's ``image.GetMetadata`` (the allowed_base_images image
  rule): listed as not evaluated offline.

The namespaceSelector sees the label the API server puts on every namespace
(``kubernetes.io/metadata.name``). A CEL evaluation error is an ``error`` verdict, which denies
when the policy's ``failurePolicy`` is ``Fail``, as the API server would.

Two CEL engines, both imported only when used: ``common-expression-language`` (module ``cel``,
the default) and ``cel-python`` (module ``celpy``).
"""
from __future__ import annotations

import datetime
import functools

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    image_rules,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.actions import (
    BundleError,
    policy_actions,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    NAMESPACE_NAME_LABEL,
)

CEL_ENGINES = ("common-expression-language", "cel-python")
DEFAULT_CEL_ENGINE = CEL_ENGINES[0]
CEL_PACKAGES = {"common-expression-language": "cel", "cel-python": "celpy"}
EVALUATED_KINDS = ("ValidatingPolicy", "ValidatingAdmissionPolicy")
NOT_EVALUATED_KINDS = ("ImageValidatingPolicy", "ClusterPolicy")
DEFAULT_NAMESPACE = "default"
# kind -> resource (plural) of the pod kinds; other kinds fall back to lowercase + "s".
_PLURALS = {"Pod": "pods", "Deployment": "deployments", "StatefulSet": "statefulsets",
            "DaemonSet": "daemonsets", "ReplicaSet": "replicasets", "Job": "jobs",
            "CronJob": "cronjobs"}


class AdmissionError(ValueError):
    """A manifest or policy the check cannot read (before anything is evaluated)."""


# ---------------------------------------------------------------- CEL engines

@functools.cache
def _cel_program(expression: str):
    import cel  # common-expression-language
    return cel.compile(expression)


def _cel_eval(expression: str, activation: dict):
    """Compiled once per expression: the native policies' inlined expressions are long."""
    return _cel_program(expression).execute(activation)


@functools.cache
def _celpy_program(expression: str):
    import celpy
    env = celpy.Environment()
    return env.program(env.compile(expression))


def _celpy_plain(value):
    """celpy values back to plain Python so the next expression can take them as input."""
    import celpy
    if isinstance(value, dict):
        return {str(k): _celpy_plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_celpy_plain(v) for v in value]
    if isinstance(value, (bool, celpy.celtypes.BoolType)):
        return bool(value)
    if isinstance(value, int):
        return int(value)
    if isinstance(value, str):
        return str(value)
    return value


def _celpy_eval(expression: str, activation: dict):
    import celpy
    bound = {k: celpy.json_to_cel(v) for k, v in activation.items()}
    value = _celpy_program(expression).evaluate(bound)
    if isinstance(value, Exception):
        raise value
    return _celpy_plain(value)


ENGINES = {"common-expression-language": _cel_eval, "cel-python": _celpy_eval}


def missing_engine(engine: str) -> str | None:
    """The Python package ``engine`` needs when it cannot be imported, else None."""
    try:
        __import__(CEL_PACKAGES[engine])
    except ImportError:
        return engine
    return None


# ---------------------------------------------------------------- matching

def selector_matches(selector: dict | None, labels: dict) -> bool:
    """Kubernetes label selector semantics (matchLabels AND matchExpressions)."""
    if not selector:
        return True
    for key, value in selector.get("matchLabels", {}).items():
        if labels.get(key) != value:
            return False
    for expression in selector.get("matchExpressions", []):
        key, operator = expression["key"], expression["operator"]
        values = expression.get("values", [])
        present = key in labels
        if operator == "In" and not (present and labels[key] in values):
            return False
        if operator == "NotIn" and present and labels[key] in values:
            return False
        if operator == "Exists" and not present:
            return False
        if operator == "DoesNotExist" and present:
            return False
    return True


def _group_version(api_version: str):
    group, _slash, version = api_version.rpartition("/")
    return group, version


def rules_match(rules, obj: dict, operation: str = "CREATE") -> bool:
    """A resource rule of ``matchConstraints.resourceRules`` selects ``obj`` (no rules: all)."""
    if rules is None:
        return True
    group, version = _group_version(obj.get("apiVersion", ""))
    kind = obj.get("kind", "")
    resource = _PLURALS.get(kind, kind.lower() + "s")

    def has(values, value):
        return "*" in values or value in values

    return any(has(r.get("apiGroups", []), group) and has(r.get("apiVersions", []), version)
               and has(r.get("resources", []), resource)
               and has(r.get("operations", ["*"]), operation) for r in rules)


def namespace_of(obj: dict) -> str:
    return obj.get("metadata", {}).get("namespace") or DEFAULT_NAMESPACE


def evaluate_policy(policy: dict, obj: dict, engine: str = DEFAULT_CEL_ENGINE,
                    variables_cache: dict | None = None) -> dict:
    """{'matched': bool, 'failed': [indices of failing validations]} of one ValidatingPolicy or
    ValidatingAdmissionPolicy on one resource. CEL errors raise (evaluate() reports them).
    ``variables_cache`` (one dict per resource) shares the ``variables`` of policies that declare
    the same ones, as every pod security policy does."""
    run = ENGINES[engine]
    spec = policy["spec"]
    constraints = spec.get("matchConstraints", {})
    if not rules_match(constraints.get("resourceRules"), obj):
        return {"matched": False, "failed": []}
    labels = {NAMESPACE_NAME_LABEL: namespace_of(obj)}
    if not selector_matches(constraints.get("namespaceSelector"), labels):
        return {"matched": False, "failed": []}
    activation = {"object": obj}
    if spec.get("variables"):
        key = tuple((v["name"], v["expression"]) for v in spec["variables"])
        if variables_cache is not None and key in variables_cache:
            activation["variables"] = variables_cache[key]
        else:
            activation["variables"] = {}
            for name, expression in key:
                activation["variables"][name] = run(expression, activation)
            if variables_cache is not None:
                variables_cache[key] = activation["variables"]
    for condition in spec.get("matchConditions", []):
        if not bool(run(condition["expression"], activation)):
            return {"matched": False, "failed": []}
    failed = [i for i, v in enumerate(spec["validations"])
              if not bool(run(v["expression"], activation))]
    return {"matched": True, "failed": failed}


def verdict(policy: dict, obj: dict, engine: str = DEFAULT_CEL_ENGINE) -> str:
    """``skip``, ``pass`` or ``fail`` of one policy on one resource."""
    result = evaluate_policy(policy, obj, engine)
    if not result["matched"]:
        return "skip"
    return "fail" if result["failed"] else "pass"


# ---------------------------------------------------------------- the check

def load_documents(text: str) -> list:
    """The manifests of a YAML stream; a ``List`` document stands for its ``items``. PyYAML is
    imported here only (ImportError when it is missing)."""
    import yaml
    docs = []
    for doc in yaml.safe_load_all(text):
        if isinstance(doc, dict) and doc.get("kind") == "List":
            docs.extend(doc.get("items") or [])
        elif doc is not None:
            docs.append(doc)
    return docs


def _parse_time(text: str) -> datetime.datetime:
    parsed = datetime.datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ")
    return parsed.replace(tzinfo=datetime.timezone.utc)


def _resource_id(obj: dict) -> str:
    meta = obj.get("metadata", {})
    return f"{obj.get('kind', '?')}/{namespace_of(obj)}/{meta.get('name', '?')}"


def _check_resource(obj: dict) -> None:
    if not isinstance(obj, dict) or not obj.get("kind") or not obj.get("apiVersion"):
        raise AdmissionError("not a Kubernetes manifest (needs apiVersion and kind): "
                             f"{str(obj)[:120]}")
    if not isinstance(obj.get("metadata"), dict) or not obj["metadata"].get("name"):
        raise AdmissionError(f"{obj['kind']} without metadata.name")


def _reads_registries(policy: dict) -> bool:
    """Does a policy call Kyverno's image functions (no engine here has them)?"""
    spec = policy.get("spec") if isinstance(policy.get("spec"), dict) else {}
    texts = [v.get("expression", "") for key in ("variables", "validations", "matchConditions")
             for v in spec.get(key) or [] if isinstance(v, dict)]
    return any(isinstance(t, str) and image_rules.REGISTRY_FUNCTION in t for t in texts)


class _Policies:
    """The bundle sorted into what the check evaluates; the actions are policy_actions'."""

    def __init__(self, bundle):
        self.evaluated = []      # (policy, actions)
        self.exceptions = []
        self.not_evaluated = []
        try:
            actions = policy_actions(bundle)
        except BundleError as exc:
            raise AdmissionError(f"the policy bundle: {exc}") from None
        for doc in bundle:
            kind = doc.get("kind")
            if kind in EVALUATED_KINDS and _reads_registries(doc):
                self.not_evaluated.append(f"{kind}/{doc['metadata']['name']}")
            elif kind in EVALUATED_KINDS:
                # a ValidatingAdmissionPolicy without a binding is not enforced: ()
                if actions[doc["metadata"]["name"]]:
                    self.evaluated.append((doc, list(actions[doc["metadata"]["name"]])))
            elif kind == "PolicyException":
                self.exceptions.append(doc)
            elif kind in NOT_EVALUATED_KINDS:
                self.not_evaluated.append(f"{kind}/{doc['metadata']['name']}")


def _exempting(exceptions, policy: dict, obj: dict, engine: str, now) -> str | None:
    name = policy["metadata"]["name"]
    for exc in exceptions:
        spec = exc["spec"]
        if not any(ref.get("name") == name for ref in spec.get("policyRefs", [])):
            continue
        if spec.get("expiresAt") and _parse_time(spec["expiresAt"]) <= now:
            continue
        activation = {"object": obj}
        if all(bool(ENGINES[engine](c["expression"], activation))
               for c in spec.get("matchConditions", [])):
            return f"{exc['metadata'].get('namespace', '')}/{exc['metadata']['name']}"
    return None


def _policy_result(policy: dict, actions, obj: dict, exceptions, engine: str, now,
                   variables_cache: dict) -> dict | None:
    meta = policy["metadata"]
    out = {"policy": meta["name"], "kind": policy["kind"],
           "control": meta.get("annotations", {}).get("bulwark.io/control", ""),
           "actions": list(actions), "messages": []}
    try:
        result = evaluate_policy(policy, obj, engine, variables_cache)
        if not result["matched"]:
            return None
        exempt = _exempting(exceptions, policy, obj, engine, now)
    except Exception as exc:  # CEL evaluation error: the failurePolicy decides
        out.update(verdict="error", messages=[f"CEL evaluation error: {type(exc).__name__}: {exc}"],
                   denied=policy["spec"].get("failurePolicy", "Fail") == "Fail")
        return out
    if exempt:
        out.update(verdict="skip", messages=[f"exempt by PolicyException {exempt}"], denied=False)
        return out
    validations = policy["spec"]["validations"]
    out["messages"] = [validations[i].get("message", f"validation {i} failed")
                       for i in result["failed"]]
    out["verdict"] = "fail" if result["failed"] else "pass"
    out["denied"] = bool(result["failed"]) and "Deny" in actions
    return out


def evaluate(bundle, resources, engine: str = DEFAULT_CEL_ENGINE, now=None) -> dict:
    """Every resource against every policy of ``bundle`` (the output of build_bundle).

    Returns ``{"resources": [{"resource", "kind", "namespace", "name", "allowed", "policies":
    [{"policy", "kind", "control", "verdict", "actions", "messages", "denied"}]}], "denied":
    [resource ids], "not_evaluated": [policy ids]}``; policies that do not match a resource
    (other kinds, excluded namespaces) are left out of its list.
    """
    if engine not in ENGINES:
        raise AdmissionError(f"unknown CEL engine {engine!r}; use one of {', '.join(CEL_ENGINES)}")
    resources = [r for r in resources if r is not None]
    for obj in resources:
        _check_resource(obj)
    now = now or datetime.datetime.now(datetime.timezone.utc)
    policies = _Policies(bundle)
    out = {"resources": [], "denied": [], "not_evaluated": policies.not_evaluated}
    for obj in resources:
        cache: dict = {}
        results = [r for r in (_policy_result(p, a, obj, policies.exceptions, engine, now, cache)
                               for p, a in policies.evaluated) if r is not None]
        allowed = not any(r["denied"] for r in results)
        rid = _resource_id(obj)
        out["resources"].append({"resource": rid, "kind": obj["kind"],
                                 "namespace": namespace_of(obj), "name": obj["metadata"]["name"],
                                 "allowed": allowed, "policies": results})
        if not allowed:
            out["denied"].append(rid)
    return out


def resource_summaries(report: dict) -> list[dict]:
    """Per resource what a reader needs: its verdict and the policies that did not pass (verdict
    ``fail``, ``error`` or ``skip``) with their messages; passing policies are only counted. The
    whole report (every verdict) is what ``evaluate`` returns."""
    out = []
    for res in report["resources"]:
        policies = [{"policy": p["policy"], "kind": p["kind"], "control": p["control"],
                     "verdict": p["verdict"],
                     "denied": p["denied"], "message": "; ".join(p["messages"])}
                    for p in res["policies"] if p["verdict"] != "pass"]
        out.append({"resource": res["resource"], "verdict": "admit" if res["allowed"] else "deny",
                    "passed": len(res["policies"]) - len(policies), "policies": policies})
    return out


def summary_lines(report: dict, verbose: bool = False) -> list[str]:
    """One line per resource, then one per failing (or, verbose, every) policy verdict."""
    lines = []
    for res in report["resources"]:
        lines.append(f"{'ADMIT' if res['allowed'] else 'DENY '} {res['resource']}")
        for pol in res["policies"]:
            if verbose or pol["verdict"] in ("fail", "error"):
                effect = "deny" if pol["denied"] else "/".join(pol["actions"]).lower()
                text = "; ".join(pol["messages"])
                line = f"    {pol['verdict']:5} {pol['policy']} ({effect})"
                lines.append(f"{line}: {text}" if text else line)
    for policy in report["not_evaluated"]:
        lines.append(f"not evaluated offline (needs registries): {policy}")
    return lines
