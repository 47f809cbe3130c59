# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The lab fleet: four systemd nodes (2 x Debian 12, 2 x Debian 13) for site.yml.

Each node is a podman container of the lab images booting systemd, on the host network (the
lab serves its mirror and registry on 127.0.0.1). Ansible reaches each one over SSH, as it
reaches a real estate: sshd on 127.0.0.1 at the node's own port, root with the lab key
.lab/fleet/ssh/id_ed25519 only. (Through `podman exec` every task cost three or four podman
calls, about 0.5 s each on a busy 2-core machine; SSH with pipelining is one round trip on a
kept connection.) Their inventory, in site.yml's groups, is playbooks/lab/fleet_inventory.yml.
Standard library only, like lab.py.

    python3 lab/lab.py fleet up       # start the missing nodes, wait until systemd runs
    python3 lab/lab.py fleet down     # remove them
    python3 lab/lab.py fleet status
    python3 lab/lab.py fleet stop NODE | start NODE   # one node down / back (fault tests)
"""
from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

import lab

# node name -> (image dist, sshd port on 127.0.0.1); the names are the inventory hostnames and
# the ports are in playbooks/lab/fleet_inventory.yml.
NODES = {
    "bulwark-fleet-deb12-a": ("bookworm", 2221),
    "bulwark-fleet-deb12-b": ("bookworm", 2222),
    "bulwark-fleet-deb13-a": ("trixie", 2231),
    "bulwark-fleet-deb13-b": ("trixie", 2232),
}
BOOT_TIMEOUT = 90
INVENTORY = lab.ROOT / "playbooks" / "lab" / "fleet_inventory.yml"
SSH_KEY = lab.STATE / "fleet" / "ssh" / "id_ed25519"
SSHD_CONF = """# lab/fleet.py: the lab fleet node's sshd, for Ansible from the controller only
Port {port}
ListenAddress 127.0.0.1
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
"""


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


def ssh_key() -> Path:
    """The lab's fleet key pair (made once); returns the private key's path."""
    if not SSH_KEY.exists():
        SSH_KEY.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        lab.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "bulwark-lab-fleet",
                 "-f", SSH_KEY])
    return SSH_KEY


def enable_sshd(name: str, port: int) -> None:
    """Host keys, the lab key as root's only key, sshd on its port; waits until it answers."""
    def write(path: str, data: bytes) -> None:
        lab.podman("exec", "-i", name, "sh", "-c", f"umask 077; cat > {path}", input=data)

    lab.podman("exec", name, "sh", "-c", "ssh-keygen -A && install -d -m 0700 /root/.ssh",
               stdout=subprocess.DEVNULL)
    write("/root/.ssh/authorized_keys", ssh_key().with_suffix(".pub").read_bytes())
    write("/etc/ssh/sshd_config.d/bulwark-lab.conf", SSHD_CONF.format(port=port).encode())
    lab.podman("exec", name, "systemctl", "enable", "-q", "--now", "ssh.service")
    deadline = time.monotonic() + 30
    while not lab.port_open(port):
        if time.monotonic() > deadline:
            raise SystemExit(f"[lab] fleet node {name}: sshd not listening on 127.0.0.1:{port}")
        time.sleep(0.2)


def ssh_host_vars(port: int) -> dict:
    """Inventory variables that reach a lab node whose sshd `enable_sshd` turned on (what
    playbooks/lab/fleet_inventory.yml says for the fleet)."""
    return {"ansible_host": "127.0.0.1", "ansible_port": port, "ansible_user": "root",
            "ansible_ssh_private_key_file": str(ssh_key()),
            "ansible_ssh_common_args": "-o UserKnownHostsFile=/dev/null -o LogLevel=ERROR",
            "ansible_python_interpreter": "/usr/bin/python3"}


def start_node(name: str) -> None:
    dist, port = NODES[name]
    if not _exists(name):
        lab.build_image(dist)
        lab.podman("run", "-d", "--name", name, "--hostname", name, "--systemd=always",
                   "--network", "host", "--label", "bulwark.lab=fleet",
                   lab.IMAGES[dist]["tag"], "/sbin/init", stdout=subprocess.DEVNULL)
    elif not _running(name):
        lab.podman("start", name, stdout=subprocess.DEVNULL)
    state = wait_booted(name)
    enable_sshd(name, port)
    lab.log(f"fleet node {name} (Debian {lab.IMAGES[dist]['debian']}): {state}, ssh on :{port}")


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
    for name, (dist, _port) in NODES.items():
        state = "running" if _running(name) else ("stopped" if _exists(name) else "absent")
        lines.append(f"fleet\t{name}\tDebian {lab.IMAGES[dist]['debian']}\t{state}")
    return lines


def play_recap(output: str) -> dict[str, dict[str, int]]:
    """The PLAY RECAP of an ansible-playbook run: {host: {"ok": 3, "changed": 0, ...}}."""
    lines = output.split("PLAY RECAP", 1)[1].splitlines()[1:] if "PLAY RECAP" in output else []
    recap = {}
    for line in lines:
        host, sep, counts = line.partition(" : ")
        if not sep:
            break
        recap[host.strip()] = {k: int(v) for k, v in (c.split("=") for c in counts.split())}
    return recap


def playbook(*args: str, env: dict | None = None, **kw) -> subprocess.CompletedProcess:
    """ansible-playbook from this Python's venv on the fleet inventory, with the collection
    of this checkout and the lab's environment; output captured."""
    venv_bin = Path(sys.executable).parent
    full_env = {**os.environ, **lab.env_vars(),
                "ANSIBLE_COLLECTIONS_PATH": str(lab.ROOT / ".collections"),
                "ANSIBLE_ROLES_PATH": str(lab.ROOT / "roles"),
                "ANSIBLE_CONFIG": str(lab.ROOT / "ansible.cfg"), "ANSIBLE_NOCOLOR": "1",
                "PATH": f"{venv_bin}:{os.environ.get('PATH', '')}", **(env or {})}
    return subprocess.run([str(venv_bin / "ansible-playbook"), "-i", str(INVENTORY), *args],
                          env=full_env, cwd=lab.ROOT, capture_output=True, text=True,
                          check=False, **kw)


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
