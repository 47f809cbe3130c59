"""The seccomp_profile_validate module end to end (real scmp_sys_resolver, real module code)."""
from __future__ import annotations

import json

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.modules import (
    seccomp_profile_validate,
)

pytestmark = pytest.mark.requires_tool("scmp_sys_resolver", "Debian package seccomp")


def run(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit):
        seccomp_profile_validate.main()
    return json.loads(capsys.readouterr().out)


def test_valid_file(tmp_path, capsys):
    path = tmp_path / "p.json"
    path.write_text(json.dumps({"defaultAction": "SCMP_ACT_ERRNO",
                                "syscalls": [{"names": ["read", "write"],
                                              "action": "SCMP_ACT_ALLOW"}]}))
    result = run({"path": str(path)}, capsys)
    assert result.get("failed") is not True
    assert (result["changed"], result["errors"], result["syscalls"]) == (False, [], 2)


def test_misspelled_syscall_fails_naming_it(capsys):
    result = run({"profile": {"defaultAction": "SCMP_ACT_ERRNO",
                              "syscalls": [{"names": ["read", "wirte"],
                                            "action": "SCMP_ACT_ALLOW"}]}}, capsys)
    assert result["failed"] is True
    assert "syscall 'wirte' is unknown to libseccomp" in result["msg"]


def test_unreadable_json_fails(capsys):
    result = run({"profile": "{not json"}, capsys)
    assert result["failed"] is True
    assert "not valid JSON" in result["msg"]


@pytest.mark.parametrize(("profile", "message"), [
    ({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [{"names": ["read"],
                                                       "action": "SCMP_ACT_ALLOW", "args": 5}]},
     "syscalls[0].args must be a list"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "architectures": [{}]}, "architecture {} is unknown"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": "x"},
     "defaultErrnoRet 'x' must be an integer errno"),
    ({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
         "args": [{"index": 99, "value": 1, "op": "SCMP_CMP_EQ"}]}]},
     "syscalls[0].args[0].index 99 must be an integer 0-5"),
    ("[1, 2]", "the profile must be a JSON object"),
], ids=["args-5", "architecture-object", "errno-string", "index-99", "json-list"])
def test_bad_profiles_fail_with_the_path_never_a_traceback(profile, message, capsys):
    result = run({"profile": profile}, capsys)
    assert result["failed"] is True
    assert message in result["msg"]


def test_a_fifo_is_refused_before_it_is_read(tmp_path, capsys):
    import os
    fifo = tmp_path / "p.json"
    os.mkfifo(fifo)
    result = run({"path": str(fifo)}, capsys)
    assert result["failed"] is True and "is not a regular file" in result["msg"]
