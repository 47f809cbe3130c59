# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What each admission policy of a bundle does to a resource that fails it: the one answer the
posture report, the Pulumi stack outputs, the CrossGuard pack and the offline admission check
read, whichever engine the bundle was built for.

Where each kind keeps its actions, with the defaults of its API:

* ``ValidatingPolicy`` and ``ImageValidatingPolicy`` (Kyverno): ``spec.validationActions``;
  absent or empty means ``Deny`` (``ValidationActions()`` in kyverno's api/policies.kyverno.io).
* ``ValidatingAdmissionPolicy`` (Kubernetes): nothing on the policy; the actions are the
  ``spec.validationActions`` of its ``ValidatingAdmissionPolicyBinding`` (found by
  ``spec.policyName``), a field the API requires. A policy without a binding does nothing: ``()``.
* ``ClusterPolicy`` (kyverno.io/v1): ``failureAction`` of each ``validate`` and ``verifyImages``
  entry, else the deprecated ``spec.validationFailureAction``, else ``Audit`` (Kyverno's
  default); ``Enforce`` is ``Deny``, and ``emitWarning`` adds ``Warn`` to an ``Audit`` policy
  (Kyverno sends warnings only for rules that audit).

Actions come back as a tuple in one order (``Audit``, ``Warn``, ``Deny``), so two engines that
mean the same give equal tuples. A bundle this cannot read in one way is refused with a
``BundleError`` naming the manifest: a binding naming no ValidatingAdmissionPolicy of the
bundle, a binding without actions, two bindings of one policy with different actions (one
tuple cannot say "Deny here, Audit there"; agreeing bindings are fine), a ClusterPolicy whose
rules disagree or that overrides its action per namespace, an unknown or repeated action, Deny
with Warn (the API refuses the pair), actions on a ValidatingAdmissionPolicy itself, and two
policies of one name.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    VALIDATION_ACTIONS,
)

KYVERNO_KINDS = ("ValidatingPolicy", "ImageValidatingPolicy")
NATIVE_KIND = "ValidatingAdmissionPolicy"
BINDING_KIND = "ValidatingAdmissionPolicyBinding"
LEGACY_KIND = "ClusterPolicy"
POLICY_KINDS = (*KYVERNO_KINDS, LEGACY_KIND, NATIVE_KIND)
KYVERNO_DEFAULT = ("Deny",)
# kyverno.io/v1 ValidationFailureAction, with the deprecated lower-case spellings it accepts.
LEGACY_ACTIONS = {"Audit": "Audit", "audit": "Audit", "Enforce": "Deny", "enforce": "Deny"}
LEGACY_DEFAULT = "Audit"


class BundleError(ValueError):
    """A bundle whose policies' actions cannot be read; the message names the manifest."""


def _where(index: int, doc: dict) -> str:
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    return f"bundle[{index}] ({doc.get('kind')} {name!r})"


def _spec(index: int, doc: dict) -> dict:
    spec = doc.get("spec", {})
    if not isinstance(spec, dict):
        raise BundleError(f"{_where(index, doc)}: spec is a {type(spec).__name__}, not a mapping")
    return spec


def _name(index: int, doc: dict) -> str:
    meta = doc.get("metadata")
    name = meta.get("name") if isinstance(meta, dict) else None
    if not isinstance(name, str) or not name:
        raise BundleError(f"{_where(index, doc)}: metadata.name must be a non-empty string")
    return name


def _actions(value, where: str) -> tuple[str, ...]:
    """A validationActions list as the API reads it: known actions, each once, no Deny+Warn."""
    allowed = "a list of Audit, Warn, Deny (each once; Deny and Warn not together)"
    if not isinstance(value, list):
        raise BundleError(f"{where}: validationActions is {value!r}, not {allowed}")
    for item in value:
        if item not in VALIDATION_ACTIONS:
            raise BundleError(f"{where}: validationActions {value!r}: {item!r} is not in "
                              f"{allowed}")
        if value.count(item) > 1:
            raise BundleError(f"{where}: validationActions {value!r}: {item!r} twice; give "
                              f"{allowed}")
    if "Deny" in value and "Warn" in value:
        raise BundleError(f"{where}: validationActions {value!r}: {allowed}")
    return tuple(a for a in VALIDATION_ACTIONS if a in value)


def _kyverno(index: int, doc: dict) -> tuple[str, ...]:
    value = _spec(index, doc).get("validationActions")
    if value is None or value == []:
        return KYVERNO_DEFAULT
    return _actions(value, _where(index, doc))


