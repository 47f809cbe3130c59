# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the one reader (safe_input), the one writer (safe_output) and the one
redaction (redaction) that every parser, module and role path goes through."""
from __future__ import annotations

import json
import os

from ansible_collections.bulwark.container_security.plugins.module_utils import (
    redaction,
    safe_input,
    safe_output,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import CONTROL, no_secret, refused_or_right

JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=30)


@given(st.text() | st.binary())
def test_load_json_refuses_or_parses_any_text(text):
    """Invariant: any text is either refused with InputError or parsed into plain JSON data
    (finite numbers, encodable strings) that serialises back as strict JSON."""
    def check(doc):
        json.dumps(doc, allow_nan=False).encode("utf-8")
    refused_or_right(lambda: safe_input.load_json(text, "report"), safe_input.InputError, check)


@given(JSON_VALUES)
def test_load_json_round_trips_what_json_allows(value):
    """Invariant: a value with non-finite floats is refused; every other value parses back equal."""
    text = json.dumps(value)
    outcome, result = refused_or_right(lambda: safe_input.load_json(text, "report"),
                                       safe_input.InputError)
    if outcome == "result":
        assert json.dumps(result) == text
    else:
        assert any(w in result for w in ("NaN", "Infinity", "out of range", "nested")), result


@given(st.text(max_size=400))
def test_load_yaml_refuses_or_parses_any_text(text):
    """Invariant: any text is refused with InputError or parsed; never another exception."""
    refused_or_right(lambda: safe_input.load_yaml(text, "ignore_file"), safe_input.InputError)


@given(st.integers(min_value=2, max_value=9), st.integers(min_value=3, max_value=9))
def test_yaml_alias_bombs_are_refused(width, levels):
    """Invariant: a document whose aliases expand past the bound is refused, whatever its shape."""
    lines = ['l0: &l0 ["x"]']
    for level in range(1, levels):
        lines.append(f"l{level}: &l{level} [" + ", ".join([f"*l{level - 1}"] * width) + "]")
    text = "\n".join(lines) + "\n"
    expanded = sum(width ** i for i in range(levels))
    outcome, _message = refused_or_right(lambda: safe_input.load_yaml(text, "f"),
                                         safe_input.InputError)
    if expanded > safe_input.MAX_YAML_EXPANDED_NODES or (levels - 1) * width > \
            safe_input.MAX_YAML_ALIASES:
        assert outcome == "refused"


@given(st.text(min_size=1, max_size=60))
def test_contained_path_never_leaves_its_root(tmp_path_factory, name):
    """Invariant: a name is refused, or resolves to a path strictly inside the root."""
    root = tmp_path_factory.mktemp("root")
    outcome, path = refused_or_right(lambda: safe_output.contained_path(root, name),
                                     safe_output.OutputError)
    if outcome == "result":
        resolved = os.path.realpath(path)
        assert resolved.startswith(os.path.realpath(root) + os.sep), (name, resolved)


@given(st.text(alphabet=st.characters(blacklist_categories=("Cs",)), min_size=6, max_size=30),
       st.text(max_size=80), st.sampled_from(["https://u:{s}@h/x", "{s}", "password={s}",
                                             "Authorization: Bearer {s}", "token: {s}"]))
def test_redaction_hides_the_secret_and_control_characters(secret, noise, shape):
    """Invariant: after safe_message, a named secret (or a credential in URL userinfo or a keyed
    value) is not in the text, and no raw control character is left."""
    text = noise + " " + shape.format(s=secret) + " " + noise
    shown = redaction.safe_message(text, [secret])
    no_secret(secret, shown)
    assert not CONTROL.search(shown.replace("\n", "").replace("\t", ""))
