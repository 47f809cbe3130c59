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

ROOT = Path(__file__).resolve().parents[4]
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
        "defaultErrnoReturn": 1,
    })
    text = "\n".join(errors)
    assert "defaultAction 'SCMP_ACT_DENY' is not a seccomp action" in text
    assert "architecture 'SCMP_ARCH_X86_65' is unknown" in text
    assert "syscalls[0]: unknown key 'name' (use 'names', a list)" in text
    assert "syscalls[0]: 'names' must be a non-empty list" in text
    assert "syscalls[1]: action 'ALLOW' is not a seccomp action" in text
    assert "syscalls[2].args[0]: op 'SCMP_CMP_EQUAL'" in text
    assert "unknown top-level key 'defaultErrnoReturn'" in text


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


# --- profiles that start from the container runtime's default profile ---------------------

@pytest.fixture(scope="module")
def runtime_default(shared_fixtures):
    return (shared_fixtures / "containers" / "seccomp.json").read_text()


def test_runtime_default_profile_passes_the_structure_check(runtime_default):
    assert sp.structure_errors(json.loads(runtime_default)) == []


def test_derive_removes_and_adds_by_name_and_reports_both(runtime_default):
    base = json.loads(runtime_default)
    assert "ptrace" in sp.permitted_syscalls(base)
    assert "userfaultfd" not in sp.permitted_syscalls(base)
    derived, changes = sp.derive_profile(runtime_default, ["ptrace", "personality"],
                                         ["userfaultfd"])
    assert changes == {"added": ["userfaultfd"], "removed": ["personality", "ptrace"]}
    allowed = sp.permitted_syscalls(derived)
    assert "ptrace" not in allowed and "userfaultfd" in allowed
    assert allowed == (sp.permitted_syscalls(base) - {"ptrace", "personality"}) | {"userfaultfd"}
    # deny rules lose only the added names (libseccomp applies the first rule for a syscall,
    # so an allow rule behind an unconditional deny rule would be ignored); stricter than before
    assert sp.denied_syscalls(derived) == sp.denied_syscalls(base) - {"userfaultfd"}
    assert derived["defaultAction"] == base["defaultAction"] and sp.structure_errors(derived) == []
    assert base == json.loads(runtime_default)                         # the base is not edited


@pytest.mark.parametrize("remove,add,message", [
    (["ptrcae"], [], "remove_syscalls names ptrcae, which /b does not allow"),
    (["ptrace"], ["ptrace"], "ptrace both added and removed"),
    ("ptrace", [], "remove_syscalls must be a list of syscall names"),
])
def test_derive_refuses_input_that_is_a_mistake(runtime_default, remove, add, message):
    with pytest.raises(ValueError, match=message):
        sp.derive_profile(runtime_default, remove, add, source="/b")


def test_derived_profiles_name_the_entry_and_refuse_an_unknown_base(runtime_default):
    (web,) = sp.derived_profiles([{"name": "web", "base": "runtime-default",
                                   "remove_syscalls": ["ptrace"]},
                                  {"name": "plain", "content": {}}], runtime_default, "/b")
    assert web["name"] == "web" and web["changes"] == {"added": [], "removed": ["ptrace"]}
    with pytest.raises(ValueError, match="profile x: base 'docker' is unknown; accepted: "
                                         "runtime-default"):
        sp.derived_profiles([{"name": "x", "base": "docker"}], runtime_default, "/b")


def test_syscall_changes_between_installed_and_new_profiles():
    old = profile("read", "write", "ptrace")
    new = profile("read", "write", "openat")
    assert sp.syscall_changes(old, new) == {"added": ["openat"], "removed": ["ptrace"]}
    assert sp.syscall_changes("", json.dumps(new)) == {"added": ["openat", "read", "write"],
                                                       "removed": []}
    assert sp.syscall_changes(new, new) == {"added": [], "removed": []}
    allow_all = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["ptrace"], "action": "SCMP_ACT_ERRNO"}]}
    fewer_denied = {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": []}
    assert sp.syscall_changes(allow_all, fewer_denied) == {"added": ["ptrace"], "removed": []}
