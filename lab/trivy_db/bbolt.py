# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""A bbolt (go.etcd.io/bbolt) file writer, standard library only, for the lab's Trivy DB.

It writes a whole database at once, in bbolt's on-disk format 2 (read from bbolt's
internal/common/page.go, meta.go, bucket.go, node.go and db.go `init`):

- pages 0 and 1: the two meta pages (txid 0 and 1), each with its FNV-1a-64 checksum of the
  meta fields before the checksum; page 2: an empty freelist page; data pages from page 3;
- a node is a leaf page (elements: flags, pos, ksize, vsize) or a branch page (elements: pos,
  ksize, pgid), 16-byte page header (id, flags, count, overflow), element `pos` relative to the
  element itself, keys and values packed after the elements; a node larger than a page takes
  `overflow` more pages right after it;
- a bucket is a value flagged 0x01 holding the bucket header (root pgid, sequence); a bucket
  whose root is a single leaf with no sub-buckets and at most page_size/4 bytes in all is
  stored inline (root 0, the leaf page right after the header), as bbolt's `inlineable` says.

A tree is a dict of bytes keys to bytes values (a key/value pair) or dicts (a bucket). The top
level holds buckets only, as in bbolt. Input bbolt could not hold is refused with ValueError,
naming the key path.
"""
from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path

MAGIC = 0xED0CDAED
VERSION = 2
PAGE_HEADER = struct.Struct("<QHHI")          # id, flags, count, overflow
LEAF_ELEMENT = struct.Struct("<IIII")         # flags, pos, ksize, vsize
BRANCH_ELEMENT = struct.Struct("<IIQ")        # pos, ksize, pgid
BUCKET_HEADER = struct.Struct("<QQ")          # root pgid, sequence
META = struct.Struct("<IIIIQQQQQ")            # magic, version, page size, flags, root bucket
#                                               (root, sequence), freelist, pgid, txid
BRANCH_PAGE, LEAF_PAGE, META_PAGE, FREELIST_PAGE = 0x01, 0x02, 0x04, 0x10
BUCKET_LEAF_FLAG = 0x01
MAX_KEY_SIZE = 32768
MAX_VALUE_SIZE = (1 << 31) - 2
FREELIST_PGID = 2
FIRST_DATA_PGID = 3

Tree = dict  # bytes -> bytes | Tree


def fnv1a64(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for byte in data:
        h = ((h ^ byte) * 0x100000001B3) & 0xFFFFFFFFFFFFFFFF
    return h


def meta_page(page_size: int, pgid: int, root: int, txid: int) -> bytes:
    """Meta page `txid % 2`: root bucket at `root`, freelist at page 2, `pgid` pages in all."""
    fields = META.pack(MAGIC, VERSION, page_size, 0, root, 0, FREELIST_PGID, pgid, txid)
    body = fields + struct.pack("<Q", fnv1a64(fields))
    page = PAGE_HEADER.pack(txid % 2, META_PAGE, 0, 0) + body
    return page.ljust(page_size, b"\0")


def leaf_bytes(items: list[tuple[int, bytes, bytes]], pgid: int = 0, overflow: int = 0) -> bytes:
    """A leaf node: header, elements, then each key followed by its value."""
    head = [PAGE_HEADER.pack(pgid, LEAF_PAGE, len(items), overflow)]
    data, elements = [], []
    offset = PAGE_HEADER.size + LEAF_ELEMENT.size * len(items)
    for index, (flags, key, value) in enumerate(items):
        element_at = PAGE_HEADER.size + LEAF_ELEMENT.size * index
        elements.append(LEAF_ELEMENT.pack(flags, offset - element_at, len(key), len(value)))
        data += [key, value]
        offset += len(key) + len(value)
    return b"".join(head + elements + data)


def branch_bytes(children: list[tuple[bytes, int]], pgid: int, overflow: int) -> bytes:
    """A branch node: each child's first key and page id."""
    head = [PAGE_HEADER.pack(pgid, BRANCH_PAGE, len(children), overflow)]
    data, elements = [], []
    offset = PAGE_HEADER.size + BRANCH_ELEMENT.size * len(children)
    for index, (key, child) in enumerate(children):
        element_at = PAGE_HEADER.size + BRANCH_ELEMENT.size * index
        elements.append(BRANCH_ELEMENT.pack(offset - element_at, len(key), child))
        data.append(key)
        offset += len(key)
    return b"".join(head + elements + data)


