# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The responder's audit log: one JSON object per line (event, decision, actions and their
results, notification), appended and never rewritten, mode 0600.

The file is opened with O_APPEND and O_NOFOLLOW (a symlink planted at its path is refused,
never followed) and must be a regular file. When the next line would take it past
``max_bytes`` it is rotated: ``respond.jsonl.N`` are renamed one up (the oldest beyond ``keep``
goes), the file becomes ``.1`` and a new one is opened. Every line passes through the one
redaction with the webhook token, so not even a bug elsewhere writes it here.
"""
from __future__ import annotations

import json
import os
import stat
import time

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import redact
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    SETTINGS,
    RespondError,
)

# O_NONBLOCK: a FIFO planted at the path fails at once instead of blocking the responder
FLAGS = (os.O_WRONLY | os.O_APPEND | os.O_CREAT | os.O_NOFOLLOW | os.O_NONBLOCK
         | getattr(os, "O_CLOEXEC", 0))


def utc_now(now: float) -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(now)) + f".{int(now % 1 * 1e6):06d}Z"


class AuditLog:
    def __init__(self, path: str, max_bytes: int = 10 * 1024 * 1024, keep: int = 5,
                 secrets=()):
        self.path, self.max_bytes, self.keep = path, max_bytes, keep
        self.secrets = [s for s in secrets if s]
        self.fd = None
        self.size = 0
        parent = os.path.dirname(path)
        if parent and not os.path.isdir(parent):
            os.makedirs(parent, mode=0o700, exist_ok=True)
        self._open()

    def _open(self) -> None:
        try:
            fd = os.open(self.path, FLAGS, 0o600)
        except OSError as exc:
            raise RespondError(SETTINGS, f"audit log {self.path}: cannot open it for appending "
                                         f"({exc.strerror or exc}; a symlink is refused)") from None
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            os.close(fd)
            raise RespondError(SETTINGS, f"audit log {self.path} is not a regular file")
        os.fchmod(fd, 0o600)
        self.fd, self.size = fd, info.st_size

    def _rotate(self) -> None:
        os.close(self.fd)
        for n in range(self.keep, 0, -1):
            older = f"{self.path}.{n}"
            newer = f"{self.path}.{n - 1}" if n > 1 else self.path
            if os.path.lexists(newer):
                if n == self.keep and os.path.lexists(older):
                    os.unlink(older)
                os.replace(newer, older)
        self._open()

    def write(self, record: dict) -> None:
        line = redact(json.dumps(record, sort_keys=True, ensure_ascii=True, default=str),
                      self.secrets) + "\n"
        data = line.encode("ascii")
        if self.size and self.size + len(data) > self.max_bytes:
            self._rotate()
        os.write(self.fd, data)
        self.size += len(data)

    def close(self) -> None:
        if self.fd is not None:
            os.fsync(self.fd)
            os.close(self.fd)
            self.fd = None
