# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Secrets and leak rows of the docker credential helpers (signing/logins.py), with a real
helper process (tests/unit/support/credential_helpers.py) and, for the success path, the
probe's real transport (cosign/module.py registry_request) against a local Basic-auth
registry stand-in on 127.0.0.1.

For every row the helper's secret must be in no message or result, in no process argument
list or environment (the helper records its own; /proc is sampled while the row runs) and
reach only the registry, in its Authorization header."""
from __future__ import annotations

import base64
import http.server
import json
import os
import threading
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    logins as credentials,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from credential_helpers import login, runs, write_helper

SECRET = "CrEdHelper-S3cret-71d0"
BASIC = "Basic " + base64.b64encode(f"ci:{SECRET}".encode()).decode()


class ProcWatcher(threading.Thread):
    """Every /proc/<pid>/cmdline and environ, every 5 ms, until stopped: `seen` lists the
    pids whose argv or environment held the secret."""

    def __init__(self):
        super().__init__(daemon=True)
        self.seen, self.scans = [], 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.005):
            self.scans += 1
            for pid in (p for p in os.listdir("/proc") if p.isdigit()):
                for name in ("cmdline", "environ"):
                    try:
                        text = Path(f"/proc/{pid}/{name}").read_bytes()
                    except OSError:
                        continue
                    if SECRET.encode() in text:
                        self.seen.append((pid, name))


class _Registry(http.server.BaseHTTPRequestHandler):
    seen = []

    def do_GET(self):  # noqa: N802 (http.server's name)
        type(self).seen.append(self.headers.get("Authorization"))
        ok = self.headers.get("Authorization") == BASIC
        self.send_response(200 if ok else 401)
        if not ok:
            self.send_header("WWW-Authenticate", 'Basic realm="lab"')
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


@pytest.fixture
def helper_env(tmp_path, monkeypatch):
    bin_dir, config = tmp_path / "bin", tmp_path / "docker"
    bin_dir.mkdir()
    config.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    monkeypatch.setattr(credentials, "HELPER_TIMEOUT", 1)
    return bin_dir, config


def _watched(call):
    watcher = ProcWatcher()
    watcher.start()
    try:
        return call(), watcher
    except CosignError as error:
        return error, watcher
    finally:
        watcher.stop.set()
        watcher.join()


def _assert_kept(bin_dir, name, watcher, *texts):
    assert watcher.scans > 0 and watcher.seen == []
    for run in runs(bin_dir, name):
        assert SECRET not in json.dumps(run["argv"]) + json.dumps(run["env"])
    for text in texts:
        assert SECRET not in str(text)


@pytest.mark.parametrize("store", [pytest.param("credsStore", id="credsStore-probe-login"),
                                   pytest.param("credHelpers", id="credHelpers-probe-login")])
def test_secrets_row_credential_helper(store, helper_env):
    """Kept: the helper's secret reaches the registry's Authorization header and nothing else
    (the probe's status and body, argv and environment of every process, the helper's own)."""
    from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
        module,
    )
    bin_dir, config = helper_env
    server = http.server.HTTPServer(("127.0.0.1", 0), _Registry)
    host = f"127.0.0.1:{server.server_port}"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    write_helper(bin_dir, "lab", {host: login(host, "ci", SECRET)})
    (config / "config.json").write_text(json.dumps(
        {"credsStore": "lab"} if store == "credsStore" else {"credHelpers": {host: "lab"}}))
    _Registry.seen = []
    try:
        answer, watcher = _watched(lambda: module.registry_getter()(
            f"http://{host}/v2/a/tags/list", "application/json"))
    finally:
        server.shutdown()
    assert answer == (200, b"{}")
    assert _Registry.seen == [None, BASIC]
    assert [r["stdin"] for r in runs(bin_dir, "lab")] == [host]
    _assert_kept(bin_dir, "lab", watcher, answer)


@pytest.mark.parametrize("answers, kwargs, fragment", [
    pytest.param({"*": (1, f"error: {SECRET}")}, {"stderr": SECRET}, "failed for ghcr.io (exit 1)",
                 id="helper-exit-1-echoing-the-secret"),
    pytest.param({"*": (0, '{"Username": "ci", "Secret": "' + SECRET + '"')}, {},
                 "did not answer ghcr.io with JSON", id="helper-truncated-json-with-secret"),
    pytest.param({"*": (0, SECRET * 60000)}, {}, "more than 1048576 bytes",
                 id="helper-answer-oversized"),
    pytest.param({"*": login("ghcr.io", "ci", SECRET)}, {"sleep": 4},
                 "did not answer within 1 s for ghcr.io", id="helper-timeout"),
])
def test_leak_row_credential_helper(answers, kwargs, fragment, helper_env):
    """Refused naming the helper and the server, never echoing what the helper printed."""
    bin_dir, config = helper_env
    write_helper(bin_dir, "lab", answers, **kwargs)
    (config / "config.json").write_text(json.dumps({"credHelpers": {"ghcr.io": "lab"}}))
    error, watcher = _watched(lambda: credentials.docker_config_credentials("ghcr.io"))
    assert isinstance(error, CosignError) and error.reason == "registry_auth"
    assert "docker-credential-lab" in error.message and fragment in error.message
    _assert_kept(bin_dir, "lab", watcher, error.message, repr(error))
