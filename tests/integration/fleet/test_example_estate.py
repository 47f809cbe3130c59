# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The example estate users copy (examples/estate) against playbooks/site.yml.

Real ansible-inventory and ansible-playbook from the venv: the inventory loads with the
documented groups, site.yml passes --syntax-check and --list-tasks on it, the layer tags
select the roles they name, and no secret is written as a literal. Then the README's first
step, `--check --diff`, on fresh fleet nodes standing in for the estate's hosts: it fails
nothing, changes nothing, and reports the signer keys that only a real run creates.
"""
from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import fleet  # lab/fleet.py (tests/conftest.py puts lab/ on sys.path)
import yaml
from conftest import ROOT, ansible_env, changed_paths, node_fingerprint, play_recap, run_playbook

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


# The estate's hosts on the four fresh fleet nodes, one per node: both build hosts (whose signer
# keys every other host needs), a Debian 13 worker that enforces, the Debian 12 worker.
ESTATE_ON_FLEET = {"ci-runner-01.example.com": "bulwark-fleet-deb13-a",
                   "ci-runner-02.example.com": "bulwark-fleet-deb12-b",
                   "worker-01.example.com": "bulwark-fleet-deb13-b",
                   "worker-03.example.com": "bulwark-fleet-deb12-a"}
# What the estate decides, kept from its group_vars; the rest of the lab inventory's settings
# (mirror and pins, tools that cannot exist here) stand in for the internet.
ESTATE_DECIDES = {"cosign_trusted_keys", "cosign_policy_requirements",
                  "cosign_public_key_fetch_dir", "cosign_key_password", "kyverno_policy_settings"}


def _estate_on_fleet(tmp_path: Path) -> tuple[Path, Path]:
    estate = tmp_path / "estate"
    shutil.copytree(ESTATE, estate)
    vault = estate / "group_vars" / "all"
    shutil.copy(vault / "vault.yml.example", vault / "vault.yml")
    inventory = yaml.safe_load(INVENTORY.read_text())

    def place(group: dict) -> None:
        hosts = group.get("hosts") or {}
        for name in list(hosts):
            if name in ESTATE_ON_FLEET:
                hosts[name] = fleet.ssh_host_vars(fleet.NODES[ESTATE_ON_FLEET[name]][1])
            elif name != "localhost":
                del hosts[name]
        for child in (group.get("children") or {}).values():
            place(child)

    place(inventory["all"])
    (estate / "inventory.yml").write_text(yaml.safe_dump(inventory))
    lab_vars = yaml.safe_load(fleet.INVENTORY.read_text())["all"]["vars"]
    lab_vars = {k: v for k, v in lab_vars.items() if k not in ESTATE_DECIDES}
    lab_vars.update(kyverno_output_dir=str(tmp_path / "kyverno"), kyverno_output_owner="",
                    kyverno_output_group="")
    extra = tmp_path / "lab-stand-ins.yml"
    extra.write_text(yaml.safe_dump(lab_vars))
    return estate, extra


def test_check_diff_on_a_fresh_estate_reports_what_a_real_run_creates_first(fresh_fleet, tmp_path):
    estate, extra = _estate_on_fleet(tmp_path)
    nodes = sorted(set(ESTATE_ON_FLEET.values()))
    before = {node: node_fingerprint(node) for node in nodes}
    run = run_playbook(["-i", str(estate / "inventory.yml"), SITE, "--check", "--diff",
                        "-e", f"@{extra}"], timeout=1800)
    out = run.stdout + run.stderr
    recap = play_recap(run.stdout)
    assert run.returncode == 0, out[-4000:]
    assert set(recap) == {*ESTATE_ON_FLEET, "localhost"}, recap
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in recap.values()), recap
    # what cannot be known yet is said, per key file, on the admin host and on every host
    # that trusts the keys
    keys = [f"{estate}/cosign-public-keys/{host}.pub"
            for host in ("ci-runner-01.example.com", "ci-runner-02.example.com")]
    text = " ".join(out.split())
    for key in keys:
        assert f"Not known yet: kyverno_public_key_files {key} does not exist" in text, key
        assert text.count(f"reads {key}, which does not exist on the controller") == \
            len(ESTATE_ON_FLEET), key
    assert "without the image verification policy" in text
    assert not (estate / "cosign-public-keys").exists()
    for node in nodes:
        assert changed_paths(before[node], node_fingerprint(node)) == [], node
