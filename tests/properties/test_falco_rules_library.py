# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Property of the Falco rules library builder: for any generated variables it refuses clearly
(ValueError naming the variable) or builds a library that is YAML and that the collection's own
Falco linter accepts; and it refuses exactly what `problems` reports."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.linter import (
    lint_paths,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import refused_or_right

ROOT = Path(__file__).resolve().parents[2]
SCHEMA = json.loads((ROOT / "tests/fixtures/falco/rules.schema.json").read_text())

# names: mostly plain, with the characters that split a Falco value, blanks, controls,
# non-ASCII and characters outside the BMP mixed in
NAME = st.one_of(
    st.sampled_from(["sh", "bash", "/etc", "/usr/bin/", "/", "", "registry.example/app",
                     "a,b", "x) or (y", "it's", 'q"q', "k=v", "with space", "tab\there",
                     "\U0001f600", "ünï", "and", "not", "(", "-", "#x", "\\"]),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12),
    st.text(alphabet="abc/._-:@ ,()='\"\\\t\n\x00\u00e9\U0001f600", max_size=10),
)
NAMES = st.lists(NAME, max_size=5)
DESTINATION = st.sampled_from(["10.0.0.0/8", "192.0.2.10", " 192.0.2.11 ", "2001:db8::1",
                               "2001:DB8::/32", "10.0.0.0/33", "host", 167772161])
PORT = st.sampled_from([22, "443", "08080", 0, 65536, "http", True, 3.0])
ALLOWLIST_KEY = st.one_of(NAME, st.integers(0, 3))


def allowlist(entry):
    return st.dictionaries(ALLOWLIST_KEY, st.lists(entry, max_size=3), max_size=3) \
        | st.sampled_from(["10.0.0.0/8", ["x"], None])


EXCEPTION = st.fixed_dictionaries(
    {"name": NAME, "fields": st.sampled_from(["proc.pname", ["proc.pname"]])},
    optional={"values": st.lists(NAME | st.lists(NAME, max_size=2), max_size=2)})
VARIABLES = st.fixed_dictionaries({}, optional={
    **{name: NAMES | st.sampled_from(["bash", None, 3])
       for name in rules_library.NAME_LISTS},
    "falco_egress_allowed_by_image": allowlist(DESTINATION),
    "falco_egress_allowed_by_namespace": allowlist(DESTINATION),
    "falco_listen_allowed_by_image": allowlist(PORT),
    "falco_listen_allowed_ports": st.lists(PORT, max_size=3) | st.just(443),
    "falco_rule_exceptions": st.dictionaries(
        st.sampled_from([*rules_library.DEFAULTS["falco_rule_exceptions"],
                         "shell_in_container", "unexpected_listen", "nope"]),
        st.lists(EXCEPTION, max_size=2), max_size=2),
})


def _linted(text: str) -> None:
    assert text.startswith(rules_library.HEADER) and text.endswith("\n")
    items = yaml.safe_load(text)
    assert sum(1 for i in items if "rule" in i) == 7
    fd, path = tempfile.mkstemp(suffix=".yaml")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            out.write(text)
        result = lint_paths([path], SCHEMA)
    finally:
        os.unlink(path)
    assert result.errors == [], [str(e) for e in result.errors]


@given(VARIABLES)
def test_library_is_refused_clearly_or_linted_clean(variables):
    outcome, value = refused_or_right(lambda: rules_library.build_rules_library(variables),
                                      (ValueError,), _linted)
    found = rules_library.problems(variables)
    if outcome == "refused":
        assert value == "; ".join(found)
        assert all(p.startswith(("falco_", "unknown variables")) for p in found), found
    else:
        assert found == []


@given(st.fixed_dictionaries({}, optional={name: NAMES for name in rules_library.NAME_LISTS}))
def test_any_names_are_refused_clearly_or_linted_clean(variables):
    """The lists of names alone (types right): the single-value check against the linter."""
    outcome, value = refused_or_right(lambda: rules_library.build_rules_library(variables),
                                      (ValueError,), _linted)
    if outcome == "refused":
        assert "is not one Falco value" in value
