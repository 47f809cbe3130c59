# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Regression rows, seccomp profiles (issue 22, "Fail closed"): names and subdirectories that
wrote outside the kubelet's seccomp directory, profiles that crashed the check or passed with
rules libseccomp cannot apply as written, and profile files that are not regular files."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils import (
    seccomp_profiles as sp,
)

ROOT = Path(__file__).resolve().parents[2]
DIR = "/var/lib/kubelet/seccomp"

CONTAINMENT = [
    # (row id, entries, subdir, fragment of the refusal)
    ("name-dotdot-without-validation", [{"name": "../../../x", "content": {}}], "bulwark",
     "name '../../../x' is not a profile name"),
    ("subdir-dotdot", [{"name": "x", "content": {}}], "../../..",
     "seccomp_profiles_subdir '../../..' must be a relative path inside"),
    ("subdir-absolute", [{"name": "x", "content": {}}], "/etc",
     "seccomp_profiles_subdir '/etc' must be a relative path inside"),
    ("subdir-inner-dotdot", [{"name": "x", "content": {}}], "bulwark/../..",
     "seccomp_profiles_subdir 'bulwark/../..' must be a relative path"),
    ("subdir-trailing-newline", [{"name": "x", "content": {}}], "bulwark\n",
     "seccomp_profiles_subdir 'bulwark\\n' must be a relative path"),
    ("name-trailing-newline", [{"name": "x\n", "content": {}}], "bulwark",
     "name 'x\\n' is not a profile name"),
    ("name-with-slash", [{"name": "a/b", "content": {}}], "bulwark",
     "name 'a/b' is not a profile name"),
    ("name-not-a-string", [{"name": 5, "content": {}}], "bulwark",
     "name 5 is not a profile name"),
    ("name-twice", [{"name": "x", "content": {}}, {"name": "x", "src": "y"}], "bulwark",
     "profile x is listed twice"),
    ("two-sources", [{"name": "x", "content": {}, "src": "x.json"}], "bulwark",
     "sources given: src, content; it needs a name"),
    ("base-unknown", [{"name": "x", "base": "docker"}], "bulwark",
     "base 'docker' is unknown; accepted: runtime-default"),
    ("base-unhashable", [{"name": "x", "base": ["runtime-default"]}], "bulwark",
     "base ['runtime-default'] is unknown"),
    ("entry-not-a-mapping", ["x"], "bulwark", "profile 0 is not a mapping"),
]


@pytest.mark.parametrize(("entries", "subdir", "message"), [r[1:] for r in CONTAINMENT],
                         ids=[r[0] for r in CONTAINMENT])
def test_containment_row_seccomp_destination(entries, subdir, message):
    problems = sp.entry_problems(entries, DIR, subdir)
    assert any(message in p for p in problems), problems


@pytest.mark.parametrize(("directory", "subdir", "name", "message"), [
    ("var/lib/kubelet/seccomp", "bulwark", "x", "must be an absolute path"),
    ("/var/lib/kubelet/../../etc", "bulwark", "x", "must be an absolute path without '..'"),
    (DIR, "..", "x", "must be a relative path inside"),
    (DIR, "bulwark", "..", "is not a profile name"),
], ids=["dir-relative", "dir-dotdot", "destination-subdir-dotdot", "destination-name-dotdot"])
def test_containment_row_seccomp_destination_helper(directory, subdir, name, message):
    with pytest.raises(ValueError, match=message):
        sp.destination(directory, subdir, name)


def test_containment_row_role_checks_names_before_any_task_touches_a_host():
    """The name/subdirectory check is the first task after collecting the profiles, and it
    does not depend on seccomp_profiles_validate (defect: validate false wrote ../../../x)."""
    tasks = yaml.safe_load((ROOT / "roles/seccomp_profiles/tasks/main.yml").read_text())
    block = tasks[0]["block"]
    check = block[1]
    assert "seccomp_profiles_problems" in json.dumps(check)
    assert "ansible.builtin.assert" in check and "when" not in check
    assert [t["name"] for t in block[2:]] == [
        "Validate the profiles on the controller",
        "Build the profiles that start from the runtime's default profile on the node",
        "Distribute the profiles"]


def rule(names, action="SCMP_ACT_ALLOW", **more):
    return {"names": names, "action": action, **more}


def profile(*rules, **top):
    return {"defaultAction": "SCMP_ACT_ERRNO", "syscalls": list(rules), **top}


