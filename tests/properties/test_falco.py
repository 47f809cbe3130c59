# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the Falco rules linter and of the Falco/trivy configuration checks: any
generated rules file is refused or linted (never a traceback, never a hang), and a secret given
under a secret-bearing option with any type never shows in the messages."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    config as falco_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.linter import (
    lint_paths,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.results import (
    LintResult,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    config as trivy_config,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import no_secret, refused_or_right

ROOT = Path(__file__).resolve().parents[2]
FALCO_SCHEMA = json.loads((ROOT / "roles/falco/files/config.schema.json").read_text())
TRIVY_SCHEMA = json.loads((ROOT / "roles/trivy/files/trivy-config.schema.json").read_text())

ATOMS = st.sampled_from([
    "evt.type=open", "evt.type in (open, openat)", "proc.name in (bash, sh)",
    "fd.name startswith /etc", "proc.aname[2] = sshd", "tolower(proc.name) = x",
    "m0", "m1", "shells", "undefined_macro", "evt.num > 3", "fd.sip = 10.0.0.1",
    "proc.name = 'a b'", "container.id != host", "evt.type", "((", ")", "and", "not",
    "proc.name in shells", "proc.name exists", "evt.arg.flags contains O_RDWR",
])
CONDITIONS = st.recursive(
    ATOMS,
    lambda inner: st.one_of(
        inner.map(lambda c: f"not {c}"),
        inner.map(lambda c: f"({c})"),
        st.tuples(inner, st.sampled_from([" and ", " or ", " "]), inner).map("".join),
    ),
    max_leaves=12,
)
DEEP = st.tuples(st.integers(0, 400), st.sampled_from(["(", "not ", "tolower("]),
                 ATOMS).map(lambda t: t[1] * t[0] + t[2]
                            + {"(": ")", "not ": "", "tolower(": ") = x"}[t[1]] * t[0])
SCALARS = st.none() | st.booleans() | st.integers() | st.text(max_size=8)
ITEM = st.one_of(
    st.fixed_dictionaries({"macro": st.sampled_from(["m0", "m1", "m2"]),
                           "condition": CONDITIONS | DEEP}),
    st.fixed_dictionaries({"list": st.sampled_from(["shells", "l1"]),
                           "items": st.lists(st.sampled_from(["bash", "sh", "shells", "l1"]) |
                                             SCALARS, max_size=4) | SCALARS}),
    st.fixed_dictionaries({"rule": st.sampled_from(["r0", "r1"]),
                           "condition": CONDITIONS | DEEP | SCALARS,
                           "output": st.sampled_from(["%proc.name", "x %evt.nope", "o"]),
                           "desc": st.just("d") | SCALARS,
                           "priority": st.sampled_from(["INFO", "warning", "BAD"]) | SCALARS},
                          optional={"enabled": SCALARS, "append": st.booleans(),
                                    "override": st.dictionaries(
                                        st.sampled_from(["condition", "items", "output"]),
                                        st.sampled_from(["append", "replace", "x"]), max_size=2),
                                    "exceptions": st.lists(st.dictionaries(
                                        st.sampled_from(["name", "fields", "comps", "values"]),
                                        SCALARS | st.lists(SCALARS, max_size=3), max_size=4),
                                        max_size=2)}),
    st.dictionaries(st.text(max_size=5), SCALARS, max_size=3),
    SCALARS,
)


def _lint_text(text: str):
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "rules.yaml")
        with open(path, "w", encoding="utf-8") as handle:
            handle.write(text)
        return lint_paths([path])


def _is_lint_result(result):
    assert isinstance(result, LintResult)
    for problem in result.errors + result.warnings:
        assert str(problem).strip()


@given(st.lists(ITEM, max_size=8))
def test_generated_rules_files_are_refused_or_linted(items):
    """Invariant: a generated rules file (rules, macros, lists with random and deeply nested
    conditions, odd types) is refused clearly (InputError/ValueError) or linted into a
    LintResult: never a traceback (RecursionError, TypeError...)."""
    text = yaml.safe_dump(items, allow_unicode=True, width=10**6)
    refused_or_right(lambda: _lint_text(text), (InputError, ValueError), _is_lint_result)


@given(st.integers(1, 40), st.integers(1, 12))
def test_aliased_rules_files_are_bounded(width, levels):
    """Invariant: a rules file of nested YAML aliases is linted or refused with an error on
    the file (alias count, expansion bound), never left to expand: resources stay bounded."""
    lines = ["- list: b0\n  items: &a0 [x]\n"]
    for i in range(1, levels + 1):
        lines.append(f"- list: b{i}\n  items: &a{i} [" + ", ".join([f"*a{i - 1}"] * width)
                     + "]\n")
    kind, value = refused_or_right(lambda: _lint_text("".join(lines)), (InputError, ValueError),
                                   _is_lint_result)
    if kind == "result" and width ** levels > 1_000_000:
        assert any("alias" in e.message for e in value.errors)


SECRET = "Zq9-secret-T0ken-771"
WRONG = st.one_of(st.integers(), st.booleans(), st.none(),
                  st.just([SECRET]), st.just({"v": SECRET}), st.just([[SECRET]]),
                  st.just(f"https://u:{SECRET}@h.example/x"))


@given(st.sampled_from([("program_output", "program"), ("http_output", "url")]), WRONG)
def test_falco_secret_options_never_echoed(where, value):
    """Invariant: a token-bearing Falco option (program, url) of any type is accepted or
    refused with messages that never show the token."""
    section, option = where
    errors = falco_config.config_errors({section: {"enabled": True, option: value}},
                                        FALCO_SCHEMA)
    no_secret(SECRET, *errors)


@given(st.sampled_from(["password", "username", "token"]), WRONG)
def test_trivy_registry_secrets_never_echoed(option, value):
    """Invariant: a vaulted trivy registry credential of any type is accepted or refused with
    messages that never show it (path and expected type only)."""
    document = trivy_config.build_config({}, extra={"registry": {option: value}})
    no_secret(SECRET, *trivy_config.validate_config(document, TRIVY_SCHEMA))
