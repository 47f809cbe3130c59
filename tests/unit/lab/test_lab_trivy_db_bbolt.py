# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""lab/trivy_db/bbolt.py page by page (the layout of bbolt's page.go, meta.go, bucket.go), then
the whole file through Go's bbolt (Tx.Check() and a dump of every key/value)."""
from __future__ import annotations

import struct

import pytest
from trivy_db import bbolt, build, gocheck  # lab/trivy_db/ (tests/conftest.py: lab/ on sys.path)

PAGE = 4096


def pages(data: bytes, size: int = PAGE) -> list[bytes]:
    assert len(data) % size == 0
    return [data[i:i + size] for i in range(0, len(data), size)]


def header(page: bytes) -> tuple[int, int, int, int]:
    return bbolt.PAGE_HEADER.unpack_from(page)


def leaf_items(page: bytes) -> list[tuple[int, bytes, bytes]]:
    """(flags, key, value) of a leaf page, read as bbolt reads them (pos from the element)."""
    _pgid, flags, count, _overflow = header(page)
    assert flags == bbolt.LEAF_PAGE
    out = []
    for i in range(count):
        at = 16 + 16 * i
        eflags, pos, ksize, vsize = bbolt.LEAF_ELEMENT.unpack_from(page, at)
        out.append((eflags, page[at + pos:at + pos + ksize],
                    page[at + pos + ksize:at + pos + ksize + vsize]))
    return out


def branch_items(page: bytes) -> list[tuple[bytes, int]]:
    _pgid, flags, count, _overflow = header(page)
    assert flags == bbolt.BRANCH_PAGE
    out = []
    for i in range(count):
        at = 16 + 16 * i
        pos, ksize, child = bbolt.BRANCH_ELEMENT.unpack_from(page, at)
        out.append((page[at + pos:at + pos + ksize], child))
    return out


def test_fnv1a64_matches_the_published_vectors():
    assert bbolt.fnv1a64(b"") == 0xCBF29CE484222325
    assert bbolt.fnv1a64(b"a") == 0xAF63DC4C8601EC8C
    assert bbolt.fnv1a64(b"foobar") == 0x85944171F73967E8


def test_two_meta_pages_with_their_checksum_then_the_freelist():
    data = bbolt.encode({b"b": {b"k": b"v"}})
    p = pages(data)
    for txid in (0, 1):
        pgid, flags, count, overflow = header(p[txid])
        assert (pgid, flags, count, overflow) == (txid, bbolt.META_PAGE, 0, 0)
        fields = p[txid][16:16 + 56]
        magic, version, page_size, mflags, root, seq, freelist, hwm, meta_txid = \
            bbolt.META.unpack(fields)
        assert (magic, version, page_size, mflags) == (0xED0CDAED, 2, PAGE, 0)
        assert (root, seq, freelist, hwm, meta_txid) == (3, 0, 2, len(p), txid)
        (checksum,) = struct.unpack_from("<Q", p[txid], 16 + 56)
        assert checksum == bbolt.fnv1a64(fields) != 0  # PyPI boltdb 0.0.2 writes 0 here
    assert header(p[2]) == (2, bbolt.FREELIST_PAGE, 0, 0)


def test_small_bucket_is_inline_after_its_header():
    p = pages(bbolt.encode({b"top": {b"k1": b"v1", b"k2": b"v2"}}))
    assert len(p) == 4  # metas, freelist, the root leaf: the bucket lives in its value
    [(flags, key, value)] = leaf_items(p[3])
    assert (flags, key) == (bbolt.BUCKET_LEAF_FLAG, b"top")
    assert bbolt.BUCKET_HEADER.unpack_from(value) == (0, 0)
    inline = value[16:]
    assert header(inline) == (0, bbolt.LEAF_PAGE, 2, 0)
    assert leaf_items(inline) == [(0, b"k1", b"v1"), (0, b"k2", b"v2")]
    assert len(inline) == 16 + 2 * (16 + 4)  # bbolt's node.size(): nothing more


