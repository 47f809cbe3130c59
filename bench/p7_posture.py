# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""P7: the posture report of N nodes vs `ansible.builtin.setup` on the same nodes (goal: <= 2x).

One run side by side, each measured end to end as a user runs it (process start included):
  * ansible <nodes> -m ansible.builtin.setup          - what gathering facts costs anyway
  * ansible <nodes> -m bulwark_posture_facts          - the posture module alone
  * ansible-playbook playbooks/posture.yml            - the whole report (module + cluster
                                                        side + schema check + three files)

    python3 lab/lab.py exec -- .venv/bin/python bench/p7_posture.py                  # lab fleet
    python3 lab/lab.py exec -- .venv/bin/python bench/p7_posture.py -i inv.yml --hosts 'a:b'
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent


def env() -> dict:
    out = dict(os.environ)
    out.update({"ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
                "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1"})
    return out


def timed(argv) -> float:
    start = time.perf_counter()
    res = subprocess.run(argv, env=env(), cwd=ROOT, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if res.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed (rc={res.returncode}):\n{res.stdout[-2000:]}"
                         f"\n{res.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-i", "--inventory",
                        default=str(ROOT / "playbooks" / "lab" / "fleet_inventory.yml"))
    parser.add_argument("--hosts", default="bulwark_nodes", help="the nodes (an inventory pattern)")
    args = parser.parse_args()
    inv = ["-i", args.inventory]
    listed = subprocess.run([str(BIN / "ansible"), *inv, args.hosts, "--list-hosts"], env=env(),
                            cwd=ROOT, capture_output=True, text=True, check=True).stdout
    nodes = len([line for line in listed.splitlines()[1:] if line.strip()])
    with tempfile.TemporaryDirectory() as out:
        setup = timed([str(BIN / "ansible"), *inv, args.hosts, "-m", "ansible.builtin.setup"])
        module = timed([str(BIN / "ansible"), *inv, args.hosts, "-m",
                        "bulwark.container_security.bulwark_posture_facts"])
        report = timed([str(BIN / "ansible-playbook"), *inv, "playbooks/posture.yml",
                        "-e", f"posture_hosts={args.hosts}", "-e", f"posture_output_dir={out}"])
    print(f"P7 posture vs ansible.builtin.setup on {nodes} node(s), one run each (goal <= 2.00x)")
    print(f"  ansible.builtin.setup            {setup:7.1f} s   1.00x")
    print(f"  bulwark_posture_facts            {module:7.1f} s   {module / setup:.2f}x")
    print(f"  posture.yml (whole report)       {report:7.1f} s   {report / setup:.2f}x")


if __name__ == "__main__":
    main()
