# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Notifications to the security team's webhook, through an on-disk spool so that none is lost
while the webhook is down.

Every notification is first written to the spool (``<spool_dir>/<sequence>.json``, 0600,
written to a temporary file and renamed), then a delivery thread posts the oldest one, removes
it on a 2xx answer and otherwise retries it with a doubling pause (up to ``retry_max``): they
arrive in order, once the webhook is back, also after a restart (the spool is read again at
start). A notification the webhook rejects as such (400, 413, 415, 422) would block the rest
for ever: it moves to ``<spool_dir>/rejected/`` and the next goes.

The token comes from a file (``read_token``: a regular 0600 file, not a symlink) and travels
only in the Authorization header: never in argv, the environment, the spool or a message.
Redirects are not followed (they would carry the header elsewhere) and proxies from the
environment are not used.
"""
from __future__ import annotations

import http.client
import json
import os
import ssl
import stat
import tempfile
import threading
import urllib.error
import urllib.request

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import redact
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    SETTINGS,
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    webhook_url_error,
)

REJECTED = (400, 413, 415, 422)
MAX_TOKEN_BYTES = 4096


def read_token(path: str) -> str:
    """The webhook token in ``path``; RespondError naming the path (never the content)."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK
                     | getattr(os, "O_CLOEXEC", 0))
    except OSError as exc:
        raise RespondError(SETTINGS, f"token file {path}: cannot open it "
                                     f"({exc.strerror or exc}; a symlink is refused)") from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise RespondError(SETTINGS, f"token file {path} is not a regular file")
        if info.st_mode & 0o077:
            raise RespondError(SETTINGS, f"token file {path} is readable by others (mode "
                                         f"{stat.S_IMODE(info.st_mode):04o}); make it 0600")
        data = os.read(fd, MAX_TOKEN_BYTES + 1)
    finally:
        os.close(fd)
    token = data.decode("utf-8", "replace").strip()
    printable = all(0x21 <= ord(c) <= 0x7e for c in token)
    if len(data) > MAX_TOKEN_BYTES or not token or not printable:
        raise RespondError(SETTINGS, f"token file {path} must hold one line of printable ASCII "
                                     f"(at most {MAX_TOKEN_BYTES} bytes)")
    return token


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None          # the 3xx is then an HTTPError: retried, never followed


class Spool:
    """Numbered notifications in a directory, oldest first."""

    def __init__(self, directory: str, limit: int):
        self.dir, self.limit = directory, limit
        os.makedirs(directory, mode=0o700, exist_ok=True)
        os.makedirs(os.path.join(directory, "rejected"), mode=0o700, exist_ok=True)
        names = self.names()
        self.next = int(names[-1].split(".")[0]) + 1 if names else 1
        self.lock = threading.Lock()

    def names(self) -> list:
        return sorted(n for n in os.listdir(self.dir)
                      if n.endswith(".json") and n.split(".")[0].isdigit())

    def put(self, payload: dict, secrets=()) -> bool:
        """False when the spool holds ``limit`` notifications already (the caller records it).
        ``secrets`` are masked in what is written (an alert's output may quote the token)."""
        data = redact(json.dumps(payload, sort_keys=True), secrets).encode("utf-8")
        with self.lock:
            if len(self.names()) >= self.limit:
                return False
            name = f"{self.next:016d}.json"
            self.next += 1
            fd, tmp = tempfile.mkstemp(dir=self.dir, prefix=".", suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
            os.chmod(tmp, 0o600)
            os.replace(tmp, os.path.join(self.dir, name))
        return True

    def read(self, name: str) -> bytes:
        with open(os.path.join(self.dir, name), "rb") as handle:
            return handle.read()

    def done(self, name: str, rejected: bool = False) -> None:
        path = os.path.join(self.dir, name)
        if rejected:
            os.replace(path, os.path.join(self.dir, "rejected", name))
        else:
            os.unlink(path)


class Notifier:
    """Delivers the spool to ``url`` in order, on its own thread."""

    def __init__(self, url: str, spool: Spool, token: str | None = None, timeout: float = 5,
                 retry_max: float = 30, ca_file: str | None = None, log=None):
        problem = webhook_url_error(url, "webhook.url")
        if problem:
            raise RespondError(SETTINGS, problem)
        self.url, self.spool, self.timeout, self.retry_max = url, spool, timeout, retry_max
        self._token = token
        self.log = log or (lambda message: None)
        context = ssl.create_default_context(cafile=ca_file) if url.startswith("https") else None
        handlers = [urllib.request.ProxyHandler({}), _NoRedirect()]
        if context is not None:
            handlers.append(urllib.request.HTTPSHandler(context=context))
        self.opener = urllib.request.build_opener(*handlers)
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="respond-notify", daemon=True)
        self.delivered = 0

    def start(self) -> Notifier:
        self.thread.start()
        return self

    def submit(self, payload: dict) -> bool:
        queued = self.spool.put(payload, [self._token] if self._token else ())
        self.wake.set()
        return queued

    def pending(self) -> int:
        return len(self.spool.names())

    def stop(self, drain: float = 5.0) -> None:
        """Stop after delivering what is spooled, waiting at most ``drain`` seconds (what is
        left stays spooled for the next start)."""
        self.stopping.set()
        self.wake.set()
        self.thread.join(drain)

    def _post(self, body: bytes):
        """None when delivered, else (rejected?, why)."""
        headers = {"Content-Type": "application/json", "User-Agent": "bulwark-respond"}
        if self._token:
            headers["Authorization"] = f"Bearer {self._token}"
        # the URL is https, or http to loopback: checked by settings and again in __init__
        request = urllib.request.Request(self.url, data=body, headers=headers,  # noqa: S310
                                         method="POST")
        try:
            with self.opener.open(request, timeout=self.timeout) as answer:
                answer.read(65536)
            return None
        except urllib.error.HTTPError as exc:
            return exc.code in REJECTED, f"HTTP {exc.code}"
        except (urllib.error.URLError, OSError, ValueError, http.client.HTTPException) as exc:
            reason = getattr(exc, "reason", exc)
            return False, type(reason).__name__ if not isinstance(reason, str) else "unreachable"

    def _loop(self) -> None:
        while True:
            try:
                if self._deliver():
                    return
            except OSError as exc:    # the spool went away or is unreadable: say so, go on
                self.log(f"notification spool {self.spool.dir}: {exc.strerror or exc}")
                if self.stopping.wait(self.retry_max):
                    return

    def _deliver(self) -> bool:
        """Deliver until stopped (True) or until the spool fails (OSError)."""
        pause = 0.0
        while True:
            names = self.spool.names()
            if not names:
                if self.stopping.is_set():
                    return True
                self.wake.wait(1.0)
                self.wake.clear()
                continue
            failed = self._post(self.spool.read(names[0]))
            if failed is None:
                self.spool.done(names[0])
                self.delivered += 1
                pause = 0.0
                continue
            rejected, why = failed
            if rejected:
                self.spool.done(names[0], rejected=True)
                self.log(f"notification {names[0]} rejected by the webhook ({why}); kept in "
                         f"{self.spool.dir}/rejected")
                continue
            pause = min(self.retry_max, max(0.25, pause * 2))
            self.log(f"webhook not reached ({why}); {len(names)} notification(s) spooled, "
                     f"retrying in {pause:.2f} s")
            if self.stopping.wait(pause):     # new notifications do not shorten the pause
                return True
