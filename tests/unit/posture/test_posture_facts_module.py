# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The bulwark_posture_facts module end to end on crafted node files: read-only, check mode."""
from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.modules import bulwark_posture_facts


def tree(base):
    return {p: os.stat(p).st_mtime_ns for p in sorted(str(x) for x in base.rglob("*"))}


@pytest.mark.parametrize("check_mode", [False, True])
def test_reads_and_writes_nothing(node_dir, tmp_path, capsys, check_mode):
    params = node_dir(sigstore=False)
    before = tree(tmp_path)
    args = dict(params, tools=[{"name": "python3", "pinned": "0.0.1"}],
                _ansible_check_mode=check_mode)
    with patch_module_args(args), pytest.raises(SystemExit):
        bulwark_posture_facts.main()
    result = json.loads(capsys.readouterr().out)
    assert result["changed"] is False and not result.get("failed")
    assert tree(tmp_path) == before
    posture = result["posture"]
    python = posture["tools"][0]
    assert python["installed"] and python["version"] and python["matches"] is False
    assert posture["ship"]["sigstore"]["capable"] is False
    assert posture["ship"]["trusted_keys"][0]["name"] == "lab"
    assert posture["run"]["seccomp"]["profiles"][0]["default_action"] == "SCMP_ACT_ERRNO"
    assert posture["build"]["rescan"]["totals"]["MEDIUM"] == 3


def test_bad_option_is_refused(capsys):
    with patch_module_args({"tools": [{"pinned": "1.0.0"}]}), pytest.raises(SystemExit):
        bulwark_posture_facts.main()
    result = json.loads(capsys.readouterr().out)
    assert result["failed"] and "name" in result["msg"]
