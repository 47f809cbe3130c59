# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the seccomp profile checks and destinations
(plugins/module_utils/seccomp_profiles.py): any generated profile gets a list of readable
errors or none, never a traceback; any generated name and subdirectory gives a destination
inside the profile directory, or a refusal."""
from __future__ import annotations

import json
import os
import posixpath

from ansible_collections.bulwark.container_security.plugins.module_utils import (
    seccomp_profiles as sp,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import CONTROL, refused_or_right

ROOT = "/var/lib/kubelet/seccomp"

SCALARS = st.none() | st.booleans() | st.integers(-10, 2 ** 65) | st.text(max_size=8) \
    | st.floats(allow_nan=False, allow_infinity=False)
ANY = st.recursive(SCALARS, lambda inner: st.lists(inner, max_size=3)
                   | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=12)
ACTION = st.sampled_from(sorted(sp.ACTIONS)) | ANY
ARG = st.fixed_dictionaries(
    {"index": st.integers(-1, 99) | ANY, "value": st.integers(-1, 2 ** 64) | ANY,
     "op": st.sampled_from(sorted(sp.OPERATORS)) | ANY},
    optional={"valueTwo": st.integers(-1, 2 ** 64) | ANY, "extra": ANY})
RULE = st.fixed_dictionaries(
    {"names": st.lists(st.sampled_from(["read", "write", "openat", "ptrace", "-h", "Read",
                                        "read\n", ""]), max_size=3) | ANY,
     "action": ACTION},
    optional={"args": st.lists(ARG, max_size=2) | ANY, "errnoRet": st.integers(-1, 5000) | ANY,
              "includes": ANY, "excludes": ANY, "comment": ANY})
PROFILE = st.fixed_dictionaries(
    {"defaultAction": ACTION},
    optional={"architectures": st.lists(st.sampled_from(sorted(sp.ARCHITECTURES)) | ANY,
                                        max_size=2) | ANY,
              "defaultErrnoRet": st.integers(-1, 5000) | ANY,
              "syscalls": st.lists(RULE | ANY, max_size=4) | ANY,
              "flags": ANY, "archMap": ANY, "listenerPath": ANY}) | ANY


def no_resolver(argv):
    return "1"          # every name known: these properties are about structure


@given(PROFILE)
def test_any_profile_gets_readable_errors_never_a_traceback(profile):
    """Invariant: refused clearly or right — any JSON value is answered with a list of
    messages (no raw control character), never an exception; a profile without errors has
    typed fields libseccomp accepts (argument index 0-5, integer errno, known actions)."""
    errors = sp.validate(profile, resolver="r", runner=no_resolver)
    assert all(isinstance(e, str) and e and not CONTROL.search(e) for e in errors)
    if not errors:
        assert profile["defaultAction"] in sp.ACTIONS
        assert isinstance(profile.get("defaultErrnoRet", 0), int)
        for rule in profile.get("syscalls") or []:
            assert rule["action"] in sp.ACTIONS
            assert all(sp.SYSCALL_NAME.fullmatch(n) for n in rule["names"])
            for arg in rule.get("args") or []:
                assert isinstance(arg["index"], int) and 0 <= arg["index"] <= 5
                assert not isinstance(arg["index"], bool)


@given(PROFILE)
def test_any_profile_text_is_refused_or_checked(profile):
    """Invariant: refused clearly or right — profile JSON text (of any value) is either refused
    with ProfileError or parsed and checked; syscall_changes answers or refuses, never raises
    anything else."""
    text = json.dumps(profile)
    refused_or_right(lambda: sp.validate(sp.load(text), resolver="r", runner=no_resolver),
                     sp.ProfileError)
    refused_or_right(lambda: sp.syscall_changes(text, text), ValueError)


NAME_PARTS = st.sampled_from(["a", "web", "..", ".", "", "/", "\n", "\x00", "x.json", "-",
                              "A_b", "ü", "%2e%2e", "\\"])
PATHS = st.lists(NAME_PARTS, min_size=1, max_size=4).map("".join) | st.text(max_size=10)


@given(PATHS, PATHS)
def test_destination_is_inside_the_profile_directory_or_refused(name, subdir):
    """Invariant: never a write outside its place — every accepted name and subdirectory
    gives a destination under seccomp_profiles_dir (normalised), and the role's problem list
    is empty exactly when the destination is accepted."""
    outcome, dest = refused_or_right(lambda: sp.destination(ROOT, subdir, name), ValueError)
    problems = sp.entry_problems([{"name": name, "content": {}}], ROOT, subdir)
    assert all(not CONTROL.search(p) for p in problems)
    if outcome == "result":
        assert problems == []
        normal = posixpath.normpath(dest)
        assert normal == dest and normal.startswith(ROOT + os.sep)
        assert normal.endswith(f"/{name}.json") and "\n" not in normal
        assert posixpath.dirname(normal) == posixpath.join(ROOT, subdir)
    else:
        assert problems


@given(st.lists(st.sampled_from(["ptrace", "personality", "userfaultfd", "bpf", "read",
                                 "mount"]), max_size=3, unique=True),
       st.lists(st.sampled_from(["userfaultfd", "bpf", "reboot", "ptrace", "kexec_load"]),
                max_size=3, unique=True))
def test_derived_profile_has_no_conflicting_rules(remove, add):
    """Invariant: refused clearly or right — a profile derived from a base either is refused
    (a name both added and removed, or not allowed by the base) or passes the structure check,
    with no deny rule without arguments left ahead of an added name."""
    base = {"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1, "syscalls": [
        {"names": ["userfaultfd", "reboot"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1},
        {"names": ["ptrace", "personality", "read", "mount"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["bpf"], "action": "SCMP_ACT_ERRNO", "errnoRet": 1,
         "excludes": {"caps": ["CAP_SYS_ADMIN"]}}]}

    def check(result):
        profile, _messages = result
        assert sp.structure_errors(profile) == []
        assert set(add) <= sp.permitted_syscalls(profile)
        assert not set(remove) & sp.permitted_syscalls(profile)
    refused_or_right(lambda: sp.derive_profile(json.dumps(base), remove, add), ValueError, check)
