# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""playbooks/posture.yml on the controller itself (local connection, crafted node files): each
role's posture entry answers with the inventory's values or the role's defaults, the parts are
merged into the facts the report reads, and a node whose entry failed says which role."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]


def test_posture_playbook_merges_each_roles_part(node_dir, tmp_path):
    params = node_dir()
    seccomp = Path(params["seccomp"]["dir"])
    local = {"ansible_connection": "local", "ansible_become": False,
             "ansible_python_interpreter": sys.executable}
    inventory = {"all": {"hosts": {
        "crafted": dict(local,
                        cosign_trusted_keys_dir=params["ship"]["trusted_keys_dir"],
                        cosign_policy_path=params["ship"]["policy_path"],
                        falco_service_name="site-falco",
                        falco_config_dir=params["falco"]["config_dir"],
                        falco_rules_dir=params["falco"]["rules_dir"],
                        seccomp_profiles_dir=str(seccomp.parent),
                        seccomp_profiles_subdir=seccomp.name,
                        trivy_rescan_reports_dir=params["rescan"]["reports_dir"],
                        trivy_rescan_schedule="weekly"),
        "broken": dict(local, ansible_python_interpreter="/nonexistent/python3"),
    }}}
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump(inventory))
    out = tmp_path / "out"
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1")
    res = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i",
                          str(tmp_path / "inventory.yml"), "playbooks/posture.yml",
                          "-e", f"posture_output_dir={out}"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                         check=False)
    assert "PLAY RECAP" in res.stdout, res.stdout[-3000:] + res.stderr[-2000:]
    recap = res.stdout.split("PLAY RECAP")[1]
    assert "crafted" in recap and "changed=0" in recap.split("crafted")[1].splitlines()[0]
    nodes = {n["name"]: n for n in json.loads((out / "posture.json").read_text())["nodes"]}
    facts = nodes["crafted"]["facts"]
    assert [t["name"] for t in facts["tools"]] == ["cosign", "trivy", "falco"]
    assert [t["pinned"] for t in facts["tools"]] == ["3.1.1", "0.75.0", "0.44.1"]  # defaults
    assert facts["ship"]["trusted_keys"][0]["name"] == "lab"
    assert facts["ship"]["policy"]["path"] == params["ship"]["policy_path"]
    assert facts["run"]["falco"]["service"]["name"] == "site-falco"  # the inventory's, kept
    assert facts["run"]["falco"]["driver"] == "modern_ebpf"
    assert facts["run"]["seccomp"]["profiles"][0]["default_action"] == "SCMP_ACT_ERRNO"
    assert facts["build"]["rescan"]["totals"]["MEDIUM"] == 3
    assert facts["build"]["rescan"]["schedule"] == "weekly"
    broken = nodes["broken"]
    assert broken["facts"] is None
    reason = broken["checks"][0]["reason"]
    assert broken["checks"][0]["id"] == "node.reachable" and "cosign role:" in reason
    assert "/nonexistent/python3" in reason
