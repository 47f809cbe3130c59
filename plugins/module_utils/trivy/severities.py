# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Trivy's severities, the blocking set a gate threshold selects, and severity budgets.

The one home of SEVERITIES: the gate, the reports, the scan command and trivy.yaml checks.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    expect_items,
)

SEVERITIES = ("UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL")
RANK = {name: rank for rank, name in enumerate(SEVERITIES)}


def blocking_set(severity):
    """'HIGH' = HIGH and above; 'HIGH,CRITICAL' or a list = exactly those (Trivy's style)."""
    if isinstance(severity, str) and "," not in severity:
        name = severity.strip().upper()
        if name not in RANK:
            raise ValueError(f"severity={severity!r}; accepted: {', '.join(SEVERITIES)}")
        return frozenset(SEVERITIES[RANK[name]:])
    expect_items(severity, (str, list, tuple), "severity", (str, int), optional=True)
    names = severity.split(",") if isinstance(severity, str) else list(severity or ())
    picked = {str(n).strip().upper() for n in names if str(n).strip()}
    bad = sorted(picked - set(SEVERITIES))
    if bad or not picked:
        raise ValueError(f"severity={severity!r}; accepted: {', '.join(SEVERITIES)}")
    return frozenset(picked)


def check_budgets(budgets):
    expect(budgets, dict, "budgets (a mapping of severity to a count)", optional=True)
    out = {}
    for name, value in (budgets or {}).items():
        sev = str(name).strip().upper()
        if sev not in RANK:
            raise ValueError(f"budgets: unknown severity {name!r}; accepted: "
                             f"{', '.join(SEVERITIES)}")
        limit = -1
        text = str(value).strip()
        # A plain count: int() alone also reads "5_0" as 50 and "\u0665" as 5.
        if isinstance(value, int) and not isinstance(value, bool):
            limit = value
        elif isinstance(value, str) and text.isascii() and text.isdigit():
            limit = int(text)
        if limit < 0:
            raise ValueError(f"budgets: {sev}={value!r} must be an integer >= 0")
        out[sev] = limit
    return out
