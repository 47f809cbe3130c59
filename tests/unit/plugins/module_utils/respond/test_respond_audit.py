# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The audit log: JSON lines, 0600, appended, rotated, never through a symlink, token-free."""
from __future__ import annotations

import json
import os
import stat

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.audit import (
    AuditLog,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    RespondError,
)


def test_lines_mode_and_append(tmp_path):
    path = tmp_path / "log" / "respond.jsonl"
    log = AuditLog(str(path))
    log.write({"n": 1})
    log.close()
    log = AuditLog(str(path))
    log.write({"n": 2})
    log.close()
    assert [json.loads(line)["n"] for line in path.read_text().splitlines()] == [1, 2]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE(path.parent.stat().st_mode) == 0o700


def test_rotation_keeps_the_newest(tmp_path):
    path = tmp_path / "respond.jsonl"
    log = AuditLog(str(path), max_bytes=4096, keep=2)
    for n in range(300):
        log.write({"n": n, "pad": "x" * 40})
    log.close()
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["respond.jsonl", "respond.jsonl.1", "respond.jsonl.2"]
    numbers = [json.loads(line)["n"] for name in ("respond.jsonl.2", "respond.jsonl.1",
                                                  "respond.jsonl")
               for line in (tmp_path / name).read_text().splitlines()]
    assert numbers == sorted(numbers) and numbers[-1] == 299
    assert all(p.stat().st_size <= 4096 for p in tmp_path.iterdir())


def test_symlink_and_non_files_are_refused(tmp_path):
    target = tmp_path / "elsewhere"
    target.write_text("")
    (tmp_path / "respond.jsonl").symlink_to(target)
    with pytest.raises(RespondError, match="a symlink is refused"):
        AuditLog(str(tmp_path / "respond.jsonl"))
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(RespondError):
        AuditLog(str(tmp_path / "fifo"))


def test_the_token_never_reaches_the_log(tmp_path):
    path = tmp_path / "respond.jsonl"
    log = AuditLog(str(path), secrets=["Zq8-webhook-token-77"])
    log.write({"event": {"output": "curl -H 'X: Zq8-webhook-token-77'"}})
    log.close()
    assert "Zq8-webhook-token-77" not in path.read_text()
