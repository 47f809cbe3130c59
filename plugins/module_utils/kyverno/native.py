# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Kubernetes' own admission (ValidatingAdmissionPolicy, GA in v1.30) for the pod security
controls, derived from the Kyverno ValidatingPolicy the same control table builds.

Nothing is written twice: a ValidatingPolicy already has the shape of a ValidatingAdmissionPolicy
(matchConstraints, validations, failurePolicy); the native policy takes its validations and
inlines the policy's ``variables`` (``variables.podSpec``, ``variables.containers``) into every
expression, so each expression reads only ``object``, which is all the API server binds here.
The validation actions move to the ValidatingAdmissionPolicyBinding.
"""
from __future__ import annotations

import re

NATIVE_API = "admissionregistration.k8s.io/v1"
# The oldest Kubernetes minor with ValidatingAdmissionPolicy and its binding GA (KEP-3488).
NATIVE_MIN_KUBERNETES = "1.30"
ENGINES = ("kyverno", "native")


def inline_variables(expression: str, variables) -> str:
    """``expression`` with every ``variables.<name>`` replaced by that variable's expression
    (in parentheses); later variables may use earlier ones, as the API server evaluates them."""
    resolved: dict[str, str] = {}

    def substitute(text: str) -> str:
        return re.sub(r"\bvariables\.([A-Za-z_][A-Za-z0-9_]*)\b",
                      lambda m: f"({resolved[m.group(1)]})", text)

    for variable in variables:
        resolved[variable["name"]] = substitute(variable["expression"])
    return substitute(expression)


def build_native_policy(validating_policy: dict) -> list[dict]:
    """[ValidatingAdmissionPolicy, ValidatingAdmissionPolicyBinding] of one Kyverno
    ValidatingPolicy of the pod security controls (same name, labels, annotations, matches)."""
    spec = validating_policy["spec"]
    variables = spec.get("variables", [])
    name = validating_policy["metadata"]["name"]
    metadata = {k: v for k, v in validating_policy["metadata"].items()
                if k in ("name", "labels", "annotations")}
    policy = {
        "apiVersion": NATIVE_API,
        "kind": "ValidatingAdmissionPolicy",
        "metadata": metadata,
        "spec": {
            "failurePolicy": spec["failurePolicy"],
            "matchConstraints": spec["matchConstraints"],
            "validations": [{**v, "expression": inline_variables(v["expression"], variables)}
                            for v in spec["validations"]],
        },
    }
    binding = {
        "apiVersion": NATIVE_API,
        "kind": "ValidatingAdmissionPolicyBinding",
        "metadata": {"name": name, "labels": dict(metadata.get("labels", {}))},
        "spec": {"policyName": name, "validationActions": list(spec["validationActions"])},
    }
    return [policy, binding]
