# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Helpers of the reliability suite: podman on the lab node and a before/after fingerprint of
the paths a role may write."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from conftest import ansible_env

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "pulumi") not in sys.path:
    sys.path.insert(0, str(ROOT / "pulumi"))  # the Pulumi program's settings (stack config rows)
IMAGE = "localhost/bulwark-lab:trixie"
# What a role may write on a node: listed and hashed before and after a row.
WATCHED = ["/etc", "/opt", "/usr/local", "/var/lib/kubelet", "/var/lib/bulwark", "/var/lib/trivy",
           "/var/cache/bulwark", "/var/cache/trivy"]


def podman(*args, check=True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], env=ansible_env(), capture_output=True, text=True,
                          check=check, **kw)


def node_exec(node: str, *cmd, check=True, **kw) -> subprocess.CompletedProcess:
    return podman("exec", node, *cmd, check=check, **kw)


def fingerprint(node: str, paths=WATCHED) -> dict[str, str]:
    """path -> sha256 (files), '-> target' (links) or 'dir' for everything under `paths`,
    read in one exec."""
    script = ("for p in \"$@\"; do [ -e \"$p\" ] || continue; find \"$p\" -xdev "
              "\\( -type f -exec sha256sum {} + \\) -o \\( -type l -printf '%l  %p\\n' \\) "
              "-o \\( -type d -printf 'dir  %p\\n' \\); done")
    out = node_exec(node, "sh", "-c", script, "sh", *paths).stdout
    return {line.split("  ", 1)[1]: line.split("  ", 1)[0] for line in out.splitlines() if line}


# written by systemd itself while a fresh node boots (ConditionNeedsUpdate), not by a role
BOOT_NOISE = {"/etc/.updated"}


def changed_paths(before: dict, after: dict) -> list[str]:
    return sorted(p for p in set(before) | set(after)
                  if before.get(p) != after.get(p) and p not in BOOT_NOISE)
