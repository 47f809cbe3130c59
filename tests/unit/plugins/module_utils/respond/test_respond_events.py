# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The event reader against Falco's documented JSON alert (tests/fixtures/falco_events/, with
the time moved to now and the host named) and against what must be refused."""
from __future__ import annotations

import json

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    FORGED,
    MALFORMED,
    OVERSIZED,
    STALE,
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.events import (
    parse_time,
    read_event,
)

NOW = parse_time("2023-05-25T13:44:05.478445995Z") + 1.0   # one second after the sample


@pytest.fixture
def sample(shared_fixtures) -> bytes:
    return (shared_fixtures / "falco_events" / "terminal_shell_in_container.json").read_bytes()


def _edit(sample: bytes, **changes) -> bytes:
    data = json.loads(sample)
    fields = changes.pop("fields", {})
    data["output_fields"].update(fields)
    data.update(changes)
    for key, value in list(data.items()):
        if value is KeyError:
            del data[key]
    return json.dumps(data).encode()


def test_reads_falcos_documented_alert(sample):
    event = read_event(sample.rstrip(b"\n"), NOW, hostname="falco-xczjd")
    assert (event.rule, event.priority, event.hostname, event.source) == (
        "Terminal shell in container", "Critical", "falco-xczjd", "syscall")
    assert event.tags == ("container", "mitre_execution", "shell")
    assert event.container_id == "ee97d9c4186f" and event.image == "docker.io/library/alpine"
    assert event.container_name is None
    assert abs(event.time - (NOW - 1.0)) < 1e-6
    assert event.summary()["output"].startswith("13:44:05.478445995: Critical A shell")


def test_nanoseconds_and_text_input(sample):
    assert parse_time("2023-05-25T13:44:05Z") == int(parse_time("2023-05-25T13:44:05.9Z"))
    assert read_event(sample.decode(), NOW).rule == "Terminal shell in container"


@pytest.mark.parametrize("cid", ["host", "", None])
def test_host_events_are_read_without_a_container(sample, cid):
    assert read_event(_edit(sample, fields={"container.id": cid}), NOW).container_id is None


def test_full_id_is_used_when_given(sample):
    full = "ee97d9c4186f" + "a" * 52
    event = read_event(_edit(sample, fields={"container.full_id": full}), NOW)
    assert event.container_id == full


@pytest.mark.parametrize("changes, reason, message", [
    ({"fields": {"container.id": "EE97D9C4186F"}}, FORGED, "lowercase hex id"),
    ({"fields": {"container.id": "ee97d9c4186"}}, FORGED, "12 or 64"),
    ({"fields": {"container.id": "ee97d9c4186f\n"}}, FORGED, "12 or 64"),
    ({"fields": {"container.id": "../../etc"}}, FORGED, "12 or 64"),
    ({"fields": {"container.id": 123456789012}}, FORGED, "12 or 64"),
    ({"fields": {"container.full_id": "b" * 64}}, FORGED, "does not extend"),
    ({"hostname": "elsewhere"}, FORGED, "names host elsewhere"),
    ({"time": "2023-05-25T12:00:00Z"}, STALE, "older than"),
    ({"time": "2023-05-25T15:00:00Z"}, STALE, "ahead of this host's clock"),
    ({"time": "2023-05-25 13:44:05Z"}, MALFORMED, "ISO 8601"),
    ({"time": "2023-02-30T13:44:05Z"}, MALFORMED, "not a valid date"),
    ({"priority": "critical"}, MALFORMED, "is not one of Falco's"),
    ({"rule": ""}, MALFORMED, "rule must be non-empty text"),
    ({"rule": KeyError}, MALFORMED, "rule missing"),
    ({"output_fields": KeyError}, MALFORMED, "output_fields missing"),
    ({"output_fields": []}, MALFORMED, "json_include_output_fields_property"),
    ({"extra": 1}, MALFORMED, "unknown key(s) extra"),
    ({"tags": "container"}, MALFORMED, "tags must be a list"),
    ({"fields": {"proc.name": {"a": 1}}}, MALFORMED, "not an object"),
    ({"fields": {"container.name": 5}}, MALFORMED, "container.name must be text"),
    ({"rule": "r" * 600}, OVERSIZED, "more than 512"),
])
def test_refusals(sample, changes, reason, message):
    with pytest.raises(RespondError) as caught:
        read_event(_edit(sample, **changes), NOW, hostname="falco-xczjd")
    assert caught.value.reason == reason and message in str(caught.value), str(caught.value)


@pytest.mark.parametrize("line, reason, message", [
    (b"x" * 70000, OVERSIZED, "more than the 65536"),
    (b"\xff\xfe{}", MALFORMED, "not UTF-8"),
    (b"   ", MALFORMED, "empty"),
    (b"[1, 2]", MALFORMED, "got list"),
    (b'{"rule": NaN}', MALFORMED, "NaN is not JSON"),
    (b'{"rule": "a", "rule": "b"}', MALFORMED, "appears twice"),
    (b"[" * 50000, MALFORMED, "nests too deeply"),
    (b'{"rule": "a"', MALFORMED, "not JSON (at character"),
])
def test_refused_lines(line, reason, message):
    with pytest.raises(RespondError) as caught:
        read_event(line, NOW, max_bytes=65536)
    assert caught.value.reason == reason and message in str(caught.value), str(caught.value)


def test_messages_show_bounded_printable_excerpts(sample):
    with pytest.raises(RespondError) as caught:
        read_event(_edit(sample, fields={"container.id": "\x1b[2J" + "z" * 500}), NOW)
    text = str(caught.value)
    assert "\x1b" not in text and len(text) < 300
