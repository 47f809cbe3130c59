# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Names, choices and the checks every Kyverno policy setting goes through.

Each check raises SettingsError naming the key, the value and what would be accepted.
"""
from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    shown,
)
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

# Whole-string patterns (fullmatch, and \Z, never $: $ also matches before a trailing newline).
_PSA_VERSION = re.compile(r"(latest|v1\.(0|[1-9][0-9]?))\Z")
_CAPABILITY = re.compile(r"[A-Z_]+\Z")
_PREFIX_LENGTH = re.compile(r"(0|[1-9][0-9]{0,2})\Z")

# Exceptions expire; how far out one may expire (Settings.max_exception_days) is bounded.
DEFAULT_MAX_EXCEPTION_DAYS = 365
MAX_EXCEPTION_DAYS_LIMIT = 3650


_NOT_SHOWN = object()   # an unknown key's value: never shown (it may be anything, a secret too)


class SettingsError(ValueError):
    """Bad settings: the message names the key, the value (a scalar; a mapping or list by its
    type) and what would be accepted."""

    def __init__(self, key: str, value, allowed: str):
        self.key = key
        self.value = None if value is _NOT_SHOWN else value
        self.allowed = allowed
        text = "(value not shown)" if value is _NOT_SHOWN else shown(value, 80)
        where = key if isinstance(key, str) and key and key.isprintable() else repr(key)
        super().__init__(f"{where}: {text} is not valid; expected {allowed}")


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
        raise SettingsError(where, _NOT_SHOWN, "one of the keys " + ", ".join(sorted(known)))


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
        if not isinstance(item, str) or not item or (pattern and not pattern.fullmatch(item)):
            raise SettingsError(f"{key}[{i}]", item, what)
        out.append(item)
    if not allow_empty and not out:
        raise SettingsError(key, value, f"a non-empty list of {what}s")
    return tuple(out)


def _name(value, key: str, pattern: re.Pattern = DNS_LABEL) -> str:
    what = ("a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)"
            if pattern is DNS_LABEL else "a DNS-1123 subdomain (lowercase, digits, '-', '.')")
    if not isinstance(value, str) or not pattern.fullmatch(value):
        raise SettingsError(key, value, what)
    return value


def _labels(value, key: str) -> dict[str, str]:
    data = _mapping(value, key)
    for k, v in data.items():
        if not isinstance(k, str) or not LABEL_KEY.fullmatch(k):
            raise SettingsError(f"{key}.{k}", k, "a Kubernetes label key ([prefix/]name)")
        if not isinstance(v, str) or not LABEL_VALUE.fullmatch(v):
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


def _moment(value, key: str) -> datetime:
    """An aware datetime in UTC from an RFC 3339 string (or a YAML timestamp)."""
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
    try:
        return moment.astimezone(timezone.utc)
    except (OverflowError, ValueError):      # 9999-12-31T23:59:59-01:00 is past datetime.max
        raise SettingsError(key, value, allowed + " (within the years 1-9999 in UTC)") from None


def _rfc3339(moment: datetime) -> str:
    # isoformat pads the year to four digits; strftime's %Y gives "999" for the year 999.
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def _timestamp(value, key: str) -> str:
    return _rfc3339(_moment(value, key))


def _expiry(value, key: str, max_days: int, entry: str, now: datetime | None = None) -> str:
    """`_timestamp`, refused when it lies more than `max_days` days after `now` (an exception
    that expires in the year 9999 is a permanent one)."""
    moment = _moment(value, key)
    now = now or datetime.now(timezone.utc)
    latest = now + timedelta(days=max_days)
    if moment > latest:
        raise SettingsError(key, value, f"an expiry at most {max_days} days from now (not after "
                                        f"{_rfc3339(latest)}) for exception "
                                        f"{entry}; renew it when it ends, or raise "
                                        "max_exception_days")
    return _rfc3339(moment)


def _network(value, key: str):
    """An IPv4 or IPv6 network as the API server accepts a NetworkPolicy ipBlock CIDR with
    strict IP validation (k8s.io/apimachinery parseCIDR, StrictIPCIDRValidation): an address
    and a decimal prefix length, no leading zeros, no zone, no IPv4-mapped IPv6 address and no
    bits set beyond the prefix length (``10.1.2.3/8`` is ambiguous: 10.0.0.0/8 or 10.1.2.3/32?)."""
    allowed = "a CIDR such as 10.0.0.0/8 or fd00::/8"
    if not isinstance(value, str) or value.count("/") != 1:
        raise SettingsError(key, value, allowed)
    address, length = value.split("/")
    if not _PREFIX_LENGTH.fullmatch(length) or "%" in address or not address.isascii():
        raise SettingsError(key, value, allowed + " (an address, '/' and a prefix length "
                                                  "without leading zeros)")
    try:
        network = ipaddress.ip_network(value, strict=False)
    except ValueError:
        raise SettingsError(key, value, allowed) from None
    mapped = getattr(network.network_address, "ipv4_mapped", None)
    if mapped is not None:
        raise SettingsError(key, value, f"{allowed}; not an IPv4-mapped IPv6 address (write "
                                        f"{mapped}/{max(network.prefixlen - 96, 0)})")
    if network.network_address != ipaddress.ip_address(address):
        raise SettingsError(key, value, f"{allowed} without bits set beyond the prefix length "
                                        f"(the network is {network})")
    return network


def _cidr(value, key: str) -> str:
    """The canonical text of a CIDR `_network` accepts."""
    return str(_network(value, key))


def _except_cidrs(cidr: str, values, key: str) -> tuple[str, ...]:
    """ipBlock.except: each a CIDR of the same family strictly inside `cidr` (the API server
    refuses anything else: "must be a strict subset of `cidr`")."""
    network = ipaddress.ip_network(cidr)
    if values is None:
        values = []
    if isinstance(values, str) or not isinstance(values, (list, tuple)):
        raise SettingsError(key, values, "a list of CIDRs inside the cidr")
    out = []
    for i, value in enumerate(values):
        inner = _network(value, f"{key}[{i}]")
        if inner.version != network.version or not inner.subnet_of(network) \
                or inner.prefixlen <= network.prefixlen:
            raise SettingsError(f"{key}[{i}]", value,
                                f"a CIDR strictly inside {cidr} (same address family, longer "
                                "prefix)")
        out.append(str(inner))
    return tuple(out)
