# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""P1: per-task time of a converged site.yml run on one node vs Ansible's floor.

Side by side in one run, on one lab fleet node (lab/fleet.py, reached over SSH):
  a. playbooks/site.yml on that node once it is converged (every task a no-op), and
  b. a playbook of as many `ansible.builtin.stat` tasks as (a) ran, on the same node,
and the ratio of their per-task times (goal <= 1.5x). The ten slowest tasks of (a), from the
ansible.posix.profile_tasks callback, say where the time goes.

    python3 lab/lab.py exec --services -- .venv/bin/python bench/fleet_task_overhead.py
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lab"))
import fleet  # noqa: E402

NODE = "bulwark-fleet-deb13-a"   # builder and node: the longest path through site.yml
PROFILE = {"ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
           "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "10"}


def timed_run(*args: str, env: dict | None = None):
    start = time.perf_counter()
    run = fleet.playbook(*args, env=env)
    elapsed = time.perf_counter() - start
    if run.returncode != 0:
        sys.exit(f"ansible-playbook {' '.join(args)} failed:\n{(run.stdout + run.stderr)[-3000:]}")
    return elapsed, run


def tasks_run(run) -> int:
    r = fleet.play_recap(run.stdout)[NODE]
    return r["ok"] + r["skipped"] + r["failed"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2)
    rounds = parser.parse_args().rounds
    fleet.start_node(NODE)
    prepare = fleet.playbook("playbooks/lab/fleet_prepare.yml", "--limit", f"{NODE},localhost")
    if prepare.returncode:
        sys.exit(prepare.stdout[-3000:])
    timed_run("playbooks/site.yml", "--limit", NODE)          # converge first (not measured)
    site_times, floor_times, profile = [], [], ""
    for _round in range(rounds):
        elapsed, run = timed_run("playbooks/site.yml", "--limit", NODE, env=PROFILE)
        n = tasks_run(run)
        site_times.append(elapsed / n)
        profile = run.stdout.split("=" * 20, 1)[-1]
        with tempfile.NamedTemporaryFile("w", suffix=".yml", delete=False) as f:
            f.write(f"- hosts: {NODE}\n  gather_facts: false\n  tasks:\n")
            f.write("    - {ansible.builtin.stat: {path: /etc/hostname}}\n" * n)
        elapsed, run = timed_run(f.name, "--limit", NODE)
        Path(f.name).unlink()
        floor_times.append(elapsed / tasks_run(run))
    site, floor = min(site_times), min(floor_times)
    print(f"P1 converged site.yml on {NODE}: {n} tasks, {site * 1000:.0f} ms per task "
          f"(best of {rounds})")
    print(f"P1 the same number of ansible.builtin.stat tasks: {floor * 1000:.0f} ms per task")
    print(f"P1 ratio site.yml / stat floor: {site / floor:.2f}x (goal <= 1.5x)")
    print("P1 slowest tasks of the converged run (profile_tasks):")
    print("\n".join("  " + line for line in profile.strip().splitlines()[-10:]))


if __name__ == "__main__":
    main()
