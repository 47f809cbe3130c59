"""The profiles landed on the node with the right owner, modes and content."""
import json

import pytest

DIR = "/var/lib/kubelet/seccomp/bulwark"


@pytest.mark.parametrize("name", ["baseline", "strict-example", "echo-server"])
def test_profile_in_place(host, name):
    f = host.file(f"{DIR}/{name}.json")
    assert f.is_file
    assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
    profile = json.loads(f.content_string)
    assert profile["defaultAction"].startswith("SCMP_ACT_")
    assert all(rule["names"] for rule in profile["syscalls"])


def test_directories(host):
    for path in ("/var/lib/kubelet/seccomp", DIR):
        d = host.file(path)
        assert d.is_directory
        assert (d.user, d.mode) == ("root", 0o755)


def test_only_managed_profiles(host):
    listed = sorted(host.run(f"ls {DIR}").stdout.split())
    assert listed == ["baseline.json", "echo-server.json", "strict-example.json"]


def test_baseline_blocks_namespace_escapes(host):
    baseline = json.loads(host.file(f"{DIR}/baseline.json").content_string)
    allowed = {n for rule in baseline["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW"
               and not rule.get("args") for n in rule["names"]}
    assert not allowed & {"mount", "unshare", "setns", "bpf", "ptrace", "kexec_load", "init_module"}
    assert {"execve", "exit_group", "mmap", "openat"} <= allowed
