# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Names, choices and the checks every Kyverno policy setting goes through.

Each check raises SettingsError naming the key, the value and what would be accepted.
"""
from __future__ import annotations

import re
from datetime import datetime, timezone

from ansible_collections.bulwark.container_security.plugins.module_utils.kubernetes_names import (
    DNS_LABEL,
    LABEL_KEY,
    LABEL_VALUE,
)

MANAGED_LABELS = {"app.kubernetes.io/managed-by": "bulwark", "app.kubernetes.io/part-of": "bulwark"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
VALIDATION_ACTIONS = ("Audit", "Warn", "Deny")
PSA_LEVELS = ("privileged", "baseline", "restricted")
SECCOMP_TYPES = ("RuntimeDefault", "Localhost")

DEFAULT_SYSTEM_NAMESPACES = ("kube-system", "kyverno", "falco")
KYVERNO_API = "policies.kyverno.io/v1"
LEGACY_API = "kyverno.io/v1"
NETWORK_PROTOCOLS = ("TCP", "UDP", "SCTP")

# (apiGroup, resources) every pod-level policy matches: Pods and every built-in pod controller.
POD_RESOURCE_RULES = (
    ("", "v1", ("pods",)),
    ("apps", "v1", ("deployments", "statefulsets", "daemonsets", "replicasets")),
    ("batch", "v1", ("jobs", "cronjobs")),
)
POD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")

_PSA_VERSION = re.compile(r"^(latest|v1\.[0-9]{1,2})$")
_CAPABILITY = re.compile(r"^[A-Z_]+$")
_CIDR = re.compile(r"^([0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9a-fA-F:]+/[0-9]{1,3})$")


class SettingsError(ValueError):
    """Bad settings: the message names the key, the value and what would be accepted."""

    def __init__(self, key: str, value, allowed: str):
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"{key}: {value!r} is not valid; expected {allowed}")


def _mapping(value, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(key, value, "a mapping")
    return value


def _unknown(data: dict, known, key: str) -> None:
    extra = sorted(set(data) - set(known))
    if extra:
        where = f"{key}.{extra[0]}" if key else extra[0]
        raise SettingsError(where, data[extra[0]], "one of the keys " + ", ".join(sorted(known)))


def _record(data, key: str, known, shorthand: str) -> dict:
    """A settings mapping with only ``known`` keys; a plain string stands for ``{shorthand: s}``."""
    if isinstance(data, str):
        data = {shorthand: data}
    data = _mapping(data, key)
    _unknown(data, known, key)
    return data


def _bool(value, key: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(key, value, "true or false")
    return value


def _int(value, key: str, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
            maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise SettingsError(key, value, f"an integer of at least {minimum}{upper}")
    return value


def _str_list(value, key: str, pattern: re.Pattern | None = None, what: str = "a string",
              allow_empty: bool = True) -> tuple[str, ...]:
    if value is None:
        value = []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise SettingsError(key, value, f"a list of {what}s")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item or (pattern and not pattern.match(item)):
            raise SettingsError(f"{key}[{i}]", item, what)
        out.append(item)
    if not allow_empty and not out:
        raise SettingsError(key, value, f"a non-empty list of {what}s")
    return tuple(out)


def _name(value, key: str, pattern: re.Pattern = DNS_LABEL) -> str:
    what = ("a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)"
            if pattern is DNS_LABEL else "a DNS-1123 subdomain (lowercase, digits, '-', '.')")
    if not isinstance(value, str) or not pattern.match(value):
        raise SettingsError(key, value, what)
    return value


def _labels(value, key: str) -> dict[str, str]:
    data = _mapping(value, key)
    for k, v in data.items():
        if not isinstance(k, str) or not LABEL_KEY.match(k):
            raise SettingsError(f"{key}.{k}", k, "a Kubernetes label key ([prefix/]name)")
        if not isinstance(v, str) or not LABEL_VALUE.match(v):
            raise SettingsError(f"{key}.{k}", v,
                                "a label value (string of at most 63 alphanumerics, '-', '_', '.')")
    return dict(data)


def _actions(value, key: str) -> tuple[str, ...]:
    """``Audit`` / ``Warn`` / ``Deny`` or a list; Deny with Warn is refused as the API does."""
    items = [value] if isinstance(value, str) else value
    allowed = "Audit, Warn or Deny, or a list of them (Deny and Warn cannot be combined)"
    if not isinstance(items, (list, tuple)) or not items:
        raise SettingsError(key, value, allowed)
    out = []
    for item in items:
        if item not in VALIDATION_ACTIONS:
            raise SettingsError(key, value, allowed)
        if item not in out:
            out.append(item)
    if "Deny" in out and "Warn" in out:
        raise SettingsError(key, value, allowed)
    return tuple(a for a in VALIDATION_ACTIONS if a in out)


def _timestamp(value, key: str) -> str:
    allowed = "an RFC 3339 timestamp such as 2027-01-31T00:00:00Z"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise SettingsError(key, value, allowed) from None
    else:
        raise SettingsError(key, value, allowed)
    if moment.tzinfo is None:
        raise SettingsError(key, value, allowed + " (with a time zone)")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
