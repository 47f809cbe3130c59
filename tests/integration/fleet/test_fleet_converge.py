# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""playbooks/site.yml on the four lab fleet nodes (lab/fleet.py), for real.

The nodes are systemd containers reached over SSH (2 x Debian 12, 2 x Debian 13) and the
controller is the admin host, in the inventory playbooks/lab/fleet_inventory.yml. The tests
share the session's fresh fleet (`fresh_fleet`, tests/conftest.py) and run in file order, each
from where the previous one left it, which is converged at the end:
check mode on fresh nodes, converge twice, check mode on the converged fleet, three runs
killed with SIGKILL at a named task, and a node that is down.

What "nothing changed on a node" means here: the same listing, modes, link targets and
sha256 of every file under /etc, /opt, /usr/local, /var/lib and /var/cache's Bulwark and Trivy
directories (tests/conftest.py node_fingerprint), read on the node before and after.
"""
from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import fleet  # lab/fleet.py (tests/conftest.py puts lab/ on sys.path)
from conftest import ROOT, ansible_env, changed_paths, node_fingerprint, play_recap, run_playbook

import lab

INVENTORY = str(ROOT / "playbooks" / "lab" / "fleet_inventory.yml")
SITE = "playbooks/site.yml"
NODES = tuple(fleet.NODES)
SPARE = "bulwark-fleet-deb13-b"      # the node the fault tests break and repair
# Files a converge may not leave behind: staging directories, Ansible's remote temp files,
# and temp files next to what it wrote.
LEFTOVERS = ("find /opt/bulwark /var/lib/bulwark /var/cache/bulwark /etc/containers /etc/falco"
             " /root/.ansible/tmp -name '*staging*' -o -name 'ansible-tmp-*'"
             " -o -name '.ansible_tmp*' 2>/dev/null; true")


def on_node(node: str, script: str, stdin: str | None = None) -> str:
    res = lab.podman("exec", "-i", node, "sh", "-c", script, input=stdin, capture_output=True,
                     text=True, check=False)
    assert res.returncode == 0, f"{node}: {script}: {res.stderr}"
    return res.stdout


def site(*args: str) -> subprocess.CompletedProcess:
    return run_playbook(["-i", INVENTORY, SITE, *args], timeout=1800)


def tail(run: subprocess.CompletedProcess, chars: int = 4000) -> str:
    return (run.stdout + run.stderr)[-chars:]


def assert_converged(run: subprocess.CompletedProcess, hosts=NODES) -> dict:
    recap = play_recap(run.stdout)
    assert run.returncode == 0, tail(run)
    assert set(hosts) <= set(recap), recap
    bad = {h: r for h, r in recap.items() if r["failed"] or r["unreachable"]}
    assert not bad, tail(run)
    return recap


def kill_at(task: str, *args: str, delay: float = 0.0) -> str:
    """Run site.yml and SIGKILL its whole process group `delay` seconds after the header of
    the first task whose name matches `task` is printed; returns the output up to then."""
    exe = Path(sys.executable).parent / "ansible-playbook"
    proc = subprocess.Popen([str(exe), "-i", INVENTORY, SITE, *args], cwd=ROOT,
                            env=ansible_env(PYTHONUNBUFFERED="1"), stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True, start_new_session=True)
    seen = []
    try:
        for line in proc.stdout:
            seen.append(line)
            if line.startswith("TASK [") and re.search(task, line):
                time.sleep(delay)
                os.killpg(proc.pid, signal.SIGKILL)
                break
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    out = "".join(seen)
    assert proc.returncode == -signal.SIGKILL, f"the run ended before {task!r}:\n{out[-3000:]}"
    return out


def test_check_diff_on_fresh_nodes_fails_nothing_and_changes_nothing(fresh_fleet):
    before = {node: node_fingerprint(node) for node in NODES}
    run = site("--check", "--diff")
    recap = assert_converged(run)
    assert all(recap[node]["changed"] > 0 for node in NODES), recap   # it did report changes
    assert "--- before" in run.stdout                                  # with their diffs
    for node in NODES:
        assert changed_paths(before[node], node_fingerprint(node)) == [], node


def test_converge_then_second_converge_changes_nothing(fresh_fleet):
    assert_converged(site())
    fresh_fleet["converged"] = True
    recap = assert_converged(site())
    assert {h: r["changed"] for h, r in recap.items()} == dict.fromkeys(recap, 0)


def test_check_on_the_converged_fleet_reports_no_change(fresh_fleet):
    recap = assert_converged(site("--check"))
    assert {h: r["changed"] for h, r in recap.items()} == dict.fromkeys(recap, 0)
    for node in NODES:
        assert on_node(node, LEFTOVERS) == "", node


def test_killed_during_the_installer_download_the_next_run_converges(fresh_fleet):
    on_node(SPARE, "rm -rf /opt/bulwark/tools/cosign /usr/local/bin/cosign "
                   "/var/cache/bulwark/release-artifacts/cosign")
    kill_at(r"release_artifact : Download http", "--limit", SPARE, "--tags", "ship", delay=0.3)
    # Nothing half-installed went live: no cosign link, or one to a binary that runs.
    state = on_node(SPARE, "if test ! -e /usr/local/bin/cosign; then echo absent; "
                           "elif /usr/local/bin/cosign version >/dev/null; then echo runs; "
                           "else echo broken; fi")
    assert state.strip() in ("absent", "runs")
    assert_converged(site("--limit", SPARE, "--tags", "ship"), hosts=[SPARE])
    assert "GitVersion" in on_node(SPARE, "/usr/local/bin/cosign version 2>&1")
    assert on_node(SPARE, LEFTOVERS) == ""


def test_killed_during_the_falco_rules_swap_live_rules_stay_whole(fresh_fleet):
    rules_dir = "/etc/falco/rules.d"
    before = {p: v for p, v in node_fingerprint(SPARE).items() if p.startswith(rules_dir)}
    extra = json.dumps({"falco_rules_extra": [{
        "name": "fleet_test",
        "content": "- list: bulwark_fleet_test_binaries\n  items: [fleet-test]\n"}]})
    kill_at(r"Swap the validated files in", "--limit", SPARE, "--tags", "run", "-e", extra)
    live = {p: v for p, v in node_fingerprint(SPARE).items() if p.startswith(rules_dir)}
    # The swap renames one validated file at a time: every live file is whole, old or new.
    new_file = f"{rules_dir}/bulwark_50_fleet_test.yaml"
    assert {p: v for p, v in live.items() if p != new_file} == before
    assert_converged(site("--limit", SPARE, "--tags", "run", "-e", extra), hosts=[SPARE])
    assert "bulwark_fleet_test_binaries" in on_node(SPARE, f"cat {new_file}")
    assert on_node(SPARE, LEFTOVERS) == ""
    # and back to the estate's rule set
    assert_converged(site("--limit", SPARE, "--tags", "run"), hosts=[SPARE])
    assert on_node(SPARE, f"test ! -e {new_file} && echo gone").strip() == "gone"


def test_killed_while_writing_policy_json_the_node_keeps_a_valid_policy(fresh_fleet):
    path = "/etc/containers/policy.json"
    old = on_node(SPARE, f"cat {path}")
    registry = os.environ.get("BULWARK_REGISTRY", "127.0.0.1:15000")
    extra = json.dumps({"cosign_policy_requirements": [
        {"name": name, "scope": f"{registry}/bulwark-{name}", "keys": ["bulwark-demo"]}
        for name in ("demo", "fleet-test")]})
    kill_at(r"cosign : Write policy\.json", "--limit", SPARE, "--tags", "ship", "-e", extra)
    now = on_node(SPARE, f"cat {path}")
    assert now == old or f"{registry}/bulwark-fleet-test" in json.loads(now)["transports"]["docker"]
    assert_converged(site("--limit", SPARE, "--tags", "ship", "-e", extra), hosts=[SPARE])
    policy = json.loads(on_node(SPARE, f"cat {path}"))
    assert f"{registry}/bulwark-fleet-test" in policy["transports"]["docker"]
    assert on_node(SPARE, LEFTOVERS) == ""
    assert_converged(site("--limit", SPARE, "--tags", "ship"), hosts=[SPARE])
    assert on_node(SPARE, f"cat {path}") == old


def test_a_node_down_fails_only_that_host(fresh_fleet):
    down = "bulwark-fleet-deb12-b"
    fleet.stop_node(down)
    try:
        run = site()
    finally:
        fleet.start_node(down)
    recap = play_recap(run.stdout)
    assert run.returncode != 0, tail(run)              # the run says a host is missing
    assert recap[down]["unreachable"] == 1, recap
    others = {h: r for h, r in recap.items() if h != down}
    assert set(others) == {*NODES, "localhost"} - {down}, recap
    # the others converge (whatever an earlier test left to change on them)
    assert all(r["failed"] == 0 and r["unreachable"] == 0 for r in others.values()), recap