FAIL_OPEN = [
    # (row id, profile, fragment of one error)
    ("args-not-a-list", profile(rule(["read"], args=5)), "syscalls[0].args must be a list"),
    ("architecture-object", profile(architectures=[{}]),
     "architecture {} is unknown (architectures[0])"),
    ("architecture-list", profile(architectures=[[]]), "architecture [] is unknown"),
    ("default-action-list", {"defaultAction": ["SCMP_ACT_ALLOW"]},
     "defaultAction ['SCMP_ACT_ALLOW'] is not a seccomp action"),
    ("rule-action-object", profile(rule(["read"], action={})),
     "syscalls[0]: action {} is not a seccomp action"),
    ("arg-op-list", profile(rule(["read"], args=[{"index": 0, "value": 1, "op": []}])),
     "syscalls[0].args[0]: op [] is not one of"),
    ("conflicting-rules", profile(rule(["read", "ptrace"]), rule(["write"]),
                                  rule(["ptrace"], "SCMP_ACT_ERRNO")),
     "syscalls[2]: 'ptrace' already has action SCMP_ACT_ALLOW in syscalls[0]"),
    ("conflicting-errno", profile(rule(["ptrace"], "SCMP_ACT_ERRNO", errnoRet=1),
                                  rule(["ptrace"], "SCMP_ACT_ERRNO", errnoRet=38)),
     "'ptrace' already has action SCMP_ACT_ERRNO (errnoRet 1)"),
    ("arg-index-99", profile(rule(["read"]), rule(["read"]), rule(
        ["clone"], args=[{"index": 99, "value": 1, "op": "SCMP_CMP_EQ"}])),
     "syscalls[2].args[0].index 99 must be an integer 0-5"),
    ("arg-index-bool", profile(rule(["clone"], args=[{"index": True, "value": 1,
                                                      "op": "SCMP_CMP_EQ"}])),
     "syscalls[0].args[0].index True must be an integer 0-5"),
    ("arg-value-negative", profile(rule(["clone"], args=[{"index": 0, "value": -1,
                                                          "op": "SCMP_CMP_EQ"}])),
     "syscalls[0].args[0].value -1 must be an unsigned 64-bit integer"),
    ("arg-unknown-key", profile(rule(["clone"], args=[{"index": 0, "value": 1,
                                                       "op": "SCMP_CMP_EQ", "mask": 1}])),
     "syscalls[0].args[0]: unknown key 'mask'"),
    ("default-errno-ret-string", profile(defaultErrnoRet="x"),
     "defaultErrnoRet 'x' must be an integer errno"),
    ("errno-ret-too-large", profile(rule(["read"], "SCMP_ACT_ERRNO", errnoRet=70000)),
     "syscalls[0].errnoRet 70000 must be an integer errno 0-4095"),
    ("syscall-name-option", profile(rule(["-h"])),
     "syscalls[0].names[0] '-h' is not a syscall name"),
    ("syscall-name-newline", profile(rule(["read\n"])),
     "syscalls[0].names[0] 'read\\n' is not a syscall name"),
    ("flags-unknown", profile(flags=["SECCOMP_FILTER_FLAG_EVERYTHING"]), "flags must be a list"),
    ("syscalls-an-integer", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": 1},
     "syscalls must be a list"),
    ("syscalls-true", {"defaultAction": "SCMP_ACT_ALLOW", "syscalls": True},
     "syscalls must be a list"),
    ("includes-not-object", profile(rule(["read"], includes=["CAP_SYS_ADMIN"])),
     "syscalls[0].includes must be an object"),
]


def never_called(argv):
    raise AssertionError(f"resolver run for a name that failed the structure check: {argv}")


@pytest.mark.parametrize(("doc", "message"), [r[1:] for r in FAIL_OPEN],
                         ids=[r[0] for r in FAIL_OPEN])
def test_fail_open_row_seccomp_profile(doc, message):
    errors = sp.structure_errors(doc)
    assert any(message in e for e in errors), errors
    # the full check answers too (names that are no syscall never reach the resolver)
    valid_names = sp.syscall_names(doc)
    runner = (lambda argv: "1") if valid_names else never_called
    assert sp.validate(doc, resolver="r", runner=runner)


def test_fail_open_row_seccomp_derive_add_behind_deny_rule():
    """libseccomp keeps the first rule for a syscall: an added name left in an unconditional
    deny rule ahead of the new allow rule would stay denied."""
    base = profile(rule(["userfaultfd"], "SCMP_ACT_ERRNO", errnoRet=1), rule(["read"]))
    derived, changes = sp.derive_profile(json.dumps(base), [], ["userfaultfd"])
    assert changes["added"] == ["userfaultfd"]
    assert sp.structure_errors(derived) == []
    assert "userfaultfd" not in sp.denied_syscalls(derived)


def test_fail_open_row_seccomp_derive_refuses_a_broken_base():
    with pytest.raises(sp.ProfileError, match="/b: syscalls must be a list"):
        sp.derive_profile(json.dumps({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": 5}),
                          [], ["read"], source="/b")


@pytest.mark.parametrize(("old", "message"), [
    ("[]", "installed profile: not a seccomp profile"),
    ('{"defaultAction": NaN}', "not valid JSON"),
], ids=["installed-profile-list", "installed-profile-nan"])
def test_fail_open_row_seccomp_syscall_changes(old, message):
    with pytest.raises(ValueError, match=message):
        sp.syscall_changes(old, profile(rule(["read"])))


def test_resource_row_seccomp_profile_fifo(tmp_path):
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    with pytest.raises(sp.ProfileError, match="is not a regular file"):
        sp.read_profile(str(fifo))


def test_resource_row_seccomp_profile_directory(tmp_path):
    with pytest.raises(sp.ProfileError, match="is not a regular file"):
        sp.read_profile(str(tmp_path))


def test_resource_row_seccomp_profile_oversize(tmp_path):
    big = tmp_path / "p.json"
    with open(big, "wb") as handle:
        handle.truncate(17 * 1024 * 1024)
    with pytest.raises(sp.ProfileError, match="over the limit"):
        sp.read_profile(str(big))
