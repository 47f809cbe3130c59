"""The seccomp_profiles role for real: ansible-playbook, the real scmp_sys_resolver. The
role's one end-to-end harness besides the fleet (the molecule scenario it had is folded in)."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import run_playbook

PLAYBOOK = str(Path(__file__).with_name("distribute.yml"))
pytestmark = pytest.mark.requires_tool("scmp_sys_resolver", "Debian package seccomp")


def distribute(tmp_path, *args, **variables):
    variables.setdefault("seccomp_profiles_dir", str(tmp_path / "seccomp"))
    variables.setdefault("seccomp_profiles_owner", "root" if os.geteuid() == 0 else
                         Path.home().owner())
    variables.setdefault("seccomp_profiles_group", Path(tmp_path).group())
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps(variables))
    return run_playbook([PLAYBOOK, "-e", f"@{varfile}", *args], timeout=300)


ECHO_SERVER = {"name": "echo-server", "content": {
    "defaultAction": "SCMP_ACT_ERRNO", "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_AARCH64"],
    "syscalls": [{"names": ["read", "write", "close", "exit_group", "rt_sigreturn", "execve",
                            "brk", "mmap", "accept4"], "action": "SCMP_ACT_ALLOW"}]}}


def test_profiles_land_with_modes_and_a_second_run_changes_nothing(tmp_path):
    """The role's one end-to-end harness (it was also a molecule scenario, whose assertions are
    here): check mode on a fresh root writes nothing; the built-in profiles and an inline one
    land with their modes, an unmanaged profile is removed when asked, the baseline allows what
    a process needs and none of the escape syscalls; a second run changes nothing."""
    extra = {"seccomp_profiles_extra": [ECHO_SERVER], "seccomp_profiles_remove_unmanaged": True}
    check = distribute(tmp_path, "--check", "--diff", **extra)
    assert check.returncode == 0, check.stdout + check.stderr
    assert not (tmp_path / "seccomp").exists()
    (tmp_path / "seccomp/bulwark").mkdir(parents=True)
    (tmp_path / "seccomp/bulwark/left-over.json").write_text("{}")
    first = distribute(tmp_path, **extra)
    assert first.returncode == 0, first.stdout + first.stderr
    target = tmp_path / "seccomp/bulwark"
    assert sorted(p.name for p in target.iterdir()) == [
        "baseline.json", "echo-server.json", "strict-example.json"]
    assert target.stat().st_mode & 0o777 == 0o755
    for profile in target.iterdir():
        assert profile.stat().st_mode & 0o777 == 0o644
    profiles = {p.stem: json.loads(p.read_text()) for p in target.iterdir()}
    for profile in profiles.values():
        assert profile["defaultAction"] in {"SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS"}
        assert all(rule["names"] for rule in profile["syscalls"])
    allowed = {n for rule in profiles["baseline"]["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW"
               and not rule.get("args") for n in rule["names"]}
    assert not allowed & {"mount", "unshare", "setns", "bpf", "ptrace", "kexec_load",
                          "init_module", "clone"}
    assert {"execve", "exit_group", "mmap", "openat", "rt_sigreturn"} <= allowed
    assert profiles["echo-server"] == ECHO_SERVER["content"]
    second = distribute(tmp_path, **extra)
    assert "changed=0" in second.stdout, second.stdout


RUNTIME_DEFAULT = Path(__file__).resolve().parents[2] / "fixtures" / "containers" / "seccomp.json"


def test_profile_from_the_runtime_default_reports_every_change_and_is_idempotent(tmp_path):
    """One profile starts from containers-common's default with ptrace removed; the first run
    reports every syscall it allows as added, a second run nothing, a changed list only the
    difference."""
    web = {"name": "web", "base": "runtime-default", "remove_syscalls": ["ptrace"],
           "add_syscalls": ["userfaultfd"]}
    first = distribute(tmp_path, seccomp_profiles_builtin=[], seccomp_profiles_extra=[web],
                       seccomp_profiles_runtime_default_path=str(RUNTIME_DEFAULT))
    assert first.returncode == 0, first.stdout + first.stderr
    installed = json.loads((tmp_path / "seccomp/bulwark/web.json").read_text())
    allowed = {n for r in installed["syscalls"] if r["action"] == "SCMP_ACT_ALLOW"
               for n in r["names"]}
    assert "ptrace" not in allowed and "userfaultfd" in allowed and "read" in allowed
    out = " ".join(first.stdout.split())      # the yaml callback wraps long messages
    assert "web: starts from" in out and "removed ptrace; added userfaultfd" in out
    assert f"bulwark/web.json: added {len(allowed)} syscall(s)" in out

    web["remove_syscalls"] = ["ptrace", "personality"]
    web["add_syscalls"] = []
    second = distribute(tmp_path, seccomp_profiles_builtin=[], seccomp_profiles_extra=[web],
                        seccomp_profiles_runtime_default_path=str(RUNTIME_DEFAULT))
    assert second.returncode == 0, second.stdout + second.stderr
    assert ("bulwark/web.json: added 0 syscall(s) [], removed 2 [personality, userfaultfd]"
            in " ".join(second.stdout.split())), second.stdout
    third = distribute(tmp_path, seccomp_profiles_builtin=[], seccomp_profiles_extra=[web],
                       seccomp_profiles_runtime_default_path=str(RUNTIME_DEFAULT))
    assert "changed=0" in third.stdout and "bulwark/web.json: added" not in third.stdout


@pytest.mark.parametrize("entry,path,message", [
    ({"name": "web", "base": "runtime-default"}, "/nonexistent/seccomp.json",
     "/nonexistent/seccomp.json is missing on localhost: profiles web start from it"),
    ({"name": "web", "base": "docker-default"}, str(RUNTIME_DEFAULT),
     "needs a name (letters, digits, '.', '_', '-') and exactly one of src"),
    ({"name": "web", "base": "runtime-default", "remove_syscalls": ["ptrcae"]},
     str(RUNTIME_DEFAULT), "remove_syscalls names ptrcae, which"),
])
def test_bad_base_input_fails_before_anything_is_written(tmp_path, entry, path, message):
    result = distribute(tmp_path, seccomp_profiles_extra=[entry],
                        seccomp_profiles_runtime_default_path=path)
    assert result.returncode != 0
    assert message in " ".join(result.stdout.split()), result.stdout
    assert not (tmp_path / "seccomp").exists()
