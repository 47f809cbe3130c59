# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Field names against the catalog (fields.py) and extra fields from `falco --list`.
"""
from __future__ import annotations

import re

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.fields import (
    EVENT_ARGS,
    FIELDS,
)


def lookup_field(name: str, arg: str | None, fields: dict | None = None):
    """Return (base field name, flags, error message or None); fields defaults to FIELDS."""
    fields = FIELDS if fields is None else fields
    base, flags, problem = _lookup_field(name, arg, fields)
    if problem is None and base in ("evt.arg", "evt.rawarg"):
        if arg is not None:     # evt.arg[N]: by position only
            if not (arg.isascii() and arg.isdigit()):   # isdigit() alone takes "\u0661"
                problem = f"'{name}[{arg}]': the argument in brackets must be a number"
        elif name[len(base) + 1:] not in EVENT_ARGS:
            key = name[len(base) + 1:]
            problem = f"unknown event argument '{key}' in '{name}': no event has it"
    return base, flags, problem


def _lookup_field(name: str, arg: str | None, fields: dict):
    if name in fields:
        flags = fields[name][1].split()
        if arg is not None and "arg_required" not in flags and "arg_allowed" not in flags:
            return name, flags, f"unknown field '{name}[{arg}]': '{name}' takes no argument"
        if arg is None and "arg_required" in flags:
            return name, flags, f"field '{name}' requires an argument ('{name}[...]')"
        number = arg.strip("'\"") if arg is not None else ""
        if arg is not None and name.startswith("proc.a") \
                and not (number.isascii() and number.isdigit()):
            return name, flags, f"field '{name}' takes a numeric argument, not '{arg}'"
        return name, flags, None
    # `evt.arg.flags`, `container.label.app`: the argument after a dot
    parts = name.split(".")
    for cut in range(len(parts) - 1, 1, -1):
        base = ".".join(parts[:cut])
        if base in fields and "arg_required" in fields[base][1].split():
            if arg is not None:
                return base, [], f"unknown field '{name}[{arg}]'"
            return base, fields[base][1].split(), None
    return name, [], f"unknown field '{name}'"


def read_field_list(text: str) -> dict:
    """Fields from `falco --list` / `sysdig -l` output (or a plain list of names), as FIELDS
    entries with origin 'extra' and the ARG_/EPF_ flags printed beside them."""
    names = {"ARG_REQUIRED": "arg_required", "ARG_ALLOWED": "arg_allowed",
             "EPF_NO_RHS": "no_rhs", "EPF_NO_TRANSFORMER": "no_transformer",
             "FILTER_ONLY": "filter_only", "EPF_IS_LIST": "is_list"}
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z][a-zA-Z0-9_.]*\.[a-zA-Z0-9_.]+)(?:\s+\(([A-Z_,]+)\))?(?:\s|$)", line)
        if m:
            flags = [names[f] for f in (m.group(2) or "").split(",") if f in names]
            out[m.group(1)] = ("extra", " ".join(flags))
    return out