class _Writer:
    def __init__(self, page_size: int):
        if page_size < 1024 or page_size & (page_size - 1):
            raise ValueError(f"page_size {page_size!r}: a power of two of at least 1024")
        self.page_size = page_size
        self.pages: list[bytes] = []  # data pages from FIRST_DATA_PGID, overflow included

    def _place(self, build) -> int:
        """Allocate the pages a node needs and store it; `build(pgid, overflow)` -> bytes."""
        pgid = FIRST_DATA_PGID + len(self.pages)
        size = len(build(pgid, 0))
        count = -(-size // self.page_size)
        raw = build(pgid, count - 1).ljust(count * self.page_size, b"\0")
        self.pages += [raw[i * self.page_size:(i + 1) * self.page_size] for i in range(count)]
        return pgid

    def _chunks(self, sizes: list[int]) -> list[tuple[int, int]]:
        """Greedy runs of elements whose node fits one page (a lone big element overflows)."""
        runs, start, size = [], 0, PAGE_HEADER.size
        for index, item in enumerate(sizes):
            if index > start and size + item > self.page_size:
                runs.append((start, index))
                start, size = index, PAGE_HEADER.size
            size += item
        runs.append((start, len(sizes)))
        return runs

    def node_tree(self, items: list[tuple[int, bytes, bytes]]) -> int:
        """Leaves for `items` (sorted), then branch levels up to one root; its page id."""
        level = []
        sizes = [LEAF_ELEMENT.size + len(k) + len(v) for _f, k, v in items]
        for start, end in self._chunks(sizes) if items else [(0, 0)]:
            part = items[start:end]
            pgid = self._place(lambda p, o, part=part: leaf_bytes(part, p, o))
            level.append((part[0][1] if part else b"", pgid))
        while len(level) > 1:
            sizes = [BRANCH_ELEMENT.size + len(key) for key, _pgid in level]
            upper = []
            for start, end in self._chunks(sizes):
                part = level[start:end]
                pgid = self._place(lambda p, o, part=part: branch_bytes(part, p, o))
                upper.append((part[0][0], pgid))
            level = upper
        return level[0][1]

    def items(self, tree: Tree, path: tuple) -> list[tuple[int, bytes, bytes]]:
        if not isinstance(tree, dict):
            raise ValueError(f"{_shown(path)}: a bucket must be a dict, got {type(tree).__name__}")
        out = []
        for key in sorted(tree, key=_key_order(path)):
            value, where = tree[key], path + (key,)
            if not 0 < len(key) <= MAX_KEY_SIZE:
                raise ValueError(f"{_shown(where)}: key length {len(key)}, "
                                 f"accepted 1..{MAX_KEY_SIZE}")
            if isinstance(value, dict):
                out.append((BUCKET_LEAF_FLAG, key, self.bucket_value(value, where)))
            elif isinstance(value, bytes):
                if not path:
                    raise ValueError(f"{_shown(where)}: the top level holds buckets only")
                if len(value) > MAX_VALUE_SIZE:
                    raise ValueError(f"{_shown(where)}: value larger than {MAX_VALUE_SIZE}")
                out.append((0, key, value))
            else:
                raise ValueError(f"{_shown(where)}: a value must be bytes or a dict (bucket), "
                                 f"got {type(value).__name__}")
        return out

    def bucket_value(self, tree: Tree, path: tuple) -> bytes:
        items = self.items(tree, path)
        size = PAGE_HEADER.size + sum(LEAF_ELEMENT.size + len(k) + len(v) for _f, k, v in items)
        if all(flags == 0 for flags, _k, _v in items) and size <= self.page_size // 4:
            return BUCKET_HEADER.pack(0, 0) + leaf_bytes(items)
        return BUCKET_HEADER.pack(self.node_tree(items), 0)


def _key_order(path: tuple):
    def key(k):
        if not isinstance(k, bytes):
            raise ValueError(f"{_shown(path + (k,))}: a key must be bytes, got {type(k).__name__}")
        return k
    return key


def _shown(path: tuple) -> str:
    return "/".join(repr(k) for k in path) or "the root bucket"


def encode(tree: Tree, page_size: int = 4096) -> bytes:
    """The bytes of a bbolt file holding `tree`."""
    writer = _Writer(page_size)
    root = writer.node_tree(writer.items(tree, ()))
    pgid = FIRST_DATA_PGID + len(writer.pages)
    freelist = PAGE_HEADER.pack(FREELIST_PGID, FREELIST_PAGE, 0, 0).ljust(page_size, b"\0")
    metas = [meta_page(page_size, pgid, root, txid) for txid in (0, 1)]
    return b"".join(metas + [freelist] + writer.pages)


def write_bytes(path: Path, data: bytes) -> None:
    """`data` written to `path`, 0644: a temporary file in its directory, then renamed (the DB
    files and their metadata and archives, build.py)."""
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(data)
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write(path: Path, tree: Tree, page_size: int = 4096) -> Path:
    """`encode(tree)` written to `path` (write_bytes)."""
    path = Path(path)
    write_bytes(path, encode(tree, page_size))
    return path
