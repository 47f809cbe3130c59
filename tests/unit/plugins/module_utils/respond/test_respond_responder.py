# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The responder end to end over a runtime stand-in (the integration test uses real podman):
every line gives one audit record; refused and ignored lines never reach an action."""
from __future__ import annotations

import json

import respond_support
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.audit import (
    AuditLog,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.responder import (
    Responder,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    validate_settings,
)

CID = "ee97d9c4186f"


class Notes:
    def __init__(self):
        self.payloads = []

    def submit(self, payload):
        self.payloads.append(payload)
        return True


def _responder(tmp_path, mode="enforce", containers=None, **extra):
    settings = validate_settings(dict({
        "responses": [{"rule": "Terminal shell in container", "actions": ["notify", "pause"],
                       "mode": mode}],
        "webhook": {"url": "http://127.0.0.1:9/x"},
        "audit_log": {"path": str(tmp_path / "audit.jsonl")}}, **extra))
    runtime = respond_support.FakeRuntime(
        [respond_support.container()] if containers is None else containers)
    notes = Notes()
    responder = Responder(settings, [runtime], AuditLog(settings["audit_log"]["path"]), notes,
                          hostname="node-1")
    return responder, runtime, notes


def _audit(tmp_path):
    return [json.loads(line) for line in (tmp_path / "audit.jsonl").read_text().splitlines()]


def test_enforce_pauses_records_and_notifies(tmp_path):
    responder, runtime, notes = _responder(tmp_path)
    record = responder.handle(respond_support.falco_event(CID, hostname="node-1"))
    assert ("pause", CID + "0" * 52) in runtime.calls
    assert record["actions"] == [{"action": "pause", "ok": True, "detail": "done"}]
    assert record["notify"] == "spooled" and notes.payloads[0]["container"]["name"] == "web"
    assert _audit(tmp_path)[0]["decision"]["mode"] == "enforce"


def test_audit_mode_changes_nothing_but_says_what_it_would_do(tmp_path):
    responder, runtime, notes = _responder(tmp_path, mode="audit")
    record = responder.handle(respond_support.falco_event(CID, hostname="node-1"))
    assert [c for c in runtime.calls if c[0] != "inspect"] == []
    assert record["actions"] == [{"action": "pause", "ok": None,
                                  "detail": "audit mode: would do"}]
    assert notes.payloads and notes.payloads[0]["decision"]["mode"] == "audit"


def test_no_action_on_refused_protected_host_or_unknown(tmp_path):
    protected = respond_support.container(labels={"bulwark.respond/protect": "true"})
    responder, runtime, notes = _responder(tmp_path, containers=[protected])
    lines = [b"not json", respond_support.falco_event("host", hostname="node-1"),
             respond_support.falco_event(CID, hostname="node-1"),
             respond_support.falco_event("bbbbbbbbbbbb", hostname="node-1"),
             respond_support.falco_event(CID, hostname="node-1", name="other", rule="x",
                                         tags=["shell"]),
             respond_support.falco_event(CID, hostname="elsewhere")]
    records = [responder.handle(line) for line in lines]
    assert [c for c in runtime.calls if c[0] != "inspect"] == [] and notes.payloads == []
    assert records[0]["refused"]["reason"] == "malformed"
    assert "host event" in records[1]["decision"]["reason"]
    assert "protect label" in records[2]["decision"]["reason"]
    assert records[3]["refused"] == {"reason": "forged", "message":
                                     "no runtime on this host knows container bbbbbbbbbbbb"}
    assert records[4]["decision"]["reason"] == "no response matches the rule or its tags"
    assert records[5]["refused"]["reason"] == "forged"
    assert len(_audit(tmp_path)) == len(lines)


def test_a_name_the_runtime_denies_is_forged(tmp_path):
    responder, runtime, _notes = _responder(tmp_path)
    record = responder.handle(respond_support.falco_event(CID, hostname="node-1", name="db"))
    assert record["refused"]["reason"] == "forged" and "calls" in record["refused"]["message"]
    assert [c for c in runtime.calls if c[0] != "inspect"] == []


def test_a_forged_name_does_not_silence_the_real_alert(tmp_path):
    responder, runtime, _notes = _responder(tmp_path)
    forged = responder.handle(respond_support.falco_event(CID, hostname="node-1", name="db"))
    assert forged["refused"]["reason"] == "forged"
    real = responder.handle(respond_support.falco_event(CID, hostname="node-1", name="web"))
    assert real["actions"][0]["ok"] is True
    again = responder.handle(respond_support.falco_event(CID, hostname="node-1"))
    assert "duplicate" in again["decision"]["reason"]


def test_an_unwritable_spool_is_recorded_not_fatal(tmp_path):
    responder, runtime, notes = _responder(tmp_path)

    def full(payload):
        raise OSError(28, "No space left on device")
    notes.submit = full
    record = responder.handle(respond_support.falco_event(CID, hostname="node-1"))
    assert record["notify"] == "spool not writable" and record["actions"][0]["ok"]
    assert _audit(tmp_path)[-1]["notify"] == "spool not writable"


def test_warm_cache_answers_without_inspecting_again(tmp_path):
    responder, runtime, _notes = _responder(tmp_path)
    assert responder.warm() == 1
    runtime.calls.clear()
    responder.handle(respond_support.falco_event(CID, hostname="node-1"))
    assert runtime.calls == [("pause", CID + "0" * 52)]
