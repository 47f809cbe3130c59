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
