# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The runtime adapter: the exact argv it runs for each runtime, detection, inspect parsing.
The process is a stand-in here; tests/integration/respond drives real podman."""
from __future__ import annotations

import json
import subprocess

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.runtime import (
    Runtime,
    detect,
)

FULL = "0da7083f58e5" + "ab" * 26
INSPECT = [{"Id": FULL, "Name": "/web", "Config": {"Image": "alpine:3.20", "Labels": {"a": "b"}},
            "NetworkSettings": {"Networks": {"front": {}, "back": {}}},
            "HostConfig": {"NetworkMode": "front"}, "State": {"Status": "running"}}]


class Run:
    def __init__(self, out=b"", code=0, raises=None):
        self.out, self.code, self.raises, self.argv = out, code, raises, []

    def __call__(self, argv, **kw):
        self.argv.append(argv)
        assert kw["stdin"] is subprocess.DEVNULL and kw["timeout"] and "env" in kw
        assert not any("TOKEN" in k for k in kw["env"])
        if self.raises:
            raise self.raises
        return subprocess.CompletedProcess(argv, self.code, self.out, b"Error: no such container")


def test_inspect_parses_docker_and_checks_the_id():
    run = Run(json.dumps(INSPECT).encode())
    container = Runtime("docker", "/usr/bin/docker", run=run).inspect("0da7083f58e5")
    assert run.argv == [["/usr/bin/docker", "container", "inspect", "0da7083f58e5"]]
    assert (container.id, container.name, container.image, container.labels) == (
        FULL, "web", "alpine:3.20", {"a": "b"})
    assert container.networks == ("back", "front")
    # inspect also matches names: an entry whose id does not start with the id asked is not it
    assert Runtime("docker", "docker", run=run).inspect("aaaaaaaaaaaa") is None


def test_unknown_and_broken_answers_are_none():
    assert Runtime("podman", "podman", run=Run(code=125)).inspect("0da7083f58e5") is None
    assert Runtime("podman", "podman", run=Run(b"{not json")).inspect("0da7083f58e5") is None
    assert Runtime("podman", "podman", run=Run(b'[{"Id": 5}]')).inspect("0da7083f58e5") is None


@pytest.mark.parametrize("name, action, argv", [
    ("podman", "pause", ["podman", "pause", FULL]),
    ("podman", "stop", ["podman", "stop", "-t", "10", FULL]),
    ("docker", "kill", ["docker", "kill", "--signal", "KILL", FULL]),
    ("crictl", "stop", ["crictl", "stop", "--timeout", "10", FULL]),
    ("crictl", "kill", ["crictl", "stop", "--timeout", "0", FULL]),
])
def test_action_argv(name, action, argv):
    run = Run(json.dumps(INSPECT).encode())
    container = Runtime("docker", "docker", run=run).inspect(FULL)
    run.argv.clear()
    result = Runtime(name, name, run=run).act(action, container)
    assert run.argv == [argv] and result.pop("seconds") >= 0
    assert result == {"action": action, "ok": True, "detail": "done"}


def test_disconnect_every_network():
    run = Run(json.dumps(INSPECT).encode())
    container = Runtime("docker", "docker", run=run).inspect(FULL)
    run.argv.clear()
    result = Runtime("docker", "docker", run=run).act("disconnect", container)
    assert run.argv == [["docker", "network", "disconnect", "--force", "back", FULL],
                        ["docker", "network", "disconnect", "--force", "front", FULL]]
    assert result["ok"] and "back, front" in result["detail"]
    podman = Run()
    Runtime("podman", "podman", run=podman).act("disconnect", container)
    assert podman.argv[0] == ["podman", "network", "disconnect", "back", FULL]


def test_failures_and_unsupported_are_results_not_exceptions():
    container = Runtime("docker", "docker", run=Run(json.dumps(INSPECT).encode())).inspect(FULL)
    failed = Runtime("podman", "podman", run=Run(code=125)).act("pause", container)
    assert (failed["ok"], failed["detail"]) == (False, "Error: no such container")
    slow = Runtime("podman", "podman", timeout=3,
                   run=Run(raises=subprocess.TimeoutExpired("podman", 3))).act("pause", container)
    assert not slow["ok"] and "longer than 3 s" in slow["detail"]
    crictl = Runtime("crictl", "crictl", run=Run())
    assert "unsupported" in crictl.act("pause", container)["detail"]
    host = container.__class__(id=FULL, name="h", image="i", network_mode="host")
    assert not Runtime("podman", "podman", run=Run()).act("disconnect", host)["ok"]


def test_detect_needs_a_daemon_for_docker_and_crictl(monkeypatch):
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    which = {"podman": "/usr/bin/podman", "docker": "/usr/bin/docker",
             "crictl": "/usr/bin/crictl"}.get
    names = [r.name for r in detect(which=which, exists=lambda p: False)]
    assert names == ["podman"]          # a docker client without its daemon runs nothing
    names = [r.name for r in detect(which=which, exists=lambda p: True)]
    assert names == ["podman", "docker", "crictl"]
    assert [r.name for r in detect("docker", which=which, exists=lambda p: False)] == ["docker"]
    with pytest.raises(RespondError, match="no container runtime found"):
        detect(which=lambda n: None)
