# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Helpers of the reliability suite: podman on the lab node and a before/after fingerprint of
the paths a role may write."""
from __future__ import annotations

import subprocess
from pathlib import Path

from conftest import ansible_env

ROOT = Path(__file__).resolve().parents[2]


def podman(*args, check=True, **kw) -> subprocess.CompletedProcess:
    return subprocess.run(["podman", *args], env=ansible_env(), capture_output=True, text=True,
                          check=check, **kw)


def node_exec(node: str, *cmd, check=True, **kw) -> subprocess.CompletedProcess:
    return podman("exec", node, *cmd, check=check, **kw)
