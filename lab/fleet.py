# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The lab fleet: four systemd nodes (2 x Debian 12, 2 x Debian 13) for site.yml.

Each node is a podman container of the lab images booting systemd, on the host network (the
lab serves its mirror and registry on 127.0.0.1). Their inventory, in site.yml's groups, is
playbooks/lab/fleet_inventory.yml. Standard library only, like lab.py.

    python3 lab/lab.py fleet up       # start the missing nodes, wait until systemd runs
    python3 lab/lab.py fleet down     # remove them
    python3 lab/lab.py fleet status
    python3 lab/lab.py fleet stop NODE | start NODE   # one node down / back (fault tests)
"""
from __future__ import annotations

import subprocess
import time

import lab

# node name -> image dist; the names are the inventory hostnames.
NODES = {
    "bulwark-fleet-deb12-a": "bookworm",
    "bulwark-fleet-deb12-b": "bookworm",
    "bulwark-fleet-deb13-a": "trixie",
    "bulwark-fleet-deb13-b": "trixie",
}
BOOT_TIMEOUT = 90


def _exists(name: str) -> bool:
    return lab.podman("container", "exists", name, check=False).returncode == 0


def _running(name: str) -> bool:
    res = lab.podman("container", "inspect", "--format", "{{.State.Running}}", name,
                     check=False, capture_output=True, text=True)
    return res.returncode == 0 and res.stdout.strip() == "true"


def wait_booted(name: str, timeout: float = BOOT_TIMEOUT) -> str:
    """Wait until systemd in `name` has finished booting; returns its state."""
    deadline = time.monotonic() + timeout
    state = "unknown"
    while time.monotonic() < deadline:
        res = lab.podman("exec", name, "systemctl", "is-system-running", check=False,
                         capture_output=True, text=True)
        state = res.stdout.strip() or "unknown"
        if state in ("running", "degraded"):
            return state
        time.sleep(0.5)
    raise SystemExit(f"[lab] fleet node {name}: systemd not up after {timeout}s ({state})")


def start_node(name: str) -> None:
    dist = NODES[name]
    if not _exists(name):
        lab.build_image(dist)
        lab.podman("run", "-d", "--name", name, "--hostname", name, "--systemd=always",
                   "--network", "host", "--label", "bulwark.lab=fleet",
                   lab.IMAGES[dist]["tag"], "/sbin/init", stdout=subprocess.DEVNULL)
    elif not _running(name):
        lab.podman("start", name, stdout=subprocess.DEVNULL)
    lab.log(f"fleet node {name} (Debian {lab.IMAGES[dist]['debian']}): {wait_booted(name)}")


def stop_node(name: str) -> None:
    if _running(name):
        lab.podman("stop", "-t", "2", name, stdout=subprocess.DEVNULL)
        lab.log(f"fleet node {name}: stopped")


def up() -> None:
    for name in NODES:
        start_node(name)


def down() -> None:
    for name in NODES:
        if _exists(name):
            lab.podman("rm", "-f", "-t", "2", name, stdout=subprocess.DEVNULL)
            lab.log(f"fleet node {name}: removed")


def status() -> list[str]:
    lines = []
    for name, dist in NODES.items():
        state = "running" if _running(name) else ("stopped" if _exists(name) else "absent")
        lines.append(f"fleet\t{name}\tDebian {lab.IMAGES[dist]['debian']}\t{state}")
    return lines


def main(action: str, node: str | None = None) -> None:
    if action in ("start", "stop"):
        if node not in NODES:
            raise SystemExit(f"[lab] fleet {action} needs one of {', '.join(NODES)}; got {node!r}")
        (start_node if action == "start" else stop_node)(node)
    elif action == "up":
        up()
    elif action == "down":
        down()
    else:
        print("\n".join(status()))