@pytest.mark.parametrize(("value_size", "inline"), [
    (PAGE // 4 - 16 - 16 - 1, True),    # page header + element + key + value == pageSize/4
    (PAGE // 4 - 16 - 16 - 1 + 1, False),
])
def test_inline_threshold_is_a_quarter_page(value_size, inline):
    p = pages(bbolt.encode({b"top": {b"k": b"x" * value_size}}))
    [(_flags, _key, value)] = leaf_items(p[-1])  # the root leaf comes last
    root = bbolt.BUCKET_HEADER.unpack_from(value)[0]
    assert (root == 0) is inline
    if not inline:
        assert leaf_items(p[root]) == [(0, b"k", b"x" * value_size)]


def test_bucket_holding_a_bucket_is_never_inline():
    p = pages(bbolt.encode({b"top": {b"sub": {}}}))
    [(_f, _k, value)] = leaf_items(p[-1])  # the root leaf comes last
    root = bbolt.BUCKET_HEADER.unpack_from(value)[0]
    assert root != 0
    [(flags, key, sub)] = leaf_items(p[root])
    assert (flags, key) == (bbolt.BUCKET_LEAF_FLAG, b"sub")
    assert sub == bbolt.BUCKET_HEADER.pack(0, 0) + bbolt.PAGE_HEADER.pack(0, bbolt.LEAF_PAGE, 0, 0)


def test_large_value_takes_overflow_pages():
    value = bytes(range(256)) * 40  # 10240 bytes: 16 + 16 + 1 + 10240 needs 3 pages
    data = bbolt.encode({b"top": {b"k": value}})
    p = pages(data)
    top = bbolt.BUCKET_HEADER.unpack_from(leaf_items(p[-1])[0][2])[0]
    assert header(p[top]) == (top, bbolt.LEAF_PAGE, 1, 2)
    node = data[top * PAGE:(top + 3) * PAGE]
    assert leaf_items(node) == [(0, b"k", value)]


def test_many_keys_split_into_leaves_under_a_branch_whose_keys_are_their_first_keys():
    tree = {b"top": {b"%06d" % i: b"v" * 40 for i in range(1000)}}
    p = pages(bbolt.encode(tree))
    top = bbolt.BUCKET_HEADER.unpack_from(leaf_items(p[-1])[0][2])[0]
    children = branch_items(p[top])
    assert len(children) > 1
    seen = []
    for key, child in children:
        items = leaf_items(p[child])
        assert items[0][1] == key
        seen += [k for _f, k, _v in items]
    assert seen == sorted(tree[b"top"])


def test_keys_are_sorted_bytewise():
    p = pages(bbolt.encode({b"top": {b"b": b"", b"a": b"", b"B": b"", b"\xff": b"", b"aa": b""}}))
    inline = leaf_items(p[3])[0][2][16:]
    assert [k for _f, k, _v in leaf_items(inline)] == [b"B", b"a", b"aa", b"b", b"\xff"]


@pytest.mark.parametrize(("tree", "message"), [
    ({b"k": b"v"}, "the top level holds buckets only"),
    ({b"top": {b"": b"v"}}, "key length 0"),
    ({b"top": {"k": b"v"}}, "a key must be bytes"),
    ({b"top": {b"k": "v"}}, "a value must be bytes or a dict"),
    ({b"top": {b"k" * 32769: b"v"}}, "key length 32769"),
])
def test_what_bbolt_cannot_hold_is_refused_naming_the_key(tree, message):
    with pytest.raises(ValueError, match=message):
        bbolt.encode(tree)


def test_page_size_must_be_a_power_of_two():
    with pytest.raises(ValueError, match="page_size 3000"):
        bbolt.encode({}, page_size=3000)


def test_write_replaces_the_file_and_leaves_no_temporary(tmp_path):
    target = tmp_path / "trivy.db"
    target.write_text("old")
    bbolt.write(target, {b"top": {}})
    assert target.read_bytes() == bbolt.encode({b"top": {}})
    assert [p.name for p in tmp_path.iterdir()] == ["trivy.db"]


# ------------------------------------------------------------------ Go's bbolt reads it
def test_go_bbolt_checks_and_dumps_the_lab_trivy_db_exactly(bbolt_checker, tmp_path):
    tree = build.db_tree()
    db = bbolt.write(tmp_path / "trivy.db", tree)
    res = gocheck.check(bbolt_checker, db)
    assert res.returncode == 0, res.stderr
    assert gocheck.parse_dump(res.stdout) == tree
    assert b"debian 12" in tree and b"vulnerability" in tree


@pytest.mark.parametrize("page_size", [1024, 4096, 16384])
def test_go_bbolt_reads_deep_wide_and_overflowing_trees(bbolt_checker, tmp_path, page_size):
    tree = {b"wide": {b"%05d" % i: b"v" * (i % 90) for i in range(3000)},
            b"deep": {b"a": {b"b": {b"c": {b"d": {b"k": b"v"}}}}},
            b"big": {b"one": b"\0" * 70000, b"two": b"x"},
            b"empty": {}}
    db = bbolt.write(tmp_path / "t.db", tree, page_size=page_size)
    res = gocheck.check(bbolt_checker, db)
    assert res.returncode == 0, res.stderr
    assert gocheck.parse_dump(res.stdout) == tree


def test_go_bbolt_refuses_a_file_whose_meta_checksums_are_wrong(bbolt_checker, tmp_path):
    """A wrong checksum (Debian's bbolt 1.3.6 still accepts 0, the value PyPI boltdb 0.0.2
    writes; Trivy 0.76's bbolt 1.5 refuses that too: test_lab_trivy_real.py)."""
    data = bytearray(bbolt.encode({b"top": {b"k": b"v"}}))
    for meta in (0, 1):
        data[meta * PAGE + 16 + 56] ^= 0x01
    db = tmp_path / "bad.db"
    db.write_bytes(bytes(data))
    res = gocheck.check(bbolt_checker, db)
    assert res.returncode == 1
    assert "checksum" in res.stderr
