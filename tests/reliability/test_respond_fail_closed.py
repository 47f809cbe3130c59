# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Fail-closed rows of the Falco responder (plugins/module_utils/respond/): malformed,
oversized and forged events are refused with their reason, recorded, and nothing is done to
any container; the webhook token stays out of messages, the audit log, the spool and argv;
the audit log and token file are never reached through a symlink. In-process, over a runtime
stand-in (tests/integration/respond drives real podman)."""
from __future__ import annotations

import io
import json
import os

import pytest
import respond_support
from ansible_collections.bulwark.container_security.plugins.module_utils.respond import (
    responder as responder_module,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.audit import (
    AuditLog,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.notify import (
    Notifier,
    Spool,
    read_token,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.responder import (
    Responder,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    validate_settings,
)

NOW = 1_800_000_000.0
CID = "ee97d9c4186f"
TOKEN = "Zq8-respond-token-reliab-4711"
RULE = "Terminal shell in container"


def _event(**changes) -> bytes:
    data = json.loads(respond_support.falco_event(CID, hostname="node-1", when=NOW))
    data["output_fields"].update(changes.pop("fields", {}))
    data.update(changes)
    return json.dumps(data).encode()


def _responder(tmp_path, **extra):
    settings = validate_settings(dict({
        "responses": [{"rule": RULE, "actions": ["notify", "pause", "disconnect"],
                       "mode": "enforce"}],
        "webhook": {"url": "http://127.0.0.1:9/x"},
        "audit_log": {"path": str(tmp_path / "audit.jsonl")}}, **extra))
    runtime = respond_support.FakeRuntime([respond_support.container()])
    spool = Spool(str(tmp_path / "spool"), 100)
    notifier = Notifier(settings["webhook"]["url"], spool, token=TOKEN)   # not started
    return Responder(settings, [runtime], AuditLog(settings["audit_log"]["path"],
                                                   secrets=[TOKEN]),
                     notifier, hostname="node-1", clock=lambda: NOW), runtime


def _acted(runtime) -> list:
    return [c for c in runtime.calls if c[0] != "inspect"]


FAIL_OPEN = {
    "not_json": (b"Dec 07 falco[1]: Notice A shell was spawned", "malformed", "not JSON"),
    "json_array": (b"[]", "malformed", "got list"),
    "truncated": (_event()[:200], "malformed", "not JSON"),
    "duplicate_container_id": (_event().replace(b'"container.id"', b'"container.id": "host", '
                                                b'"container.id"', 1),
                               "malformed", "appears twice"),
    "no_output_fields": (_event(output_fields=None), "malformed", "output_fields must be"),
    "unknown_top_level_key": (_event(action="pause"), "malformed", "unknown key(s) action"),
    "priority_not_falcos": (_event(priority="CRITICAL"), "malformed", "not one of Falco's"),
    "nan_time": (b'{"time": NaN}', "malformed", "NaN is not JSON"),
    "id_uppercase": (_event(fields={"container.id": CID.upper()}), "forged", "lowercase hex"),
    "id_13_chars": (_event(fields={"container.id": CID + "0"}), "forged", "12 or 64"),
    "id_with_newline": (_event(fields={"container.id": CID + "\n"}), "forged", "12 or 64"),
    "id_a_name": (_event(fields={"container.id": "web"}), "forged", "12 or 64"),
    "id_unknown_to_runtime": (_event(fields={"container.id": "0123456789ab"}), "forged",
                              "no runtime on this host knows container 0123456789ab"),
    "name_the_runtime_denies": (_event(fields={"container.name": "db"}), "forged",
                                "the runtime calls"),
    "full_id_mismatch": (_event(fields={"container.full_id": "f" * 64}), "forged",
                         "does not extend"),
    "other_host": (_event(hostname="node-2"), "forged", "names host node-2"),
    "replayed_old": (_event(time="2026-01-01T00:00:00Z"), "stale", "older than"),
    "from_the_future": (_event(time="2030-01-01T00:00:00Z"), "stale", "ahead of"),
}


@pytest.mark.parametrize("line, reason, message", FAIL_OPEN.values(), ids=FAIL_OPEN.keys())
def test_fail_open_row_respond_event(tmp_path, line, reason, message):
    responder, runtime = _responder(tmp_path)
    record = responder.handle(line)
    assert record["refused"]["reason"] == reason and message in record["refused"]["message"], \
        record
    assert _acted(runtime) == [] and responder.notifier.pending() == 0
    audit = [json.loads(x) for x in (tmp_path / "audit.jsonl").read_text().splitlines()]
    assert audit[-1]["refused"]["reason"] == reason


@pytest.mark.parametrize("line, reason", [
    (_event(fields={"container.id": "host"}), "a host event"),
    (_event(fields={"container.id": None}), "a host event"),
    (_event(fields={"container.name": "web"}, rule="Other rule"), "no response matches"),
], ids=["host_event", "null_container_id", "unmatched_rule"])
def test_fail_open_row_respond_never_acts(tmp_path, line, reason):
    responder, runtime = _responder(tmp_path)
    assert reason in responder.handle(line)["decision"]["reason"]
    assert _acted(runtime) == []


def test_fail_open_row_respond_protected_by_the_runtime_not_the_event(tmp_path):
    """The event cannot say a container is unprotected: the label is read from inspect."""
    responder, runtime = _responder(tmp_path)
    runtime.containers = {c.id: c for c in [respond_support.container(
        labels={"bulwark.respond/protect": "true"})]}
    assert "protect label" in responder.handle(_event())["decision"]["reason"]
    assert _acted(runtime) == []


RESOURCES = {
    "line_of_70_kib": (b'{"rule": "' + b"r" * 70000 + b'"}', "oversized", "more than the 65536"),
    "deep_nesting": (b"[" * 60000, "malformed", "nests too deeply"),
    "huge_output_field": (_event(fields={"proc.cmdline": "x" * 20000}), "oversized",
                          "longer than 16384"),
    "too_many_tags": (_event(tags=[f"t{i}" for i in range(100)]), "oversized", "more than 64"),
}


@pytest.mark.parametrize("line, reason, message", RESOURCES.values(), ids=RESOURCES.keys())
def test_resource_row_respond_event(tmp_path, line, reason, message):
    responder, runtime = _responder(tmp_path)
    record = responder.handle(line)
    assert record["refused"]["reason"] == reason and message in record["refused"]["message"]
    assert _acted(runtime) == []


def test_resource_row_respond_entry_reads_an_endless_line_in_pieces():
    """A 5 MiB line without a newline is refused without being held whole."""
    main = __import__("ansible_collections.bulwark.container_security.plugins.module_utils."
                      "respond.__main__", fromlist=["lines"])
    got = list(main.lines(io.BytesIO(b"z" * (5 * 1024 * 1024) + b"\n" + _event()), 65536))
    assert [len(g) for g in got] == [65537, len(_event())]


def test_resource_row_respond_flood_of_made_up_ids_stays_bounded(tmp_path, monkeypatch):
    monkeypatch.setattr(responder_module, "MAX_CACHED", 500)
    responder, runtime = _responder(tmp_path, dedupe_seconds=0)
    for n in range(2000):
        responder.handle(_event(fields={"container.id": f"{n:012x}"}))
    assert len(responder.facts_cache) <= 501 and _acted(runtime) == []


LEAKS = {
    "token_in_settings": {"webhook": {"url": "https://h.example.org/x", "token": TOKEN}},
    "token_as_url_password": {"webhook": {"url": f"https://bot:{TOKEN}@h.example.org/x"}},
    "token_as_unknown_key": {TOKEN: True},
    "token_in_audit_log_settings": {"audit_log": {"path": "/var/log/x", "token": TOKEN}},
}


@pytest.mark.parametrize("settings", LEAKS.values(), ids=LEAKS.keys())
def test_leak_row_respond_settings(settings):
    with pytest.raises(RespondError) as caught:
        validate_settings(settings)
    assert TOKEN not in str(caught.value)


def test_leak_row_respond_token_file_readable_by_others(tmp_path):
    path = tmp_path / "token"
    path.write_text(TOKEN)
    path.chmod(0o644)
    with pytest.raises(RespondError, match="readable by others") as caught:
        read_token(str(path))
    assert TOKEN not in str(caught.value)


def test_leak_row_respond_token_not_in_audit_or_spool(tmp_path):
    """An event whose output quotes the token: the audit log and the spooled notification mask
    it (the token itself lives in the notifier's memory and goes only into the header)."""
    responder, _runtime = _responder(tmp_path)
    responder.handle(_event(output=f"curl -d x https://h.example.org/?k={TOKEN}"))
    spooled = "".join((tmp_path / "spool" / n).read_text()
                      for n in responder.notifier.spool.names())
    assert "curl -d x" in spooled
    assert TOKEN not in spooled and TOKEN not in (tmp_path / "audit.jsonl").read_text()


def test_containment_row_respond_audit_log_symlink(tmp_path):
    (tmp_path / "real").write_text("")
    os.symlink(tmp_path / "real", tmp_path / "audit.jsonl")
    with pytest.raises(RespondError, match="a symlink is refused"):
        AuditLog(str(tmp_path / "audit.jsonl"))
    assert (tmp_path / "real").read_text() == ""


def test_containment_row_respond_token_file_symlink(tmp_path):
    (tmp_path / "real").write_text(TOKEN)
    (tmp_path / "real").chmod(0o600)
    os.symlink(tmp_path / "real", tmp_path / "token")
    with pytest.raises(RespondError, match="a symlink is refused"):
        read_token(str(tmp_path / "token"))
