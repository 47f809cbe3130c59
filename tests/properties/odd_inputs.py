# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Odd inputs for the argument-spec and filter properties, and a process watch.

`odd_text` is text a user or an attacker could type into an option: empty, control characters,
newlines, `../`, very long, unicode, URLs with userinfo. `wrong_type` is a value of the wrong
shape. `vocabulary(paths)` collects the string literals of plugin source files, so generated
mappings carry the keys and words the code looks for and get past the first check.

`Watch` is an audit hook (sys.addaudithook, installed once, active only inside `watching()`):
it refuses every process start and network connection (raising PermissionError / OSError at
the call, as a missing tool or a closed network would) and records every path opened for
writing, created, renamed, linked or removed, so a property can say where a module wrote.
"""
from __future__ import annotations

import ast
import contextlib
import os
import re
import signal
import sys
from pathlib import Path

from hypothesis import strategies as st

SECRET_ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789"
# A distinctive secret: long enough that no other text contains it by chance.
SECRET_PREFIX = "S3cr3t-"
SECRETS = st.text(alphabet=SECRET_ALPHABET, min_size=10, max_size=16).map(
    lambda s: SECRET_PREFIX + s)
URL_PASSWORDS = st.text(alphabet=SECRET_ALPHABET, min_size=10, max_size=16).map(
    lambda s: "SECRETPW" + s)

FIXED = ["", " ", "\n", "a\nb", "\x00", "nul\x00byte", "\x1b[31mred", "\r\n", "\t", "..",
         ".", "/", "~", "-", "--help", "-rf", "$(id)", "a;b", "`id`", " padded ", "*", "null",
         "None", "latest", "0", "-1", "1e309", "NaN", "true", "é", "\u202egnp.exe", "\ufeffbom",
         "../../etc/passwd", "a/../../b", "%2e%2e/", "file:///etc/passwd",
         "HIGH", "CRITICAL", "sha256:" + "a" * 64, "reg.example/app@sha256:" + "b" * 64,
         "reg.example:5000/app:1.0", "2026-12-07", "{}", "[]", "{{ lookup('env','HOME') }}"]


def _userinfo_url(password):
    return st.sampled_from(["https://u:{}@reg.example/", "http://user:{}@127.0.0.1:9/x",
                            "oci://a:{}@h/app:1", "reg.example/u:{}@x"]).map(
        lambda pattern: pattern.format(password))


def odd_text(words=(), password=None):
    """Text of odd content; `words` (the plugin's own literals) mixed in; a URL with userinfo
    carries `password` when one is given (else a fresh distinctive one)."""
    parts = [st.sampled_from(FIXED), st.text(max_size=40),
             st.integers(min_value=1000, max_value=70000).map(lambda n: "y" * n),
             _userinfo_url(password) if password else URL_PASSWORDS.flatmap(_userinfo_url)]
    if words:
        word = st.sampled_from(sorted(words))
        parts += [word, word, st.tuples(word, st.sampled_from(FIXED)).map("".join)]
    return st.one_of(*parts)


def wrong_type(text=None, finite=False):
    """A value of a shape an option did not ask for (None, numbers, nested lists, dicts);
    with `finite`, no infinite float (see test_argument_specs: ansible-core's own crash)."""
    text = st.text(max_size=8) if text is None else text
    return st.one_of(
        st.none(), st.booleans(), st.integers(min_value=-2**70, max_value=2**70),
        st.floats(allow_nan=not finite, allow_infinity=not finite),
        st.lists(st.lists(text, max_size=2), max_size=2),
        st.dictionaries(text, st.none() | text | st.integers(), max_size=3))


def json_like(text, credentials=False, max_leaves=12):
    """Nested dicts and lists of odd text and scalars; dict keys from `text` and, with
    `credentials`, credential-looking keys (password, token) that carry a SECRETS value."""
    leaves = st.none() | st.booleans() | st.integers(min_value=-2**64, max_value=2**64) | \
        st.floats(allow_nan=False) | text

    def extend(inner):
        mapping = st.dictionaries(text, inner, max_size=4)
        if credentials:
            mapping = st.one_of(mapping, st.builds(lambda m, key, secret: dict(m, **{key: secret}),
                                                   mapping, st.sampled_from(["password", "token"]),
                                                   SECRETS))
        return st.lists(inner, max_size=4) | mapping
    return st.recursive(leaves, extend, max_leaves=max_leaves)


def secrets_in(value) -> list:
    """The generated secrets (SECRETS) anywhere in `value`."""
    if isinstance(value, str):
        return [value] if value.startswith(SECRET_PREFIX) else []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, (list, tuple)):
        return [found for item in value for found in secrets_in(item)]
    return []


def vocabulary(paths) -> frozenset:
    """The short string literals (and dict keys) of the source files `paths`."""
    words = set()
    for path in paths:
        tree = ast.parse(Path(path).read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Constant) and isinstance(node.value, str) \
                    and 0 < len(node.value) <= 40 and "\n" not in node.value:
                words.add(node.value)
    return frozenset(words)


def imported_sources(path, root) -> list:
    """`path` and the collection module_utils files it imports (one level)."""
    files = [Path(path)]
    for node in ast.walk(ast.parse(Path(path).read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module and \
                ".plugins.module_utils" in node.module:
            rel = node.module.split(".plugins.")[1].replace(".", "/")
            for candidate in [Path(root, "plugins", rel + ".py")] + \
                    [Path(root, "plugins", rel, a.name + ".py") for a in node.names]:
                if candidate.is_file():
                    files.append(candidate)
    return files


# ------------------------------------------------------------------------------ the watch
_WRITE_EVENTS = {"os.mkdir": (0,), "os.rename": (0, 1), "os.replace": (0, 1),
                 "os.symlink": (1,), "os.link": (1,), "os.remove": (0,), "os.rmdir": (0,),
                 "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,),
                 "shutil.rmtree": (0,), "shutil.copyfile": (1,), "shutil.move": (1,)}
_WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND | os.O_TRUNC


class Watch:
    def __init__(self):
        self.active = False
        self.written, self.started, self.connected = [], [], []

    def __call__(self, event, args):
        if not self.active:
            return
        if event == "subprocess.Popen":
            self.started.append(args[1])
            raise PermissionError(f"property test: no process may start ({args[0]})")
        if event in ("socket.connect", "socket.getaddrinfo"):
            self.connected.append(args[1] if event == "socket.connect" else args[0])
            raise OSError("property test: the network is closed")
        if event == "open":
            path, mode, flags = args
            writes = any(c in (mode or "") for c in "wax+") or \
                (mode is None and flags and flags & _WRITE_FLAGS)
            if writes and isinstance(path, (str, bytes, os.PathLike)):
                self.written.append(os.path.abspath(os.fsdecode(path)))
        elif event in _WRITE_EVENTS:
            for index in _WRITE_EVENTS[event]:
                if isinstance(args[index], (str, bytes, os.PathLike)):
                    self.written.append(os.path.abspath(os.fsdecode(args[index])))

    def outside(self, root) -> list:
        """Written paths that do not resolve under `root` (bytecode caches excepted)."""
        root = os.path.realpath(root)
        escaped = []
        for path in self.written:
            real = os.path.realpath(path)
            if real == root or real.startswith(root + os.sep) or real == os.devnull:
                continue
            if "__pycache__" in real.split(os.sep):
                continue
            escaped.append(path)
        return escaped


WATCH = Watch()
sys.addaudithook(WATCH)


@contextlib.contextmanager
def watching():
    """WATCH active (and cleared) for the block."""
    WATCH.written, WATCH.started, WATCH.connected = [], [], []
    WATCH.active = True
    try:
        yield WATCH
    finally:
        WATCH.active = False


# Python's own words for a type confusion: a message holding one is a crash converted to text,
# not a refusal that names the input and what would be accepted.
_INTERNAL = re.compile(
    r"object is not (subscriptable|iterable|callable)|object has no attribute|unhashable type|"
    r"not supported between instances|takes \d+ positional argument|"
    r"can only concatenate|must be str, not|unsupported operand type|"
    r"object cannot be interpreted as|maximum recursion depth|string indices must be")


def python_internal(message: str):
    """The Python-internal wording in `message`, or None."""
    found = _INTERNAL.search(message)
    return found.group() if found else None


class Hang(BaseException):
    """An example ran past its time (BaseException: no handler in the code under test catches
    it, so it surfaces as the failure it is)."""


@contextlib.contextmanager
def time_limit(seconds: int):
    """SIGALRM after `seconds`: a hang becomes a failure naming the limit."""
    def alarm(_signum, _frame):
        raise Hang(f"example ran past {seconds}s")
    previous = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(seconds)
    try:
        yield
    finally:
        signal.alarm(0)
        signal.signal(signal.SIGALRM, previous)
