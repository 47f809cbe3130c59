# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Prune: what Bulwark created in a cluster that the settings no longer name.

Every manifest the builders make carries ``MANAGED_LABELS`` (``app.kubernetes.io/managed-by``
and ``app.kubernetes.io/part-of``, both ``bulwark``); ``SELECTOR`` finds them in a cluster. The
plan deletes a listed object only when it carries both labels, is of a kind the builders make,
and the bundle has no manifest of the same API group, kind, namespace and name. Namespaces are
never pruned: deleting one deletes every workload in it, and Bulwark also labels namespaces it
did not create (``existing: true``); they are reported as ``orphaned_namespaces`` instead.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    got,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.native import (
    NATIVE_API,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    KYVERNO_API,
    LEGACY_API,
    MANAGED_LABELS,
)

SELECTOR = ",".join(f"{k}={v}" for k, v in sorted(MANAGED_LABELS.items()))
# Every (apiVersion, kind) the builders make, whatever the settings now: a kind the settings no
# longer produce (image verification turned off, engine switched) is exactly what prune must find.
PRUNABLE_KINDS = (
    (KYVERNO_API, "ValidatingPolicy"),
    (KYVERNO_API, "ImageValidatingPolicy"),
    (KYVERNO_API, "PolicyException"),
    (LEGACY_API, "ClusterPolicy"),
    (NATIVE_API, "ValidatingAdmissionPolicy"),
    (NATIVE_API, "ValidatingAdmissionPolicyBinding"),
    ("networking.k8s.io/v1", "NetworkPolicy"),
)


def prune_kinds() -> list[dict]:
    """[{api_version, kind}] to list with ``SELECTOR`` (kubernetes.core.k8s_info)."""
    return [{"api_version": api, "kind": kind} for api, kind in PRUNABLE_KINDS]


def _group(api_version: str) -> str:
    return api_version.rpartition("/")[0]


def _key(obj: dict):
    meta = obj.get("metadata") or {}
    return (_group(obj.get("apiVersion", "")), obj.get("kind"), meta.get("namespace") or "",
            meta.get("name"))


def _managed(obj: dict) -> bool:
    labels = (obj.get("metadata") or {}).get("labels") or {}
    return all(labels.get(k) == v for k, v in MANAGED_LABELS.items())


def _check_object(obj, where: str) -> dict:
    """``obj`` when it is a Kubernetes object (apiVersion and kind strings, metadata a mapping
    with string name and namespace), else ValueError naming it by position and type only."""
    if not isinstance(obj, dict):
        raise ValueError(f"{where} must be a Kubernetes object (a mapping), got "
                         f"{got(obj)}")
    meta = obj.get("metadata")
    meta = {} if meta is None else meta
    if not isinstance(obj.get("apiVersion"), str) or not isinstance(obj.get("kind"), str) or \
            not isinstance(meta, dict) or \
            not all(isinstance(meta.get(k), (str, type(None))) for k in ("name", "namespace")) or \
            not isinstance(meta.get("labels") or {}, dict):
        raise ValueError(f"{where} is not a Kubernetes object: apiVersion and kind must be "
                         "strings, metadata a mapping with string name and namespace")
    return obj


def _checked(objects, what: str) -> list[dict]:
    """``objects`` when it is a list of Kubernetes objects, else ValueError (_check_object)."""
    if not isinstance(objects, (list, tuple)):
        raise ValueError(f"{what} must be a list of Kubernetes objects, got "
                         f"{got(objects)}")
    return [_check_object(obj, f"{what}[{i}]") for i, obj in enumerate(objects)]


def live_objects(listings) -> list[dict]:
    """The objects of k8s_info results (each with ``resources``), or of a flat list of them."""
    if listings is not None and not isinstance(listings, (list, tuple)):
        raise ValueError("the listings must be a list of k8s_info results or objects, got "
                         f"{got(listings)}")
    out = []
    for i, item in enumerate(listings or []):
        if isinstance(item, dict) and "resources" in item and "kind" not in item:
            out.extend(_checked(item.get("resources") or [], f"listings[{i}].resources"))
        elif isinstance(item, dict):
            out.append(_check_object(item, f"listings[{i}]"))
        else:
            raise ValueError(f"not a Kubernetes object or k8s_info result: listings[{i}] is a "
                             f"{got(item)}")
    return out


def prune_plan(bundle, listings) -> dict:
    """{'delete': [{api_version, kind, namespace, name}], 'orphaned_namespaces': [names]}: the
    managed objects of ``listings`` (k8s_info results) that ``bundle`` no longer has, sorted."""
    wanted = {_key(m) for m in _checked(bundle, "the bundle")}
    prunable = {(_group(api), kind) for api, kind in PRUNABLE_KINDS}
    delete, orphaned = [], []
    for obj in live_objects(listings):
        key = _key(obj)
        if key in wanted or not _managed(obj):
            continue
        group, kind, namespace, name = key
        if (group, kind) == ("", "Namespace"):
            orphaned.append(name)
        elif (group, kind) in prunable:
            entry = {"api_version": obj["apiVersion"], "kind": kind, "name": name}
            if namespace:
                entry["namespace"] = namespace
            delete.append(entry)
    delete.sort(key=lambda e: (e["kind"], e.get("namespace", ""), e["name"]))
    return {"delete": delete, "orphaned_namespaces": sorted(set(orphaned))}
