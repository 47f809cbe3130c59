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
import os
import tempfile
from datetime import timedelta
from pathlib import Path

# ansible.utils.display runs `ldconfig -p` (ctypes.util.find_library) when first imported, which
# the first AnsibleError of a process does: imported here, outside every example's watch.
import ansible.utils.display  # noqa: F401  pylint: disable=unused-import
import pytest
from ansible import constants as ansible_constants
from ansible.errors import AnsibleError
from hypothesis import given, settings
from hypothesis import strategies as st

from .invariants import no_secret, refused_or_right
from .odd_inputs import (
    imported_sources,
    json_like,
    odd_text,
    python_internal,
    secrets_in,
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
# Filters whose every example is slow (policy builders, CEL): fewer examples.
SLOW = {"kyverno_policy_bundle": 30, "kyverno_test_suites": 30, "kyverno_prune_plan": 30,
        "posture_report": 30}


def filter_arguments(file_stem, function):
    """(positional args, keyword args): required parameters always given, optional ones
    sometimes; each value odd text, a JSON-like structure (credential keys carrying a
    SECRETS value) or a wrong type."""
    words = vocabulary(imported_sources(ROOT / "plugins" / "filter" / f"{file_stem}.py", ROOT))
    text = odd_text(words)
    value = st.one_of(text, json_like(text, True), json_like(text, True), json_like(text, True),
                      wrong_type(text))
    parameters = list(inspect.signature(function).parameters.values())
    required = [value for p in parameters if p.default is inspect.Parameter.empty]
    optional = {p.name: value for p in parameters if p.default is not inspect.Parameter.empty}
    return st.tuples(st.tuples(*required).map(list), st.fixed_dictionaries({}, optional=optional))


def _ansible_own(path) -> bool:
    """A write of the controller's own, once per process, that lands in whichever example
    comes first: its local temporary directory (~/.ansible/tmp/ansible-local-*, through
    the system temporary directory) and bytecode caches."""
    system_tmp = tempfile.gettempdir()
    return "__pycache__" in path or path in (os.devnull, system_tmp) or \
        path.startswith(os.path.expanduser("~/.ansible/tmp/ansible-local-")) or \
        os.path.dirname(path) == system_tmp and os.path.basename(path).startswith("tmp")


def _warm_up(function):
    """One call outside the watch: Ansible creates its local temporary directory the first
    time an error is built in the process; that write is Ansible's, not the filter's."""
    tempfile.gettempdir()
    getattr(ansible_constants, "DEFAULT_LOCAL_TMP", None)
    for value in (None, "", 0, [], {}):
        try:
            function(value)
        except Exception:  # noqa: BLE001,S112 - only the side effect matters here
            continue


@pytest.mark.parametrize(("file_stem", "name", "function"), FILTERS,
                         ids=[name for _stem, name, _function in FILTERS])
def test_filter_fails_closed(file_stem, name, function):
    """Invariants (invariants.refused_or_right, invariants.no_secret), for every filter and
    any generated arguments: a value, or a refusal of type AnsibleError or ValueError with a
    non-empty message without raw control characters or Python's own words for a type
    confusion ('object is not subscriptable'...); a `password` or `token` value in the input
    never appears in the message; no file written, no process started, no network used."""
    strategy = filter_arguments(file_stem, function)
    _warm_up(function)

    @settings(max_examples=settings().max_examples * SLOW.get(name, 60) // 60,
              deadline=timedelta(seconds=8))
    @given(strategy)
    def prop(drawn):
        args, kwargs = drawn
        with time_limit(EXAMPLE_SECONDS), watching() as watch:
            outcome, value = refused_or_right(lambda: function(*args, **kwargs), REFUSALS)
        if outcome == "refused":
            assert not python_internal(value), f"{name}: a crash as a message: {value[:300]!r}"
            for secret in secrets_in(drawn):
                no_secret(secret, value)
        written = [path for path in watch.written if not _ansible_own(path)]
        assert not written, f"{name} wrote {written}"
        assert not watch.started, f"{name} started {watch.started}"
        assert not watch.connected, f"{name} connected to {watch.connected}"
    prop()


def test_every_filter_is_covered():
    """Every filter file's FilterModule contributes its filters to the property."""
    files = {p.stem for p in (ROOT / "plugins" / "filter").glob("*.py")}
    assert {file_stem for file_stem, _name, _function in FILTERS} == files
    assert len(FILTERS) >= 28


@settings(max_examples=200, deadline=None)
@given(st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                    lambda children: st.lists(children, max_size=3)
                    | st.dictionaries(st.sampled_from(["vulnerability", "ignore-status",
                                                       "ignore-unfixed", "x"]), children,
                                      max_size=3), max_leaves=8))
def test_ignore_pair_check_never_raises_and_flags_exactly_the_pair(document):
    from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.config import (
        ignore_pair_error,
    )
    message = ignore_pair_error(document)
    section = document.get("vulnerability") if isinstance(document, dict) else None
    pair = isinstance(section, dict) and bool(section.get("ignore-status")) \
        and section.get("ignore-unfixed") is True
    assert (message is not None) == pair
    assert message is None or message.startswith("trivy.yaml vulnerability: ")
