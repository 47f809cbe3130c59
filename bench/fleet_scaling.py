# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""P2: converging four fresh fleet nodes vs one, with forks >= 4.

Side by side in one run: playbooks/site.yml on one fresh node (the builder, the longest path)
and then on all four fresh lab fleet nodes (lab/fleet.py), each time right after the nodes
were created and prepared (playbooks/lab/fleet_prepare.yml; node boot and preparation are
not timed). Linear scaling would be 4x; the goal is <= 2x. The ten slowest tasks of the
four-node run (ansible.posix.profile_tasks) say where the time goes.

    python3 lab/lab.py exec --services -- .venv/bin/python bench/fleet_scaling.py
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lab"))
import fleet  # noqa: E402

ONE = "bulwark-fleet-deb13-a"
ENV = {"ANSIBLE_FORKS": "5", "ANSIBLE_CALLBACKS_ENABLED": "ansible.posix.profile_tasks",
       "PROFILE_TASKS_TASK_OUTPUT_LIMIT": "10"}


def fresh_converge(nodes: list[str]) -> tuple[float, str]:
    fleet.down()
    for node in nodes:
        fleet.start_node(node)
    limit = ",".join(nodes)
    prepare = fleet.playbook("playbooks/lab/fleet_prepare.yml", "--limit", f"{limit},localhost")
    if prepare.returncode:
        sys.exit(prepare.stdout[-3000:])
    start = time.perf_counter()
    run = fleet.playbook("playbooks/site.yml", "--limit", limit, env=ENV)
    elapsed = time.perf_counter() - start
    recap = fleet.play_recap(run.stdout)
    if run.returncode or any(recap[n]["failed"] or recap[n]["unreachable"] for n in nodes):
        sys.exit(f"site.yml on {limit} failed:\n{(run.stdout + run.stderr)[-3000:]}")
    return elapsed, run.stdout.split("=" * 20, 1)[-1]


def main() -> None:
    one = fresh_converge([ONE])[0]
    four, profile = fresh_converge(list(fleet.NODES))
    print(f"P2 fresh converge, 1 node ({ONE}): {one:.0f} s")
    print(f"P2 fresh converge, 4 nodes (forks {ENV['ANSIBLE_FORKS']}): {four:.0f} s")
    print(f"P2 ratio 4 nodes / 1 node: {four / one:.2f}x (goal <= 2x, linear 4x)")
    print("P2 slowest tasks of the four-node run (profile_tasks):")
    print("\n".join("  " + line for line in profile.strip().splitlines()[-10:]))


if __name__ == "__main__":
    main()
