# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of every filter of plugins/filter (FilterModule().filters()): generated
arguments, of odd content and of the wrong type, are answered with a value or refused with an
AnsibleError (AnsibleFilterError...) or a ValueError whose message is clear; never a TypeError,
AttributeError, KeyError, RecursionError or other crash; never a credential echoed. Mappings
carry the words the filter's own code looks for (odd_inputs.vocabulary), so generated inputs
get past the first check and reach the logic behind it."""
from __future__ import annotations

import importlib
import inspect
from datetime import timedelta
from pathlib import Path

import pytest
from ansible.errors import AnsibleError
from hypothesis import given, settings
from hypothesis import strategies as st

from .invariants import no_secret, refused_or_right
from .odd_inputs import (
    SECRETS,
    imported_sources,
    json_like,
    odd_text,
    python_internal,
    time_limit,
    vocabulary,
    watching,
    wrong_type,
)

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "ansible_collections.bulwark.container_security.plugins.filter."
REFUSALS = (AnsibleError, ValueError)
EXAMPLE_SECONDS = 20


def _filters():
    rows = []
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        module = importlib.import_module(PACKAGE + path.stem)
        for name, function in sorted(module.FilterModule().filters().items()):
            rows.append((path.stem, name, function))
    return rows


FILTERS = _filters()
FILTER_IDS = [name for _file, name, _function in FILTERS]
# Filters whose every example is slow (policy builders, CEL): fewer examples.
SLOW = {"kyverno_policy_bundle": 30, "kyverno_test_suites": 30, "kyverno_prune_plan": 30,
        "posture_report": 30}


def filter_arguments(file_stem, function):
    """(positional args, keyword args, secret): required parameters always given, optional
    ones sometimes; each value odd text, a JSON-like structure or a wrong type."""
    words = vocabulary(imported_sources(ROOT / "plugins" / "filter" / f"{file_stem}.py", ROOT))
    parameters = list(inspect.signature(function).parameters.values())

    @st.composite
    def build(draw):
        secret = draw(SECRETS)
        text = odd_text(words)
        value = st.one_of(text, json_like(text, secret), json_like(text, secret),
                          json_like(text, secret), wrong_type(text))
        args, kwargs = [], {}
        for parameter in parameters:
            if parameter.default is inspect.Parameter.empty:
                args.append(draw(value))
            elif draw(st.booleans()):
                kwargs[parameter.name] = draw(value)
        return args, kwargs, secret
    return build()


@pytest.mark.parametrize(("file_stem", "name", "function"), FILTERS, ids=FILTER_IDS)
def test_filter_fails_closed(file_stem, name, function):
    """Invariants (invariants.refused_or_right, invariants.no_secret), for every filter and
    any generated arguments: a value, or a refusal of type AnsibleError or ValueError with a
    non-empty message without raw control characters or Python's own words for a type
    confusion ('object is not subscriptable'...); a `password` or `token` value in the input
    never appears in the message; no file written, no process started, no network used."""
    strategy = filter_arguments(file_stem, function)

    @settings(max_examples=settings().max_examples * SLOW.get(name, 60) // 60,
              deadline=timedelta(seconds=8))
    @given(strategy)
    def prop(drawn):
        args, kwargs, secret = drawn
        with time_limit(EXAMPLE_SECONDS), watching() as watch:
            outcome, value = refused_or_right(lambda: function(*args, **kwargs), REFUSALS)
        if outcome == "refused":
            assert not python_internal(value), f"{name}: a crash as a message: {value[:300]!r}"
            no_secret(secret, value)
        written = [path for path in watch.written if "__pycache__" not in path]
        assert not written, f"{name} wrote {written}"
        assert not watch.started, f"{name} started {watch.started}"
        assert not watch.connected, f"{name} connected to {watch.connected}"
    prop()


def test_every_filter_is_covered():
    """Every filter file's FilterModule contributes its filters to the property."""
    files = {p.stem for p in (ROOT / "plugins" / "filter").glob("*.py")}
    assert {file_stem for file_stem, _name, _function in FILTERS} == files
    assert len(FILTERS) >= 28
