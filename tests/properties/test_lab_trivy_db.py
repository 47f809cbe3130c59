# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the lab's Trivy DB writer (lab/trivy_db/): any bucket tree round-trips through
Go's bbolt (Tx.Check() passes, the dump equals the tree), whatever the page size; anything
else is refused with ValueError; the Go-flavoured JSON and float text of the fixture loader
reads back as the same values."""
from __future__ import annotations

import json
import math
import subprocess
import tempfile
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from trivy_db import bbolt, fixtures, gocheck  # lab/trivy_db/ (tests/conftest.py: lab/ on path)

KEYS = st.binary(min_size=1, max_size=40) | st.binary(min_size=1, max_size=600)
VALUES = st.binary(max_size=64) | st.binary(max_size=9000)
BUCKETS = st.recursive(
    st.dictionaries(KEYS, VALUES, max_size=30),
    lambda inner: st.dictionaries(KEYS, VALUES | inner, max_size=8),
    max_leaves=80)
TREES = st.dictionaries(KEYS, BUCKETS, max_size=6)


@pytest.fixture(scope="module")
def checker(bbolt_checker) -> Path:
    return bbolt_checker


@given(tree=TREES, page_size=st.sampled_from([1024, 4096]))
def test_any_bucket_tree_round_trips_through_go_bbolt(checker, tree, page_size):
    """Invariant: Go's bbolt opens the file, Tx.Check() finds nothing, the dump is the tree."""
    with tempfile.TemporaryDirectory() as tmp:
        db = bbolt.write(Path(tmp) / "t.db", tree, page_size=page_size)
        res = gocheck.check(checker, db)
    assert res.returncode == 0, res.stderr
    assert gocheck.parse_dump(res.stdout) == tree


ODD = st.none() | st.integers() | st.text(max_size=3) | st.floats() | st.lists(st.binary())


@given(st.dictionaries(st.binary(max_size=3) | st.text(max_size=3),
                       st.binary(max_size=8) | ODD | st.dictionaries(st.binary(), ODD, max_size=3),
                       max_size=4))
def test_anything_else_is_refused_with_value_error_or_written(tree):
    """Invariant: encode() either writes a file (then every key was non-empty bytes, every top
    value a bucket) or raises ValueError; never another exception."""
    try:
        data = bbolt.encode(tree)
    except ValueError as err:
        assert str(err)
        return
    assert len(data) % 4096 == 0
    assert all(isinstance(k, bytes) and k and isinstance(v, dict) for k, v in tree.items())


JSON_LIKE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20)


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        return not isinstance(a, bool) and not isinstance(b, bool) and float(a) == float(b)
    if isinstance(a, list):
        return isinstance(b, list) and len(a) == len(b) and all(map(_same, a, b))
    if isinstance(a, dict):
        return isinstance(b, dict) and a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    return a == b and type(a) is type(b)


@given(JSON_LIKE)
def test_go_json_reads_back_as_the_same_value_with_no_spaces_or_html(value):
    """Invariant: json.loads(go_json(v)) == v (whole floats come back as ints, as Go writes
    them); keys sorted; no raw <, > or & (Go escapes them)."""
    text = fixtures.go_json(value, "v")
    assert _same(json.loads(text), value)
    assert not any(c in text for c in "<>&\u2028\u2029")


@given(st.floats(allow_nan=False, allow_infinity=False))
def test_go_float_text_reads_back_as_the_same_float(value):
    for text in (fixtures.go_sprint_float(value), fixtures.go_json_float(value)):
        back = float(text)
        assert back == value and math.copysign(1, back) == math.copysign(1, value), text


def test_go_agrees_on_float_text(tmp_path):
    """Go itself (golang-go) prints a spread of floats as fmt.Sprint and json.Marshal do; the
    Python renderings match every one."""
    values = [1.0, 0.1, 1e-7, 1e-5, 1e-4, 123456.0, 1234567.0, 1e20, 1e21, 1e22, 5e-324,
              1.7976931348623157e308, 2.5e-6, 0.3, 12345678901234567890.0, -7.25, 100.5]
    src = tmp_path / "floats.go"
    src.write_text('package main\nimport ("encoding/json"; "fmt")\nfunc main() {\n'
                   f'for _, f := range []float64{{{", ".join(map(repr, values))}}} {{\n'
                   'b, _ := json.Marshal(f); fmt.Printf("%s %s\\n", fmt.Sprint(f), b) } }\n')
    out = subprocess.run(["go", "run", str(src)], capture_output=True, text=True, check=True,
                         env={"GO111MODULE": "off", "GOCACHE": str(tmp_path / "cache"),
                              "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}).stdout
    assert out.splitlines() == [f"{fixtures.go_sprint_float(v)} {fixtures.go_json_float(v)}"
                                for v in values]