def _legacy_action(value, where: str) -> str:
    if value not in LEGACY_ACTIONS:
        raise BundleError(f"{where}: failureAction {value!r} is not Audit or Enforce")
    return LEGACY_ACTIONS[value]


def _legacy(index: int, doc: dict) -> tuple[str, ...]:
    where, spec = _where(index, doc), _spec(index, doc)
    if spec.get("validationFailureActionOverrides"):
        raise BundleError(f"{where}: validationFailureActionOverrides gives actions per "
                          "namespace, which one answer per policy cannot say")
    default = _legacy_action(spec.get("validationFailureAction", LEGACY_DEFAULT), where)
    rules = spec.get("rules", [])
    if not isinstance(rules, list):
        raise BundleError(f"{where}: spec.rules is not a list")
    found = set()
    for r, rule in enumerate(rules):
        if not isinstance(rule, dict):
            raise BundleError(f"{where}: spec.rules[{r}] is not a mapping")
        entries = []
        if isinstance(rule.get("validate"), dict):
            entries.append((f"rules[{r}].validate", rule["validate"]))
        verify = rule.get("verifyImages", [])
        if not isinstance(verify, list):
            raise BundleError(f"{where}: spec.rules[{r}].verifyImages is not a list")
        entries += [(f"rules[{r}].verifyImages[{v}]", entry) for v, entry in enumerate(verify)]
        for path, entry in entries:
            if not isinstance(entry, dict):
                raise BundleError(f"{where}: spec.{path} is not a mapping")
            if entry.get("failureActionOverrides"):
                raise BundleError(f"{where}: spec.{path}.failureActionOverrides gives actions "
                                  "per namespace, which one answer per policy cannot say")
            found.add(_legacy_action(entry["failureAction"], f"{where}: spec.{path}")
                      if "failureAction" in entry else default)
    if len(found) > 1:
        raise BundleError(f"{where}: its rules disagree (Audit and Enforce); give every rule "
                          "the same failureAction")
    if not found:
        return ()
    (action,) = found
    if action == "Audit" and spec.get("emitWarning") is True:
        return ("Audit", "Warn")
    return (action,)


def policy_actions(bundle) -> dict[str, tuple[str, ...]]:
    """{policy name: actions} of every admission policy in ``bundle`` (the manifests
    ``builders.build_bundle`` makes, either engine), in bundle order; see the module's doc."""
    if not isinstance(bundle, (list, tuple)):
        raise BundleError(f"the policy bundle is a {type(bundle).__name__}, not a list of "
                          "manifests")
    out, native, bound = {}, {}, {}
    for index, doc in enumerate(bundle):
        if not isinstance(doc, dict):
            raise BundleError(f"bundle[{index}] is a {type(doc).__name__}, not a manifest")
        kind = doc.get("kind")
        if kind in POLICY_KINDS:
            name = _name(index, doc)
            if name in out:
                raise BundleError(f"{_where(index, doc)}: a second policy named {name!r}")
            if kind in KYVERNO_KINDS:
                out[name] = _kyverno(index, doc)
            elif kind == LEGACY_KIND:
                out[name] = _legacy(index, doc)
            else:
                if "validationActions" in _spec(index, doc):
                    raise BundleError(f"{_where(index, doc)}: validationActions belong on its "
                                      f"{BINDING_KIND}, not on the policy")
                out[name] = ()
                native[name] = index
        elif kind == BINDING_KIND:
            spec, where = _spec(index, doc), _where(index, doc)
            policy = spec.get("policyName")
            if not isinstance(policy, str) or not policy:
                raise BundleError(f"{where}: spec.policyName must name a {NATIVE_KIND}")
            if "validationActions" not in spec or spec["validationActions"] == []:
                raise BundleError(f"{where}: spec.validationActions is required (the API "
                                  "refuses a binding without actions)")
            bound.setdefault(policy, []).append((where, _actions(spec["validationActions"],
                                                                 where)))
    for policy, bindings in bound.items():
        if policy not in native:
            raise BundleError(f"{bindings[0][0]}: binds {policy!r}, which is no {NATIVE_KIND} "
                              "of the bundle")
        if len({actions for binding, actions in bindings}) > 1:
            raise BundleError(f"{NATIVE_KIND} {policy!r}: its bindings disagree ("
                              + "; ".join(f"{w}: {', '.join(a)}" for w, a in bindings) + ")")
        out[policy] = bindings[0][1]
    return out
