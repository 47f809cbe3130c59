# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What the responder's unit, property, reliability, integration tests and bench share: Falco's
documented alert filled in for a container, a webhook sink on 127.0.0.1, a runtime stand-in."""
from __future__ import annotations

import json
import socket
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from ansible_collections.bulwark.container_security.plugins.module_utils.respond.runtime import (
    Container,
)

SAMPLE = Path(__file__).resolve().parents[2] / "fixtures" / "falco_events" / \
    "terminal_shell_in_container.json"


def falco_event(cid="ee97d9c4186f", *, hostname=None, when=None, rule=None, name=None,
                tags=None) -> bytes:
    """Falco's documented alert line (tests/fixtures/falco_events/) with the container id, this
    host's name and the time (now) filled in: one line, no newline."""
    data = json.loads(SAMPLE.read_bytes())
    data["output_fields"]["container.id"] = cid
    if name is not None:
        data["output_fields"]["container.name"] = name
    data["hostname"] = hostname or socket.gethostname()
    when = time.time() if when is None else when
    data["time"] = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(when)) + \
        f".{int(when % 1 * 1e9):09d}Z"
    if rule is not None:
        data["rule"] = rule
    if tags is not None:
        data["tags"] = tags
    return json.dumps(data).encode()


class WebhookSink:
    """An HTTP server on 127.0.0.1 that keeps every POST (body, headers); ``stop`` and ``start``
    again on the same port stand for the webhook going down and coming back."""

    def __init__(self, port: int = 0, status: int = 200):
        self.received, self.headers, self.status = [], [], status
        self.port = port
        self.server = None
        self.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/alerts"

    def start(self) -> None:
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):   # noqa: N802 - the name http.server calls
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                if sink.status < 300:
                    sink.received.append(json.loads(body))
                    sink.headers.append(dict(self.headers))
                self.send_response(sink.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        ThreadingHTTPServer.allow_reuse_address = True
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server:
            self.server.shutdown()
            self.server.server_close()
            self.server = None

    def wait_for(self, count: int, timeout: float = 10.0) -> bool:
        deadline = time.time() + timeout
        while time.time() < deadline:
            if len(self.received) >= count:
                return True
            time.sleep(0.02)
        return len(self.received) >= count


class FakeRuntime:
    """A runtime stand-in for unit tests (the integration test drives real podman)."""

    name = "podman"

    def __init__(self, containers=()):
        self.containers = {c.id: c for c in containers}
        self.calls = []

    def inspect(self, cid):
        self.calls.append(("inspect", cid))
        return next((c for i, c in self.containers.items() if i.startswith(cid)), None)

    def inspect_many(self, ids):
        return {i: c for i in ids for c in [self.inspect(i)] if c}

    def list_ids(self):
        return list(self.containers)

    def act(self, action, container):
        self.calls.append((action, container.id))
        return {"action": action, "ok": True, "detail": "done"}


def container(cid="ee97d9c4186f" + "0" * 52, name="web", image="docker.io/library/alpine",
              labels=None, networks=("podman",)) -> Container:
    return Container(id=cid, name=name, image=image, labels=labels or {}, networks=networks,
                     network_mode="bridge", state="running")
