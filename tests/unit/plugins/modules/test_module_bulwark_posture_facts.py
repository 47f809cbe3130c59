# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The bulwark_posture_facts module end to end on crafted node files: read-only, check mode."""
from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.module_utils.posture import node
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


def run(args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit):
        bulwark_posture_facts.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("part, keys", [
    ("ship", {"ship"}), ("falco", {"run"}), ("seccomp", {"run"}), ("rescan", {"build"}),
])
def test_each_part_answers_alone(node_dir, capsys, part, keys):
    params = node_dir()
    result = run({part: params[part]}, capsys)
    assert not result.get("failed"), result
    posture = result["posture"]
    assert set(posture) == {"collected", "tools"} | keys and posture["tools"] == []
    if part in ("falco", "seccomp"):
        assert set(posture["run"]) == {part}


def test_no_part_asked_reads_nothing(tmp_path):
    calls = []

    def runner(argv):
        calls.append(argv)
        return 0, "", ""

    facts = node.collect({"tools": []}, runner)
    assert set(facts) == {"collected", "tools"} and calls == []


def test_a_part_without_its_role_values_is_refused(capsys):
    """No part falls back to a copied role default: its paths are required."""
    result = run({"ship": {"trusted_keys_dir": "/x"}}, capsys)
    assert result["failed"] and "policy_path" in result["msg"]
    result = run({"falco": {"config_dir": "/a", "rules_dir": "/b"}}, capsys)
    assert result["failed"] and "service" in result["msg"]
    result = run({"rescan": {"reports_dir": "/r"}}, capsys)
    assert result["failed"] and "schedule" in result["msg"] and "timer" in result["msg"]
    # the options of the flat interface (each with a copied default) are gone
    result = run({"trusted_keys_dir": "/etc/bulwark/cosign/trusted-keys"}, capsys)
    assert result["failed"] and "trusted_keys_dir" in result["msg"]


def test_falco_service_is_the_roles(node_dir, capsys):
    params = node_dir()
    result = run({"falco": dict(params["falco"], service="site-falco")}, capsys)
    assert result["posture"]["run"]["falco"]["service"]["name"] == "site-falco"


def test_policy_document_is_judged_before_it_is_written(tmp_path, capsys):
    present = tmp_path / "present.pub"
    present.write_text("k")
    gone, gone_too = str(tmp_path / "gone.pub"), str(tmp_path / "gone-too.pub")
    document = {
        "default": [{"type": "sigstoreSigned", "keyPath": gone}],
        "transports": {"docker": {"reg.example/app": [
            {"type": "sigstoreSigned", "keyPaths": [str(present), gone_too]}]}},
    }
    ship = {"trusted_keys_dir": str(tmp_path), "policy_path": str(tmp_path / "policy.json"),
            "policy": document, "policy_readers": [str(tmp_path / "no-skopeo")]}
    result = run({"ship": ship}, capsys)
    policy = result["posture"]["ship"]["policy"]
    assert policy["present"] is True and policy["error"] is None
    assert policy["path"] == str(tmp_path / "policy.json")
    assert policy["keys_missing"] == sorted([gone, gone_too])
    assert policy["scopes"][0]["keys_missing"] == [gone_too]
    assert not (tmp_path / "policy.json").exists()  # judged, not written


@pytest.mark.parametrize("document, named", [
    ({"default": "insecureAcceptAnything"}, "default is a str, not a list of requirements"),
    ({"default": [], "transports": {"docker": {"reg/x": ["sigstoreSigned"]}}},
     "transports.docker['reg/x'][0] is a str, not a mapping"),
    ({"default": [], "transports": {"docker": ["reg/x"]}}, "transports.docker is a list"),
    ({"default": [{"type": "signedBy", "keyPaths": "/k.pub"}]},
     "default[0].keyPaths is a str, not a list"),
])
def test_malformed_policy_is_an_error_naming_where(tmp_path, document, named):
    policy = node.policy_summary(str(tmp_path / "policy.json"), document)
    assert named in policy["error"]


def test_bin_dir_is_searched_first(tmp_path):
    tool = tmp_path / "cosign"
    tool.write_text("#!/bin/sh\necho 'GitVersion:    v3.1.1'\n")
    tool.chmod(0o755)
    fact = node.tool_fact({"name": "cosign", "pinned": "3.1.1", "bin_dir": str(tmp_path)})
    assert fact["path"] == str(tool) and fact["matches"] is True
