# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Shared by the installer's integration tests: run the installer on localhost, count changes,
serve a directory over loopback HTTP and remember what was asked for."""
from __future__ import annotations

import functools
import http.server
import json
import threading
from pathlib import Path

from conftest import lab_mirror_trust, run_playbook

import lab

PLAYBOOK = str(Path(__file__).with_name("install.yml"))


def install(tmp_path, **variables):
    """The installer with install root, bin directory and cache under tmp_path."""
    variables.setdefault("release_artifact_install_root", str(tmp_path / "opt"))
    variables.setdefault("release_artifact_bin_dir", str(tmp_path / "bin"))
    variables.setdefault("release_artifact_cache_dir", str(tmp_path / "cache"))
    (tmp_path / "bin").mkdir(exist_ok=True)
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps(variables))
    return run_playbook([PLAYBOOK, "-e", f"@{varfile}"])


def changed_count(result) -> int:
    line = next(ln for ln in result.stdout.splitlines() if ln.startswith("localhost"))
    return int(line.split("changed=")[1].split()[0])


class RecordingServer:
    """A loopback HTTP server over a directory that remembers every requested path.

    `trust` is what a test passes to the installer with `url` (plain HTTP): the opt-in and
    the sha256 pins of the release assets under `root` as they were when the server started
    (`lab.mirror_pins`, from the files themselves, never from a checksums file it serves)."""

    def __init__(self, root: Path):
        self.requests: list[str] = []
        self.trust = lab_mirror_trust(pins=lab.mirror_pins(root))
        outer = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                outer.requests.append(self.path)

        handler = functools.partial(Handler, directory=str(root))
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def serve_directories():
    """Body of the `recording_mirror` fixture: make(root) -> a RecordingServer over root,
    closed at the end of the test. Test modules register it with
    `pytest.fixture(name="recording_mirror")(serve_directories)`."""
    servers = []

    def make(root: Path) -> RecordingServer:
        srv = RecordingServer(root)
        servers.append(srv)
        return srv

    yield make
    for srv in servers:
        srv.close()
