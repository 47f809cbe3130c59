# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The example estate users copy (examples/estate) against playbooks/site.yml.

Real ansible-inventory and ansible-playbook from the venv: the inventory loads with the
documented groups, site.yml passes --syntax-check and --list-tasks on it, the layer tags
select the roles they name, and no secret is written as a literal.
"""
from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import yaml
from conftest import ROOT, ansible_env, run_playbook

ESTATE = ROOT / "examples" / "estate"
INVENTORY = ESTATE / "inventory.yml"
SITE = "playbooks/site.yml"
GROUPS = {"bulwark_builders", "bulwark_nodes", "bulwark_admins"}
# Variables that carry a secret: in the example they may only reference a vault_* variable.
SECRET_VARS = {"cosign_key_password", "trivy_server_token", "trivy_client_token",
               "sign_key_password", "scan_token"}


def ansible_inventory(*args) -> str:
    exe = Path(sys.executable).parent / "ansible-inventory"
    proc = subprocess.run([str(exe), "-i", str(INVENTORY), *args], env=ansible_env(),
                          capture_output=True, text=True, cwd=ROOT, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout


def test_inventory_loads_with_the_documented_groups():
    inv = json.loads(ansible_inventory("--list"))
    assert GROUPS <= set(inv["all"]["children"])
    nodes = set(inv["bulwark_nodes"]["children"])
    assert {"k8s_workers_debian12", "k8s_workers_debian13"} <= nodes
    hostvars = inv["_meta"]["hostvars"]
    # group_vars reach the hosts: nodes enforce, except the Debian 12 group; builders sign.
    assert hostvars["worker-01.example.com"]["cosign_enforce"] is True
    assert hostvars["worker-03.example.com"]["cosign_enforce"] is False
    assert hostvars["ci-runner-01.example.com"]["cosign_signer"] is True


def test_every_group_site_yml_targets_is_in_the_example():
    plays = yaml.safe_load((ROOT / SITE).read_text())
    targeted = {play["hosts"] for play in plays}
    assert targeted == GROUPS


def test_site_yml_syntax_check():
    proc = run_playbook(["-i", str(INVENTORY), SITE, "--syntax-check"])
    assert proc.returncode == 0, proc.stdout + proc.stderr


def _listed_roles(*extra) -> set:
    proc = run_playbook(["-i", str(INVENTORY), SITE, "--list-tasks", *extra])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    # Argument validation is tagged `always` by Ansible and only checks variables.
    lines = [ln for ln in proc.stdout.splitlines() if "Validating arguments" not in ln]
    return set(re.findall(r"bulwark\.container_security\.(\w+) : ", "\n".join(lines)))


def test_list_tasks_covers_every_layer():
    assert _listed_roles() >= {"trivy", "cosign", "falco", "seccomp_profiles", "kyverno"}


def test_layer_tags_select_only_their_roles():
    assert _listed_roles("--tags", "run") == {"falco", "seccomp_profiles"}
    assert _listed_roles("--tags", "admit") == {"kyverno"}
    assert "falco" not in _listed_roles("--tags", "build,ship")


def test_no_secret_is_a_literal():
    seen = {}
    for path in sorted(ESTATE.rglob("*.yml")):
        doc = yaml.safe_load(path.read_text()) or {}
        for key, value in doc.items() if isinstance(doc, dict) else ():
            if key in SECRET_VARS:
                seen[key] = value
                assert re.fullmatch(r"\{\{\s*vault_\w+\s*\}\}", str(value)), (
                    f"{path.relative_to(ROOT)}: {key} must reference a vault_* variable, "
                    f"not a literal")
    assert {"cosign_key_password", "trivy_server_token"} <= set(seen)
