# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Recorded kubernetes.core.k8s_info answers, for the posture's live cluster side.

There is no Kubernetes API server here: these stand in for one at the process boundary only.
Each answer is the result k8s_info registers in a loop (its RETURN: `api_found`, `resources`;
the loop's `item`), around Kyverno's own test objects copied unchanged into
tests/fixtures/kyverno/resources/ (provenance in tests/fixtures/PROVENANCE.md). The failure
text is the one kubernetes.core's `K8sService.find` raises (module_utils/k8s/service.py).
"""
from __future__ import annotations

from pathlib import Path

import yaml

RESOURCES = Path(__file__).resolve().parents[2] / "fixtures" / "kyverno" / "resources"
FIND_FAILED = ("Exception '{0}' raised while trying to get resource using (name=None, "
               "namespace=None, label_selectors=[], field_selectors=[])")


def resource(name: str) -> dict:
    return yaml.safe_load((RESOURCES / name).read_text())


def answer(api_version: str, kind: str, resources=(), api_found=True) -> dict:
    """What k8s_info registers for one loop item that was read."""
    out = {"changed": False, "api_found": api_found, "resources": list(resources),
           "item": {"api_version": api_version, "kind": kind}, "failed": False}
    if not api_found:
        out["msg"] = (f'Failed to find API for resource with apiVersion "{api_version}" and '
                      f'kind "{kind}"')
    return out


def failed(api_version: str, kind: str, error: str) -> dict:
    """What k8s_info registers (failed_when: false) when the API call raised."""
    return {"changed": False, "failed": True, "msg": FIND_FAILED.format(error),
            "item": {"api_version": api_version, "kind": kind}}


def recorded_cluster(bundle=None, broken=()) -> list:
    """One answer per kind posture/live.py asks: Kyverno's test objects where they fit (an
    Audit ValidatingPolicy, an Enforce ClusterPolicy, a failing and a skipped PolicyReport, an
    expired and a valid PolicyException), the bundle's own Namespaces and NetworkPolicies as
    the cluster holds them after an apply, and `broken` kinds answered with a failure."""
    from ansible_collections.bulwark.container_security.plugins.module_utils.posture.live import (
        LIVE_KINDS,
    )
    bundle = bundle or []
    given = {
        "ValidatingPolicy": [resource("validating-policy-audit.yaml")],
        "ClusterPolicy": [resource("cluster-policy-enforce.yaml")],
        "PolicyReport": [resource("policy-report-fail.yaml"),
                         resource("policy-report-skip-exception.yaml")],
        ("kyverno.io/v2", "PolicyException"): [resource("policy-exception-expired.yaml"),
                                               resource("policy-exception-valid.yaml")],
        "Namespace": [d for d in bundle if d.get("kind") == "Namespace"],
        "NetworkPolicy": [d for d in bundle if d.get("kind") == "NetworkPolicy"],
    }
    out = []
    for api, kind in LIVE_KINDS:
        if kind in broken:
            out.append(failed(api, kind, "HTTPSConnectionPool(host='127.0.0.1', port=6443): "
                                         "Max retries exceeded"))
            continue
        objects = given.get((api, kind), given.get(kind, [])) \
            if (api, kind) != ("policies.kyverno.io/v1", "PolicyException") else []
        out.append(answer(api, kind, objects))
    return out
