# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""meta/runtime.yml's action groups through a real ansible-playbook run: options set once with
`module_defaults: group/bulwark.container_security.<group>` reach every module of the group.

No cosign or notation binary is needed: each module is pointed at a binary that does not exist
(or given an option value it must refuse), and its failure names what the group set, which it
can only know from the group's defaults."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import yaml
from conftest import run_playbook

ROOT = Path(__file__).resolve().parents[2]
FQCN = "bulwark.container_security"
IMAGE = "127.0.0.1:1/bulwark/none@sha256:" + "0" * 64
RUNTIME = yaml.safe_load((ROOT / "meta" / "runtime.yml").read_text())


def _play(group_defaults: dict, out: Path) -> dict:
    tasks = [
        {"name": "cosign_verify",
         f"{FQCN}.cosign_verify": {"image": IMAGE, "public_keys": ["/dev/null"]},
         "register": "cosign_result", "ignore_errors": True},
        {"name": "notation_verify", f"{FQCN}.notation_verify": {"image": IMAGE},
         "register": "notation_result", "ignore_errors": True},
        {"name": "keep the results", "ansible.builtin.copy": {
            "dest": str(out), "mode": "0600",
            "content": "{{ {'cosign': cosign_result, 'notation': notation_result} | to_json }}"}},
    ]
    defaults = {f"group/{FQCN}.{name}": opts for name, opts in group_defaults.items()}
    return {"hosts": "localhost", "gather_facts": False, "module_defaults": defaults,
            "tasks": tasks}


def _run(tmp_path: Path, group_defaults: dict) -> dict:
    out = tmp_path / "results.json"
    playbook = tmp_path / "groups.yml"
    playbook.write_text(yaml.safe_dump([_play(group_defaults, out)], sort_keys=False))
    res = run_playbook(["-i", "localhost,", "-c", "local", "-e",
                        f"ansible_python_interpreter={sys.executable}", str(playbook)])
    assert res.returncode == 0, res.stdout + res.stderr
    return json.loads(out.read_text())


def test_runtime_declares_the_signer_groups():
    groups = RUNTIME["action_groups"]
    modules = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")}
    assert set(groups["cosign"]) == {m for m in modules if m.startswith("cosign_")}
    assert set(groups["notation"]) == {m for m in modules if m.startswith("notation_")}
    assert groups["signing"] == [{"metadata": {"extend_group": ["cosign", "notation"]}}]


def test_each_tool_group_sets_its_binary(tmp_path):
    results = _run(tmp_path, {"cosign": {"cosign_path": "/nonexistent/cosign-from-group"},
                              "notation": {"notation_path": "/nonexistent/notation-from-group"}})
    assert results["cosign"]["failed"] and results["notation"]["failed"], results
    assert "cannot run /nonexistent/cosign-from-group" in results["cosign"]["msg"], results
    assert "cannot run /nonexistent/notation-from-group" in results["notation"]["msg"], results


def test_the_signing_group_reaches_both_signers(tmp_path):
    results = _run(tmp_path, {"signing": {"insecure_registry": "not-a-boolean"}})
    for tool in ("cosign", "notation"):
        assert results[tool]["failed"], results
        assert "insecure_registry" in results[tool]["msg"], results[tool]["msg"]


def test_without_the_groups_the_modules_use_their_own_defaults(tmp_path):
    """The control: the same tasks with no module_defaults fail on their default binaries."""
    results = _run(tmp_path, {})
    for tool in ("cosign", "notation"):
        assert results[tool]["failed"], results
        assert "from-group" not in results[tool]["msg"], results[tool]["msg"]
