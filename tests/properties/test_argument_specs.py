# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of every module's argument spec: generated parameters (mostly well-typed with odd
content, some of the wrong type) run through the module's main() in-process, with PATH empty,
processes and network refused (odd_inputs.Watch), cwd, HOME, TMPDIR and every path option under
a fresh temporary root, and a per-example deadline. The argument spec is the one the module
builds: AnsibleModule.__init__ is intercepted once to read it, so a new option is generated the
day it is added. Each counterexample becomes a row of tests/reliability/test_argspec_fail_closed.py.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import os
import re
import tempfile
from datetime import timedelta
from pathlib import Path

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    printable,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from .invariants import no_secret, refused_or_right
from .odd_inputs import (
    SECRETS,
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
PACKAGE = "ansible_collections.bulwark.container_security.plugins.modules."
MODULES = sorted(p.stem for p in (ROOT / "plugins" / "modules").glob("*.py"))
# The files every example root holds, for path options to point at.
FIXTURES = {"empty.json": b"", "object.json": b"{}", "list.json": b"[]", "null.json": b"null",
            "garbage.bin": b"\xff\xfe\x00garbage\x1b[0m", "broken.yml": b"a: [b\n  - c: {",
            "nested.json": b"[" * 5000, "text.txt": "é\u202e\n".encode(),
            "report.json": b'{"SchemaVersion": 2, "ArtifactName": "x", "Results": [{}]}'}
SPECIAL = ["dir", "missing.json", "link-out", "loop", "fifo"]
EXAMPLE_SECONDS = 20


class ModuleRefusal(Exception):
    """A module's failed result, seen as a refusal by `refused_or_right`."""


class _Captured(BaseException):
    pass


def argument_spec(name):
    """(argument_spec, AnsibleModule keyword arguments) as module `name`'s main() builds them."""
    module = importlib.import_module(PACKAGE + name)

    def capture(self, argument_spec, **kwargs):
        raise _Captured(argument_spec, kwargs)
    with pytest.MonkeyPatch.context() as patch, patch_module_args({}):
        patch.setattr(basic.AnsibleModule, "__init__", capture)
        try:
            module.main()
        except _Captured as captured:
            spec, kwargs = captured.args
            if kwargs.get("add_file_common_args"):
                spec = dict(spec, mode={"type": "raw"})
            return spec, kwargs
    raise AssertionError(f"{name}.main() built no AnsibleModule")


# ------------------------------------------------------------------------------ strategies
def path_value(text):
    """A path, resolved against the example root at run time: a prepared fixture, a new name
    under the root, or odd text relative to the cwd (root/a/b/c)."""
    return st.one_of(
        st.sampled_from(sorted(FIXTURES) + SPECIAL).map(lambda n: ("path", "fixture", n)),
        text.map(lambda t: ("path", "new", t)),
        text.map(lambda t: ("path", "rel", t)))


# No infinite float: ansible-core 2.19's own int conversion (check_type_int) raises
# OverflowError on `.inf` before any module code runs (reported upstream, not ours to catch).
def option_value(option, text):
    """Values for one option of the spec: mostly its type with odd content, some wrong types;
    a `no_log` option gets a distinctive secret (odd_inputs.SECRETS)."""
    kind, elements = option.get("type", "str"), option.get("elements")
    if option.get("no_log"):
        return SECRETS if kind == "str" else st.one_of(SECRETS, wrong_type(text, finite=True))
    if option.get("choices"):
        right = st.sampled_from(option["choices"])
        return st.one_of(right, right, right, text, wrong_type(text, finite=True))
    if kind == "list":
        element = option_value({"type": elements or "str", "options": option.get("options")},
                               text)
        right = st.lists(element, max_size=4)
        return st.one_of(right, right, right, text, wrong_type(text, finite=True),
                         st.lists(right, max_size=2))
    by_kind = {
        "path": path_value(text),
        "str": text,
        "int": st.integers(min_value=-2**40, max_value=2**40) | st.sampled_from([0, -1, 2**63]),
        "bool": st.booleans(),
        "dict": (st.fixed_dictionaries({}, optional={k: option_value(v, text)
                                                     for k, v in option["options"].items()})
                 if option.get("options") else
                 st.dictionaries(text, json_like(text), max_size=4)),
        "raw": st.one_of(json_like(text), path_value(text)),
    }
    right = by_kind.get(kind, text)
    return st.one_of(right, right, right, right, wrong_type(text, finite=True))


def module_params(name):
    """Parameters for module `name`, and check mode on or off."""
    spec, _kwargs = argument_spec(name)
    words = vocabulary(imported_sources(ROOT / "plugins" / "modules" / f"{name}.py", ROOT))
    text = odd_text(words)
    options = {key: option_value(option, text) for key, option in spec.items()}
    return st.builds(lambda params, check: dict(params, _ansible_check_mode=check),
                     st.fixed_dictionaries({}, optional=options), st.booleans())


# ------------------------------------------------------------------------------ running
def _prepare(root: Path) -> Path:
    for name, data in FIXTURES.items():
        (root / "fixtures" / name).parent.mkdir(parents=True, exist_ok=True)
        (root / "fixtures" / name).write_bytes(data)
    (root / "fixtures" / "dir").mkdir()
    (root / "fixtures" / "link-out").symlink_to("/etc/hostname")
    (root / "fixtures" / "loop").symlink_to(root / "fixtures" / "loop")
    os.mkfifo(root / "fixtures" / "fifo")
    for sub in ("a/b/c", "home", "bin", "tmp", "out"):
        (root / sub).mkdir(parents=True)
    return root / "a" / "b" / "c"


def _resolve(value, root: Path):
    """Symbolic paths made real under `root`; a relative one that would leave the root (more
    `..` than the cwd is deep, or an absolute name) is kept inside it."""
    if isinstance(value, tuple) and value[:1] == ("path",):
        _tag, kind, text = value
        if kind == "fixture":
            return str(root / "fixtures" / text)
        if kind == "new":
            return str(root / "out" / text.lstrip("/"))
        cwd = root / "a" / "b" / "c"
        real = os.path.normpath(os.path.join(cwd, os.path.expanduser(os.path.expandvars(text))))
        inside = real == str(root) or real.startswith(str(root) + os.sep)
        if inside and not text.startswith(("/", "~", "$")):
            return text
        return "./" + text.lstrip("/~$")
    if isinstance(value, dict):
        return {k: _resolve(v, root) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, root) for v in value]
    return value


