# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the responder's event reader and of the responder over it
(plugins/module_utils/respond/): any line is refused with RespondError or read into an event
whose container id is None or a 12/64 hex id; whatever the line, nothing is done to a container
unless the line was read, matched a response in enforce mode and the runtime knows the
container; never a traceback."""
from __future__ import annotations

import json
import re

import respond_support
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.audit import (
    AuditLog,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.events import (
    PRIORITIES,
    read_event,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.responder import (
    Responder,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    validate_settings,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import refused_or_right
from .odd_inputs import json_like, odd_text, wrong_type

NOW = 1_800_000_000.0
KNOWN = "ee97d9c4186f"
ID = re.compile(r"[0-9a-f]{12}|[0-9a-f]{64}")
SAMPLE = json.loads(respond_support.falco_event(KNOWN, hostname="node-1", when=NOW))
KEYS = sorted(SAMPLE) + ["message", "extra"]
FIELD_KEYS = sorted(SAMPLE["output_fields"]) + ["container.name", "container.full_id"]
VALUES = st.one_of(odd_text(words=[KNOWN, "host", "Critical", "node-1", "syscall"]),
                   wrong_type(), st.sampled_from(list(PRIORITIES)),
                   st.sampled_from([KNOWN, KNOWN + "0" * 52, "host", "EE97D9C4186F", "a" * 64]))


@st.composite
def mutated(draw) -> bytes:
    """Falco's documented alert with keys dropped, replaced or added, or its bytes cut."""
    data = json.loads(json.dumps(SAMPLE))
    for _step in range(draw(st.integers(0, 4))):
        where = draw(st.sampled_from(["top", "fields"]))
        fields = data.get("output_fields")
        target = fields if where == "fields" and isinstance(fields, dict) else data
        key = draw(st.sampled_from(KEYS if where == "top" else FIELD_KEYS))
        if draw(st.booleans()):
            target.pop(key, None)
        else:
            target[key] = draw(VALUES | json_like(st.text(max_size=6), max_leaves=4))
    line = json.dumps(data).encode()
    if draw(st.integers(0, 9)) == 0:
        line = line[:draw(st.integers(0, len(line)))]
    return line


LINES = st.one_of(mutated(), st.binary(max_size=300),
                  json_like(st.text(max_size=8)).map(lambda v: json.dumps(v).encode()))


def _check(event) -> None:
    assert event.container_id is None or ID.fullmatch(event.container_id)
    assert event.priority in PRIORITIES and event.rule.strip()
    assert abs(event.time - NOW) <= 300


@given(LINES)
def test_any_line_is_refused_or_a_falco_alert(line):
    refused_or_right(lambda: read_event(line, NOW, hostname="node-1"), RespondError, _check)


@given(st.lists(LINES, min_size=1, max_size=6), st.sampled_from(["audit", "enforce"]))
def test_nothing_is_done_to_a_container_for_a_line_that_should_not(
        tmp_path_factory, lines, mode):
    tmp = tmp_path_factory.mktemp("respond")
    settings = validate_settings({
        "responses": [{"rule": SAMPLE["rule"], "actions": ["pause", "disconnect"],
                       "mode": mode}],
        "audit_log": {"path": str(tmp / "audit.jsonl")}, "dedupe_seconds": 0})
    runtime = respond_support.FakeRuntime([respond_support.container()])
    responder = Responder(settings, [runtime], AuditLog(settings["audit_log"]["path"]),
                          hostname="node-1", clock=lambda: NOW)
    for line in lines:
        before = len([c for c in runtime.calls if c[0] != "inspect"])
        record = responder.handle(line)
        acted = len([c for c in runtime.calls if c[0] != "inspect"]) - before
        should = ("refused" not in record and record["decision"]["verdict"] == "respond"
                  and record["decision"]["mode"] == "enforce")
        if should:
            assert record["event"]["container_id"].startswith(KNOWN)
            assert record["event"]["rule"] == SAMPLE["rule"] and mode == "enforce"
        assert acted == (2 if should else 0), record
    records = (tmp / "audit.jsonl").read_text().splitlines()
    assert len(records) == len(lines)
