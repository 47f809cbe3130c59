# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The type check at the edge: a filter's or a builder's argument of the wrong shape is refused
once, where it is first read, with a message naming the argument, what it got and what is
accepted; never a TypeError or AttributeError further in. The message names types, not
values, so a credential given in the wrong place is never echoed."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import one_line
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)

_NAMES = {dict: "a mapping", list: "a list", tuple: "a list", str: "a string",
          bool: "true or false", int: "an integer", float: "a number", type(None): "null"}


def _described(kinds) -> str:
    names = []
    for kind in kinds:
        name = _NAMES.get(kind, kind.__name__)
        if name not in names:
            names.append(name)
    return " or ".join(names)


def got(value) -> str:
    """What a value is, in the words a message uses (no content)."""
    return _NAMES.get(type(value), type(value).__name__)


def shown(value, limit=None) -> str:
    """A value as a message shows it: a string quoted (cut to `limit` characters), a number,
    true/false or null as written, anything else by its type only (a mapping or a list may hold
    a secret)."""
    if isinstance(value, str):
        text = repr(value)
        return text if limit is None or len(text) <= limit else text[:limit - 3] + "..."
    if isinstance(value, (bool, int, float, type(None))):
        return repr(value)
    return f"({got(value)})"


def expect(value, kinds, what: str, optional: bool = False):
    """`value` when it is one of `kinds` (or None with `optional`), else InputError. A bool is
    not an int here, and a string is not a list."""
    kinds = kinds if isinstance(kinds, tuple) else (kinds,)
    if value is None and optional:
        return value
    exact_bool = isinstance(value, bool) and bool not in kinds
    if not isinstance(value, kinds) or exact_bool:
        raise InputError(f"{what} must be {_described(kinds)}, got {got(value)}")
    return value


def expect_items(value, kinds, what: str, item_kinds, optional: bool = False):
    """`value` as `expect`, each of its items (list) or values (mapping) one of `item_kinds`;
    the refusal names the item (`what[3]`, `what.key`)."""
    expect(value, kinds, what, optional)
    if isinstance(value, dict):
        for key, item in value.items():
            where = f"{what}.{one_line(key)[:40]}" if isinstance(key, str) else what
            expect(item, item_kinds, where)
    elif isinstance(value, (list, tuple)):
        for index, item in enumerate(value):
            expect(item, item_kinds, f"{what}[{index}]")
    return value
