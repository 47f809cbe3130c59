"""Seccomp profile validation: structure rules, and syscall names resolved by the real libseccomp.

The name checks run Debian's `scmp_sys_resolver` (package `seccomp`); they fail, naming it,
where it is missing. Structure checks are pure Python.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils import (
    seccomp_profiles as sp,
)

ROOT = Path(__file__).resolve().parents[3]
PROFILES = ROOT / "roles/seccomp_profiles/files/profiles"
needs_resolver = pytest.mark.requires_tool("scmp_sys_resolver", "Debian package seccomp")


def profile(*names, action="SCMP_ACT_ALLOW", **top):
    doc = {"defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64"],
           "syscalls": [{"names": list(names), "action": action}]}
    doc.update(top)
    return doc


@needs_resolver
@pytest.mark.parametrize("name", ["baseline", "strict-example"])
def test_shipped_profiles_are_valid(name):
    assert sp.validate(json.loads((PROFILES / f"{name}.json").read_text())) == []


@needs_resolver
def test_misspelled_syscall_is_named():
    errors = sp.validate(profile("read", "opne", "write", "exit_group"))
    assert errors == ["syscall 'opne' is unknown to libseccomp (misspelled, or not a Linux "
                      "syscall)"]


@needs_resolver
def test_syscall_of_another_architecture_is_known():
    # arch_prctl exists only on x86; libseccomp still knows the name on aarch64
    assert sp.validate(profile("arch_prctl", architectures=["SCMP_ARCH_AARCH64"])) == []


@needs_resolver
def test_every_unknown_name_is_reported_once():
    errors = sp.validate(profile("fork", "forkk", "execvee", "forkk"))
    assert [e.split("'")[1] for e in errors] == ["forkk", "execvee"]


def test_structure_errors_name_the_place():
    errors = sp.structure_errors({
        "defaultAction": "SCMP_ACT_DENY",
        "architectures": ["SCMP_ARCH_X86_65"],
        "syscalls": [{"name": "read", "action": "SCMP_ACT_ALLOW"},
                     {"names": ["write"], "action": "ALLOW"},
                     {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
                      "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_EQUAL"}]}],
        "defaultErrno": 1,
    })
    text = "\n".join(errors)
    assert "defaultAction 'SCMP_ACT_DENY' is not a seccomp action" in text
    assert "architecture 'SCMP_ARCH_X86_65' is unknown" in text
    assert "syscalls[0]: unknown key 'name' (use 'names', a list)" in text
    assert "syscalls[0]: 'names' must be a non-empty list" in text
    assert "syscalls[1]: action 'ALLOW' is not a seccomp action" in text
    assert "syscalls[2].args[0]: op 'SCMP_CMP_EQUAL'" in text
    assert "unknown top-level key 'defaultErrno'" in text


def test_missing_default_action_and_bad_json():
    assert sp.structure_errors({"syscalls": []}) == ["defaultAction is missing"]
    with pytest.raises(sp.ProfileError, match="line 1 column 2"):
        sp.load("{,}", "p.json")


def test_resolver_missing_is_named():
    with pytest.raises(sp.ProfileError, match="install the Debian package 'seccomp'"):
        sp.resolver_path("scmp_sys_resolver-does-not-exist")


def test_strict_example_is_strict():
    strict = json.loads((PROFILES / "strict-example.json").read_text())
    assert strict["defaultAction"] == "SCMP_ACT_KILL_PROCESS"
    names = sp.syscall_names(strict)
    assert len(names) < 80
    assert {"execve", "exit_group", "mmap", "rt_sigreturn"} <= set(names)
