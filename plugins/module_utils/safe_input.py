# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The one way the collection reads an input document (plain Python, no Ansible imports).

Fail closed, in one place: only regular files (a FIFO, a device or a directory is refused before
it is read, so nothing blocks on a pipe or reads /dev/zero), a size cap, strict UTF-8, JSON
without NaN/Infinity, YAML without alias expansion beyond a small limit, and a nesting depth
bound for both. Every refusal is an `InputError` whose message names what was read and where.
"""
from __future__ import annotations

import json
import math
import os
import re
import stat

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False

# A report of 50,000 findings is about 150 MB; nothing the collection reads is larger.
MAX_BYTES = 256 * 1024 * 1024
# Configuration-sized documents (ignore files, settings, rules, profiles).
MAX_CONFIG_BYTES = 16 * 1024 * 1024
MAX_DEPTH = 64
MAX_YAML_ALIASES = 100
# Aliases share one Python object, so a "billion laughs" document is small in memory until
# something walks it as a tree (a report, json.dumps): the tree it stands for is bounded too.
MAX_YAML_EXPANDED_NODES = 1_000_000


class InputError(ValueError):
    """An input that is refused; the message names it and says why."""


def read_bytes(path, what: str, max_bytes: int = MAX_BYTES) -> bytes:
    """The bytes of the regular file `path` (at most `max_bytes`), or InputError naming `what`."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0))
    except (OSError, TypeError, ValueError) as exc:
        raise InputError(f"cannot read {what} {path!s}: {_reason(exc)}") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise InputError(f"{what} {path!s} is not a regular file "
                             f"({_file_kind(info.st_mode)}); refused")
        if info.st_size > max_bytes:
            raise InputError(f"{what} {path!s} is {info.st_size} bytes, over the limit of "
                             f"{max_bytes}; refused")
        chunks, size = [], 0
        while True:
            chunk = os.read(fd, 1024 * 1024)
            if not chunk:
                break
            size += len(chunk)
            if size > max_bytes:
                raise InputError(f"{what} {path!s} grew past the limit of {max_bytes} bytes "
                                 "while it was read; refused")
            chunks.append(chunk)
        return b"".join(chunks)
    except OSError as exc:
        raise InputError(f"cannot read {what} {path!s}: {_reason(exc)}") from None
    finally:
        os.close(fd)


def read_text(path, what: str, max_bytes: int = MAX_BYTES) -> str:
    """`read_bytes` decoded as strict UTF-8."""
    return decode(read_bytes(path, what, max_bytes), f"{what} {path!s}")


def decode(data: bytes, what: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(f"{what} is not UTF-8 text (byte {exc.start}); refused") from None


def _refuse_constant(name):
    raise InputError(f"{name} is not a JSON number")


def _finite_float(text):
    value = float(text)
    if not math.isfinite(value):
        raise InputError(f"{text} is out of range for a JSON number")
    return value


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def load_json(text, what: str, max_depth: int = MAX_DEPTH):
    """Parsed JSON of `text` (str or bytes): NaN/Infinity, lone surrogates and nesting deeper
    than `max_depth` are refused, as is anything that is not JSON."""
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), what)
    if not isinstance(text, str):
        raise InputError(f"{what} must be JSON text, got {type(text).__name__}")
    _check_text(text, what)
    try:
        doc = json.loads(text, parse_constant=_refuse_constant, parse_float=_finite_float)
    except InputError as exc:
        raise InputError(f"{what} is not valid JSON: {exc}") from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply (limit {max_depth})") from None
    except ValueError as exc:  # json.JSONDecodeError is a ValueError
        raise InputError(f"{what} is not valid JSON: {exc}") from None
    # Floats were checked as they were parsed; a lone surrogate can only come from an escape.
    check_plain(doc, what, max_depth, strings=bool(_SURROGATE_ESCAPE.search(text)))
    return doc


def load_json_file(path, what: str, max_bytes: int = MAX_BYTES, max_depth: int = MAX_DEPTH):
    return load_json(read_bytes(path, what, max_bytes), f"{what} {path!s}", max_depth)


if HAS_YAML:
    _BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class _AliasCountingLoader(yaml.SafeLoader):
        """SafeLoader that counts alias nodes and refuses more than its limit (a billion-laughs
        document of 1 KB expands to gigabytes; real configuration uses few or no aliases)."""

        max_aliases = MAX_YAML_ALIASES

        def compose_node(self, parent, index):
            if self.check_event(yaml.AliasEvent):
                self._aliases = getattr(self, "_aliases", 0) + 1
                if self._aliases > self.max_aliases:
                    mark = self.peek_event().start_mark
                    raise InputError(f"more than {self.max_aliases} YAML aliases (line "
                                     f"{mark.line + 1}); refused")
            return super().compose_node(parent, index)


