# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the posture report: for any node facts (random types in any field, strings
with newlines, Markdown and HTML), the report of the fleet renders for every node, a node whose
facts are odd fails its own check with a reason, and the Markdown holds no markup from facts."""
from __future__ import annotations

import copy
import json
from pathlib import Path

from ansible_collections.bulwark.container_security.plugins.filter.posture import (
    posture_render,
    posture_report,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import CONTROL

ROOT = Path(__file__).resolve().parents[2]
GOOD = json.loads((ROOT / "tests/fixtures/posture/node_facts.json").read_text())
GOOD_CHECKS = posture_report({"n": {"posture": copy.deepcopy(GOOD)}})["nodes"][0]["checks"]

HOSTILE = st.sampled_from([
    "a\nb", "![x](https://e.example/p.png)", "[l](https://e.example)", "<script>x</script>",
    "<img src=x>", "\x1b[31m", "a | b", "`code`", "**b**", "www.e.example", "](", "![",
]) | st.text(max_size=12)
VALUES = st.recursive(st.none() | st.booleans() | st.integers() | HOSTILE,
                      lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                      max_leaves=6)


def _paths(node, prefix=()):
    """Every path into the facts (the containers and the scalars under them)."""
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, prefix + (key,))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            out += _paths(value, prefix + (index,))
    return out


PATHS = _paths(GOOD)
SCHEMA = json.loads((ROOT / "plugins/module_utils/posture/posture.schema.json").read_text())


def _typed_paths():
    """The fact paths whose type the posture schema states (the others it leaves open)."""
    defs, typed = SCHEMA["$defs"], set()

    def resolve(schema):
        while "$ref" in schema:
            schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
        return schema

    def walk(node, schema, path):
        schema = resolve(schema)
        if any(k in schema for k in ("type", "enum", "const")):
            typed.add(path)
        if isinstance(node, dict):
            for key, value in node.items():
                walk(value, schema.get("properties", {}).get(key, {}), path + (key,))
        elif isinstance(node, list):
            for index, value in enumerate(node):
                walk(value, schema.get("items", {}), path + (index,))

    walk(GOOD, defs["facts"], ())
    return typed


TYPED = _typed_paths()


def _json_type(value):
    return {bool: "bool", int: "int", float: "int", str: "str", list: "list", dict: "dict",
            type(None): "null"}[type(value)]


def _get(node, path):
    for key in path:
        node = node[key]
    return node


def _mutate(facts, changes):
    """Apply (path, value) changes; return True when the final facts hold a value of another
    type than the original at a path whose type the schema states (judged on the end state: a
    later change may put a value back as it was)."""
    original = copy.deepcopy(facts)
    touched = []
    for path, value in changes:
        try:
            parent = _get(facts, path[:-1])
            parent[path[-1]]
        except (KeyError, IndexError, TypeError):
            continue        # an earlier change replaced a container on the path
        if not isinstance(parent, (dict, list)):
            continue        # ... by a string, which indexes but cannot be assigned to
        parent[path[-1]] = value
        touched.append(path)
    odd = False
    for path in touched:
        if path not in TYPED:
            continue
        try:
            old, new = _get(original, path), _get(facts, path)
        except (KeyError, IndexError, TypeError):
            odd = True      # a container on the path was replaced by something else
            continue
        if isinstance(old, (dict, list)) and not isinstance(new, type(old)):
            odd = True      # a container replaced by something else
        elif (not isinstance(old, (dict, list)) and old is not None and new is not None
              and _json_type(old) != _json_type(new)):
            odd = True      # a scalar of another type where the schema states the type
    return odd


CHANGES = st.lists(st.tuples(st.sampled_from(PATHS), VALUES), min_size=1, max_size=4)


@given(CHANGES, HOSTILE)
def test_odd_node_facts_fail_their_node_not_the_fleet(changes, name):
    """Invariant: with one node's facts changed anyhow, the fleet's report still has every
    node (never refused as a whole, never a traceback); the good node's checks are unchanged;
    a node with a wrong-typed fact (a container replaced, or a scalar of another type where
    the schema states one) has a failed check with a reason; every format renders."""
    odd = copy.deepcopy(GOOD)
    typed_wrong = _mutate(odd, changes)
    report = posture_report({"good": {"posture": copy.deepcopy(GOOD)}, name or "x": {
        "posture": odd}})
    nodes = {n["name"]: n for n in report["nodes"]}
    assert len(nodes) == 2 and nodes["good"]["checks"] == GOOD_CHECKS
    bad = nodes[name or "x"]
    for c in bad["checks"]:
        assert c["reason"].strip() and "\n" not in c["reason"]
    if typed_wrong:
        ids = [c["id"] for c in bad["checks"] if c["status"] == "fail"]
        assert bad["checks"] != GOOD_CHECKS or "node.facts" in ids, ids
    for fmt in ("json", "html", "markdown"):
        assert posture_render(report, fmt)


@given(st.lists(st.tuples(st.sampled_from([p for p in PATHS
                                           if isinstance(_get(GOOD, p), str)]), HOSTILE),
                min_size=1, max_size=6), HOSTILE)
def test_markdown_holds_no_markup_from_facts(changes, name):
    """Invariant: whatever strings the facts hold (and the node's name), the Markdown report
    contains no raw '<', '![', '](' or control character: fact text is never markup."""
    odd = copy.deepcopy(GOOD)
    _mutate(odd, changes)
    odd["run"]["falco"]["service"]["active"] = "failed"     # its name goes into a reason
    markdown = posture_render(posture_report({name or "x": {"posture": odd}}), "markdown")
    for raw in ("<", "![", "]("):
        assert raw not in markdown, (raw, markdown)
    assert not CONTROL.search(markdown.replace("\n", ""))
