# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""A TCP proxy (stdlib asyncio) that puts real round-trip latency in front of a lab service,
and resets connections on request.

Every segment read from one side reaches the other `delay_ms` later (default 20 ms each way,
so 40 ms per round trip); segments keep their order and are not serialised behind each other,
so the delay models distance, not bandwidth.

Control file (JSON, re-read whenever it changes, so a running daemon can be steered):
    {"delay_ms": 20, "reset_on": "PUT /v2/", "reset_count": 1}
`reset_on`: when bytes from the client contain this text, the segment is not forwarded and both
connections are reset (RST); `reset_count` limits how many connections are reset (absent: all).

    python3 lab/latency_proxy.py --listen 15080 --upstream 127.0.0.1:15000 [--delay-ms 20]
        [--control .lab/run/proxy.json]
`lab.py proxy start|stop` runs it in front of the lab registry.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import socket
import struct
import sys
import time

PORT = int(os.environ.get("BULWARK_PROXY_PORT", "15080"))
DELAY_MS = float(os.environ.get("BULWARK_PROXY_DELAY_MS", "20"))


class Control:
    """The proxy's settings, from the command line and the control file."""

    def __init__(self, delay_ms: float = 20.0, path: str | None = None):
        self.delay = delay_ms / 1000.0
        self.reset_on: bytes | None = None
        self.reset_left: int | None = None
        self.resets = 0
        self.path = path
        self._mtime = None

    def refresh(self) -> None:
        if not self.path:
            return
        try:
            mtime = os.stat(self.path).st_mtime_ns
        except OSError:
            return
        if mtime == self._mtime:
            return
        self._mtime = mtime
        try:
            with open(self.path) as f:
                doc = json.load(f)
        except (OSError, ValueError):
            return
        if "delay_ms" in doc:
            self.delay = float(doc["delay_ms"]) / 1000.0
        self.reset_on = doc["reset_on"].encode() if doc.get("reset_on") else None
        self.reset_left = doc.get("reset_count")

    def should_reset(self, data: bytes) -> bool:
        if self.reset_on is None or self.reset_on not in data:
            return False
        if self.reset_left is not None:
            if self.reset_left <= 0:
                return False
            self.reset_left -= 1
        self.resets += 1
        return True


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with RST (SO_LINGER 0), as a dropped connection looks to the peer."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        try:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        except OSError:
            pass
    writer.transport.abort()


async def _pump(reader, writer, control: Control, from_client: bool, peer_writer) -> None:
    """Read segments and deliver each `delay` after it arrived, in order."""
    queue: asyncio.Queue = asyncio.Queue()

    async def deliver():
        while True:
            due, data = await queue.get()
            if data is None:
                break
            wait = due - time.monotonic()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()

    sender = asyncio.ensure_future(deliver())
    try:
        while True:
            data = await reader.read(65536)
            if not data:
                break
            if from_client:
                control.refresh()
                if control.should_reset(data):
                    _reset(writer)
                    _reset(peer_writer)
                    break
            await queue.put((time.monotonic() + control.delay, data))
    except (ConnectionError, OSError):
        pass
    finally:
        await queue.put((0, None))
        try:
            await sender
        except (ConnectionError, OSError):
            pass


async def _handle(client_reader, client_writer, upstream, control: Control) -> None:
    try:
        up_reader, up_writer = await asyncio.open_connection(*upstream)
    except OSError:
        _reset(client_writer)
        return
    try:
        await asyncio.gather(
            _pump(client_reader, up_writer, control, True, client_writer),
            _pump(up_reader, client_writer, control, False, up_writer))
    finally:
        for w in (up_writer, client_writer):
            w.close()


async def serve(listen_port: int, upstream: tuple, control: Control, ready=None):
    server = await asyncio.start_server(lambda r, w: _handle(r, w, upstream, control),
                                        "127.0.0.1", listen_port)
    if ready is not None:
        ready(server)
    async with server:
        await server.serve_forever()


def control_path():
    import lab
    return lab.STATE / "run" / "proxy.json"


def set_control(**settings) -> None:
    """Steer the running lab proxy: delay_ms, reset_on, reset_count (see the docstring)."""
    path = control_path()
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(settings))
    os.replace(tmp, path)


def lab_start(port: int = PORT, delay_ms: float = DELAY_MS) -> str:
    """The proxy in front of the lab registry as a lab daemon (`proxy`); returns host:port."""
    import lab
    set_control(delay_ms=delay_ms)
    lab.start_daemon("proxy", [sys.executable, os.path.abspath(__file__), "--listen", port,
                               "--upstream", f"127.0.0.1:{lab.REGISTRY_PORT}",
                               "--delay-ms", delay_ms, "--control", control_path()], port)
    return f"127.0.0.1:{port}"


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--listen", type=int, required=True)
    p.add_argument("--upstream", required=True, help="host:port")
    p.add_argument("--delay-ms", type=float, default=20.0)
    p.add_argument("--control", help="JSON control file (see above)")
    a = p.parse_args(argv)
    host, _sep, port = a.upstream.rpartition(":")
    control = Control(a.delay_ms, a.control)
    control.refresh()
    try:
        asyncio.run(serve(a.listen, (host, int(port)), control))
    except KeyboardInterrupt:
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
