# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The webhook: spooled, delivered in order once the sink is back, token only in the header."""
from __future__ import annotations

import os
import stat

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.notify import (
    Notifier,
    Spool,
    read_token,
)
from respond_support import WebhookSink

TOKEN = "Zq8-webhook-token-77"


def test_delivered_in_order_with_the_token_in_the_header(tmp_path):
    sink = WebhookSink()
    notifier = Notifier(sink.url, Spool(str(tmp_path / "spool"), 100), token=TOKEN,
                        retry_max=1).start()
    for n in range(5):
        assert notifier.submit({"n": n})
    assert sink.wait_for(5)
    notifier.stop()
    sink.stop()
    assert [r["n"] for r in sink.received] == [0, 1, 2, 3, 4]
    assert sink.headers[0]["Authorization"] == f"Bearer {TOKEN}"
    assert notifier.pending() == 0


def test_nothing_lost_while_the_webhook_is_down(tmp_path):
    sink = WebhookSink()
    port = sink.port
    sink.stop()
    spool = Spool(str(tmp_path / "spool"), 100)
    notifier = Notifier(f"http://127.0.0.1:{port}/alerts", spool, retry_max=0.5).start()
    for n in range(3):
        notifier.submit({"n": n})
    files = [tmp_path / "spool" / name for name in spool.names()]
    assert len(files) == 3 and all(stat.S_IMODE(f.stat().st_mode) == 0o600 for f in files)
    assert TOKEN not in "".join(f.read_text() for f in files)
    sink = WebhookSink(port)
    assert sink.wait_for(3)
    notifier.stop()
    sink.stop()
    assert [r["n"] for r in sink.received] == [0, 1, 2]


def test_a_restart_delivers_what_the_last_run_spooled(tmp_path):
    Spool(str(tmp_path / "spool"), 100).put({"n": "old"})
    spool = Spool(str(tmp_path / "spool"), 100)
    spool.put({"n": "new"})
    sink = WebhookSink()
    notifier = Notifier(sink.url, spool).start()
    assert sink.wait_for(2)
    notifier.stop()
    sink.stop()
    assert [r["n"] for r in sink.received] == ["old", "new"]


def test_rejected_notifications_move_aside(tmp_path):
    sink = WebhookSink(status=422)
    spool = Spool(str(tmp_path / "spool"), 100)
    notifier = Notifier(sink.url, spool).start()
    notifier.submit({"n": 1})
    notifier.stop(drain=3)
    sink.stop()
    assert spool.names() == [] and len(os.listdir(tmp_path / "spool" / "rejected")) == 1


def test_full_spool_says_so(tmp_path):
    spool = Spool(str(tmp_path / "spool"), 10)
    assert all(spool.put({"n": n}) for n in range(10))
    assert spool.put({"n": 10}) is False


def test_plain_http_to_another_host_is_refused(tmp_path):
    with pytest.raises(RespondError, match="loopback"):
        Notifier("http://hooks.example.org/x", Spool(str(tmp_path / "s"), 10))


def test_read_token(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN + "\n")
    path.chmod(0o600)
    assert read_token(str(path)) == TOKEN
    path.chmod(0o644)
    with pytest.raises(RespondError, match="readable by others") as caught:
        read_token(str(path))
    assert TOKEN not in str(caught.value)
    link = tmp_path / "link"
    link.symlink_to(path)
    with pytest.raises(RespondError, match="symlink is refused"):
        read_token(str(link))
    os.mkfifo(tmp_path / "fifo", 0o600)
    with pytest.raises(RespondError, match="not a regular file"):
        read_token(str(tmp_path / "fifo"))