def run_module(name, params, base: Path):
    """main() of module `name` on `params` inside a fresh root under `base`:
    (exit code, stdout, watch, root)."""
    root = Path(tempfile.mkdtemp(dir=base))
    cwd = _prepare(root)
    params = dict(_resolve(params, root), _ansible_tmpdir=str(root / "tmp"),
                  _ansible_remote_tmp=str(root / "tmp"))
    module = importlib.import_module(PACKAGE + name)
    out, code = io.StringIO(), None
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(cwd)
        for var, sub in (("PATH", "bin"), ("HOME", "home"), ("TMPDIR", "tmp")):
            patch.setenv(var, str(root / sub))
        patch.setattr(tempfile, "tempdir", str(root / "tmp"))
        with time_limit(EXAMPLE_SECONDS), patch_module_args(params), \
                contextlib.redirect_stdout(out), watching() as watch:
            try:
                module.main()
            except SystemExit as exc:
                code = exc.code
    return code, out.getvalue(), watch, root


def check_outcome(name, code, stdout, watch, root, secrets):
    """The invariants of one run (see test_module_fails_closed)."""
    assert "Traceback (most recent call last)" not in stdout, stdout[-2000:]
    assert code in (0, 1), f"{name} exited {code!r} (main returned without exit_json?)"
    result = json.loads(stdout)
    assert "exception" not in result, result.get("exception", "")[-2000:]

    def outcome():
        if result.get("failed"):
            msg = result.get("msg", "")
            # ansible-core's own argument validation quotes the value as given (raw control
            # characters included), before any module code runs: reported upstream, escaped
            # here so the property judges the collection's messages.
            raise ModuleRefusal(printable(msg) if CORE_VALIDATION.match(msg) else msg)
        assert code == 0, result
        return result
    kind, value = refused_or_right(outcome, ModuleRefusal)
    if kind == "refused":
        assert value.count("\n") <= 12, f"{name}: message of {value.count(chr(10))} lines"
        assert not python_internal(value), f"{name}: a crash as a message: {value[:300]!r}"
    for secret in secrets:
        no_secret(secret, stdout)
    escaped = watch.outside(root)
    assert not escaped, f"{name} wrote outside its root: {escaped}"


CORE_VALIDATION = re.compile(
    r"value of \S+ must be one of: |argument '\S+' is of type |Elements value for option |"
    r"Value '.*' in the sub parameter field |Unsupported parameters |"
    r"parameters are mutually exclusive|missing required arguments|"
    r"one of the following is required|parameters are required together", re.S)
# Examples per module at the `ci` profile (60): every module is fast in-process (about 10 s for
# the whole file on the 2-core lab machine), so each gets the profile's full budget.
SLOW: dict = {}


@pytest.fixture(scope="module")
def example_base(tmp_path_factory):
    return tmp_path_factory.mktemp("argspec")


@pytest.mark.parametrize("name", MODULES)
def test_module_fails_closed(name, example_base):
    """Invariants (invariants.refused_or_right, invariants.no_secret), for every module and any
    generated parameters: main() exits through exit_json/fail_json with one JSON object and
    code 0 or 1 (never a traceback, never an `exception` key); a failure has a non-empty
    message of a few lines with no raw control character; the value of a `no_log` option never
    appears in stdout; nothing is
    written outside the example's root (PATH empty, processes and network refused)."""
    strategy = module_params(name)

    @settings(max_examples=settings().max_examples * SLOW.get(name, 60) // 60,
              deadline=timedelta(seconds=8))
    @given(strategy)
    def prop(params):
        code, stdout, watch, root = run_module(name, params, example_base)
        check_outcome(name, code, stdout, watch, root, secrets_in(params))
    prop()


def test_every_module_is_covered():
    """Every module file builds an AnsibleModule whose spec the property reads."""
    assert len(MODULES) >= 13
    for name in MODULES:
        spec, _kwargs = argument_spec(name)
        assert spec, name
