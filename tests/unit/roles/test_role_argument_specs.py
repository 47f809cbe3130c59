# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Every role variable a user may set is declared: defaults/main.yml and
meta/argument_specs.yml name the same variables, each typed, described and defaulted alike,
and a variable the tasks read with `| default(...)` is one of them (kyverno_apply_prune was
read but declared nowhere)."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
ROLES = sorted(p.name for p in (ROOT / "roles").iterdir()
               if (p / "meta/argument_specs.yml").exists())


def options(role):
    spec = yaml.safe_load((ROOT / "roles" / role / "meta/argument_specs.yml").read_text())
    found = {}
    for entry in spec["argument_specs"].values():
        found.update(entry.get("options") or {})
    return found


@pytest.mark.parametrize("role", ROLES)
def test_defaults_and_argument_specs_declare_the_same_variables(role):
    defaults = yaml.safe_load((ROOT / "roles" / role / "defaults/main.yml").read_text()) or {}
    declared = options(role)
    assert sorted(set(defaults) ^ set(declared)) == []
    for name, option in declared.items():
        assert option.get("type") and option.get("description"), name
        assert option.get("required") or option.get("default") == defaults[name] \
            or "{{" in str(defaults[name]), name


@pytest.mark.parametrize("role", ROLES)
def test_variables_read_with_a_default_are_declared(role):
    text = "".join(p.read_text() for p in (ROOT / "roles" / role).rglob("*.yml")
                   if "meta" not in p.parts and "defaults" not in p.parts)
    read = set(re.findall(rf"\b({role}_[a-z0-9_]+) \| default\(", text))
    facts = set(re.findall(rf"^\s+({role}_[a-z0-9_]+):", text, re.M))   # set_fact, vars
    facts |= set(re.findall(r"register: (\w+)", text))
    assert sorted(read - facts - set(options(role))) == []
