# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The falco role's rules library inputs: allowlists and Falco ``exceptions`` from role variables.

The library never edits a rule's condition for site tuning; every allowance is a Falco
exception (``exceptions:`` with fields, comps and values), so Falco builds the ``and not (...)``
itself and a reviewer reads values, not filter code. These functions check the variables (an
error names the variable, the entry and what is accepted) before the library template turns them
into exception values.
"""
from __future__ import annotations

import ipaddress

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.exceptions import (
    exception_shape,
)

# falco_rule_exceptions keys: one per library rule.
RULE_KEYS = ("shell_in_container", "protected_dir_write", "package_manager_in_container",
             "sensitive_file_read", "container_drift", "unexpected_outbound",
             "unexpected_listen")
_EXCEPTION_KEYS = {"name", "fields", "comps", "values"}


def _destination(entry) -> str:
    """A CIDR network for fd.snet: an address without a prefix length is one host."""
    network = ipaddress.ip_network(str(entry).strip(), strict=False)
    return str(network)


def _port(entry) -> str:
    text = str(entry)      # ASCII digits only: str.isdigit() also takes "\u0661" and "\u00b2"
    if isinstance(entry, bool) or not (text.isascii() and text.isdigit()) \
            or not 0 < int(text) < 65536:
        raise ValueError(entry)
    return str(int(text))


_KINDS = {
    "destination": (_destination,
                    "an IP address or CIDR network (10.0.0.0/8, 192.0.2.10, 2001:db8::/32)"),
    "port": (_port, "a port number 1-65535"),
}
# The library's allowlist variables and what their entries are.
ALLOWLISTS = {
    "falco_egress_allowed_by_image": "destination",
    "falco_egress_allowed_by_namespace": "destination",
    "falco_listen_allowed_by_image": "port",
}


def allowlist_errors(allowlist, variable: str, kind: str) -> list:
    """Problems of an allowlist variable ({image or namespace: [entries]}), one string each."""
    convert, accepted = _KINDS[kind]
    if not isinstance(allowlist, dict):
        return [f"{variable} must be a mapping of {'image' if 'image' in variable else 'name'} "
                f"to a list of entries, got {type(allowlist).__name__}"]
    errors = []
    for key, entries in allowlist.items():
        if not isinstance(key, str) or not key.strip():
            errors.append(f"{variable}: key {key!r} must be a non-empty string")
            continue
        if not isinstance(entries, list):
            errors.append(f"{variable}[{key!r}] must be a list, got {type(entries).__name__}")
            continue
        for entry in entries:
            try:
                convert(entry)
            except ValueError:
                errors.append(f"{variable}[{key!r}]: {entry!r} is not {accepted}")
    return errors


def rule_exceptions_errors(rule_exceptions) -> list:
    """Problems of falco_rule_exceptions ({rule key: [Falco exception, ...]})."""
    if not isinstance(rule_exceptions, dict):
        return [f"falco_rule_exceptions must be a mapping, got {type(rule_exceptions).__name__}"]
    errors = []
    for key, exceptions in rule_exceptions.items():
        where = f"falco_rule_exceptions[{key!r}]"
        if key not in RULE_KEYS:
            errors.append(f"{where}: unknown rule key; accepted: {', '.join(RULE_KEYS)}")
            continue
        if not isinstance(exceptions, list):
            errors.append(f"{where} must be a list of Falco exceptions (name, fields, comps, "
                          f"values), got {type(exceptions).__name__}")
            continue
        for i, exc in enumerate(exceptions):
            if not isinstance(exc, dict) or not exc.get("name") or "fields" not in exc:
                errors.append(f"{where}[{i}]: an exception needs a 'name' and 'fields' "
                              "(and 'values'; 'comps' defaults to = per field, or 'in')")
            elif set(exc) - _EXCEPTION_KEYS:
                errors.append(f"{where}[{i}] ({exc['name']!r}): unknown keys "
                              f"{sorted(set(exc) - _EXCEPTION_KEYS)}; accepted: name, fields, "
                              "comps, values")
            else:
                errors += _exception_shape_errors(f"{where}[{i}] ({exc['name']!r})", exc)
    return errors


def _exception_shape_errors(where: str, exc: dict) -> list:
    """One exception of the library's variables: field names and operators as strings, values
    a list, then Falco's shape as the linter judges it (exceptions.exception_shape)."""
    fields, comps, values = exc["fields"], exc.get("comps"), exc.get("values", [])
    if not (isinstance(fields, str) or isinstance(fields, list) and fields
            and all(isinstance(f, str) for f in fields)):
        return [f"{where}: fields must be a field name or a non-empty list of field names"]
    if comps is not None and not all(isinstance(c, str) for c in (
            comps if isinstance(comps, list) else [comps])):
        return [f"{where}: comps must be operators (strings), one per field"]
    if not isinstance(values, list):
        return [f"{where}: values must be a list, got {type(values).__name__}"]
    return [f"{where}: {problem}" for problem in exception_shape(exc)[2]]


def library_errors(variables: dict) -> list:
    """Every problem of the library's variables: the allowlists (ALLOWLISTS) and
    falco_rule_exceptions, given as {variable name: value}."""
    errors = []
    for name, kind in ALLOWLISTS.items():
        if name in variables:
            errors += allowlist_errors(variables[name], name, kind)
    ports = variables.get("falco_listen_allowed_ports", [])
    for entry in ports if isinstance(ports, list) else [ports]:
        try:
            _port(entry)
        except ValueError:
            errors.append(f"falco_listen_allowed_ports: {entry!r} is not a port number 1-65535")
    if "falco_rule_exceptions" in variables:
        errors += rule_exceptions_errors(variables["falco_rule_exceptions"])
    return errors
