# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Testinfra on the molecule nodes through `podman exec`, not through Ansible.

Molecule hands testinfra its Ansible inventory. Testinfra maps ssh, docker and lxc inventory
hosts to its own fast backends, but not podman: those fall back to the ansible backend, which
runs one ad-hoc Ansible module per `host.file(...)` or `host.run(...)` (about a second each;
the verify steps took 7 to 260 s). Every molecule node here is a podman container named like
its inventory host, so the `host` fixture talks to it with testinfra's podman backend. Tests
name their node with `host.backend.hostname`, which both backends set.
"""
from __future__ import annotations

import pytest
import testinfra


@pytest.fixture(scope="module")
def host(_testinfra_host):
    backend = _testinfra_host.backend
    if backend.NAME != "ansible":
        return _testinfra_host
    return testinfra.get_host(f"podman://{backend.hostname}")