def load_yaml(text, what: str, *, all_documents: bool = False, max_aliases: int = MAX_YAML_ALIASES,
              max_depth: int = MAX_DEPTH):
    """Parsed YAML (safe types only) of `text`; with `all_documents`, a list of every document.
    More than `max_aliases` aliases, nesting deeper than `max_depth`, or invalid YAML is refused."""
    if not HAS_YAML:
        raise InputError(f"reading {what} needs PyYAML")
    if isinstance(text, (bytes, bytearray)):
        text = decode(bytes(text), what)
    if not isinstance(text, str):
        raise InputError(f"{what} must be YAML text, got {type(text).__name__}")
    _check_text(text, what)
    # The C loader is fast but cannot count aliases: a document without '*' has none.
    loader = _BASE_LOADER if "*" not in text else _AliasCountingLoader
    try:
        if loader is _AliasCountingLoader:
            loader = type("_Limited", (_AliasCountingLoader,), {"max_aliases": max_aliases})
        if all_documents:
            docs = list(yaml.load_all(text, Loader=loader))  # noqa: S506 - a SafeLoader
        else:
            docs = yaml.load(text, Loader=loader)  # noqa: S506 - a SafeLoader
    except InputError as exc:
        raise InputError(f"{what}: {exc}") from None
    except RecursionError:
        raise InputError(f"{what} is nested too deeply (limit {max_depth})") from None
    except yaml.YAMLError as exc:
        raise InputError(f"{what} is not valid YAML: {_one_line(exc)}") from None
    check_plain(docs, what, max_depth + (1 if all_documents else 0))
    if loader is not _BASE_LOADER:
        _check_expansion(docs, what)
    return docs


def _check_expansion(doc, what: str) -> None:
    """Refuse a document whose aliases stand for a tree of more than MAX_YAML_EXPANDED_NODES
    nodes. Sizes are memoised per shared object (the depth is already bounded)."""
    sizes: dict[int, int] = {}

    def size(node) -> int:
        if not isinstance(node, (dict, list)):
            return 1
        known = sizes.get(id(node))
        if known is not None:
            return known
        children = node.values() if isinstance(node, dict) else node
        total = 1 + sum(size(child) for child in children)
        if total > MAX_YAML_EXPANDED_NODES:
            raise InputError(f"{what}: its aliases expand to more than "
                             f"{MAX_YAML_EXPANDED_NODES} nodes; refused")
        sizes[id(node)] = total
        return total

    size(doc)


def load_yaml_file(path, what: str, max_bytes: int = MAX_CONFIG_BYTES, **kwargs):
    return load_yaml(read_bytes(path, what, max_bytes), f"{what} {path!s}", **kwargs)


def check_plain(doc, what: str, max_depth: int = MAX_DEPTH, strings: bool = True) -> None:
    """Refuse a parsed document deeper than `max_depth`, with a non-finite float, a lone
    surrogate, or a shared (aliased) container: iterative, so depth itself cannot crash it."""
    stack = [(doc, 1)]
    seen = set()
    while stack:
        node, depth = stack.pop()
        if isinstance(node, (dict, list)):
            if depth > max_depth:
                raise InputError(f"{what} is nested deeper than {max_depth} levels; refused")
            if id(node) in seen:
                continue  # an alias within the limit: its content was checked once
            seen.add(id(node))
            items = node.items() if isinstance(node, dict) else enumerate(node)
            for key, value in items:
                if strings and isinstance(key, str):
                    _check_text(key, what)
                stack.append((value, depth + 1))
        elif isinstance(node, float) and not math.isfinite(node):
            raise InputError(f"{what} holds the number {node!r}, which JSON does not allow")
        elif strings and isinstance(node, str):
            _check_text(node, what)


def _check_text(text: str, what: str) -> None:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        raise InputError(f"{what} holds a lone surrogate (not encodable text); refused") from None


def _one_line(exc) -> str:
    return " ".join(str(exc).split())


def _reason(exc) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _file_kind(mode) -> str:
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
                       (stat.S_ISSOCK, "a socket")):
        if test(mode):
            return name
    return "not a regular file"
