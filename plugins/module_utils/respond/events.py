# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""One Falco alert as Falco writes it with ``json_output: true`` (falcosecurity/falco
``userspace/engine/formats.cpp``): always ``time``, ``rule``, ``priority``, ``source``,
``hostname``; ``output``, ``tags``, ``message`` and ``output_fields`` by configuration. The
responder needs ``output_fields`` (Falco's default, ``json_include_output_fields_property``).

What is checked, in order (the first failure refuses the line with ``RespondError``):
size (bytes, before decoding), UTF-8, JSON (no duplicate keys, no NaN/Infinity, bounded nesting),
an object with only Falco's keys, each of the right type and bound, ``priority`` one of Falco's,
``time`` an ISO 8601 UTC time neither older than ``max_age`` nor ahead of the clock by more than
``max_skew``, ``hostname`` this host's (when given), and ``container.id`` either absent, ``host``
(a host event) or a 12 or 64 character lowercase hex id (anything else is forged; the runtime
must then know the id, which ``responder`` checks). A host event is read, not refused: the
responder records it and never acts on it.
"""
from __future__ import annotations

import calendar
import json
import re
from dataclasses import dataclass, field

from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    FORGED,
    MALFORMED,
    OVERSIZED,
    STALE,
    RespondError,
    excerpt,
)

PRIORITIES = ("Emergency", "Alert", "Critical", "Error", "Warning", "Notice", "Informational",
              "Debug")
REQUIRED = ("time", "rule", "priority", "source", "hostname", "output_fields")
OPTIONAL = ("output", "tags", "message")
MAX_EVENT_BYTES = 64 * 1024
MAX_TEXT = 16 * 1024        # output, message, a field's text
MAX_NAME = 512              # rule, source, hostname, tags
MAX_FIELDS = 512
MAX_TAGS = 64
HOST_IDS = ("host", "")
_ID = re.compile(r"[0-9a-f]{12}|[0-9a-f]{64}")
_TIME = re.compile(r"(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})(?:\.(\d{1,9}))?Z")
_SCALARS = (str, int, float, bool, type(None))


@dataclass(frozen=True)
class Event:
    rule: str
    priority: str
    time: float                       # seconds since the epoch
    hostname: str
    source: str
    output: str = ""
    tags: tuple = ()
    container_id: str | None = None   # None: a host event (no container to act on)
    container_name: str | None = None
    image: str | None = None
    fields: dict = field(default_factory=dict, compare=False, repr=False)

    def summary(self) -> dict:
        """What the audit log and the webhook carry of the event (bounded)."""
        return {"rule": self.rule, "priority": self.priority, "time": self.time,
                "hostname": self.hostname, "source": self.source, "tags": list(self.tags),
                "container_id": self.container_id, "container_name": self.container_name,
                "image": self.image, "output": self.output[:2048]}


def _no_duplicates(pairs):
    out = {}
    for key, value in pairs:
        if key in out:
            raise RespondError(MALFORMED, f"key {excerpt(key, 40)!s} appears twice in one object")
        out[key] = value
    return out


def _no_constant(name):
    raise RespondError(MALFORMED, f"{name} is not JSON (Falco never writes it)")


def _decode(line, max_bytes: int) -> dict:
    if isinstance(line, str):
        try:
            line = line.encode("utf-8")
        except UnicodeEncodeError:
            raise RespondError(MALFORMED, "the line holds a lone surrogate, not text") from None
    if not isinstance(line, (bytes, bytearray)):
        raise RespondError(MALFORMED, f"an event is a line of text, got {type(line).__name__}")
    if len(line) > max_bytes:
        raise RespondError(OVERSIZED, f"the line has {len(line)} bytes, more than the "
                                      f"{max_bytes} an event may have")
    try:
        text = bytes(line).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RespondError(MALFORMED, f"the line is not UTF-8 (byte {exc.start})") from None
    if not text.strip():
        raise RespondError(MALFORMED, "the line is empty")
    try:
        data = json.loads(text, object_pairs_hook=_no_duplicates, parse_constant=_no_constant)
    except RecursionError:
        raise RespondError(MALFORMED, "the JSON nests too deeply") from None
    except ValueError as exc:
        if isinstance(exc, RespondError):
            raise
        where = getattr(exc, "pos", None)
        raise RespondError(MALFORMED, "the line is not JSON"
                           + (f" (at character {where})" if where is not None else "")) from None
    if not isinstance(data, dict):
        raise RespondError(MALFORMED, f"a Falco alert is a JSON object, got {type(data).__name__}")
    return data


def _text(data: dict, key: str, limit: int, required: bool = True) -> str:
    value = data.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str) or (required and not value.strip()):
        raise RespondError(MALFORMED, f"{key} must be non-empty text, got "
                                      f"{type(value).__name__}")
    if len(value) > limit:
        raise RespondError(OVERSIZED, f"{key} has {len(value)} characters, more than {limit}")
    return value


def parse_time(value) -> float:
    """Falco's ``time`` (``2023-05-25T13:44:05.478445995Z``) as seconds since the epoch; Python
    3.9's ``fromisoformat`` reads neither nanoseconds nor ``Z``, so the form is matched whole."""
    match = _TIME.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise RespondError(MALFORMED, f"time {excerpt(value, 40)} is not Falco's ISO 8601 UTC "
                                      "form (YYYY-MM-DDTHH:MM:SS[.fraction]Z)")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    if not (1 <= month <= 12 and 1 <= day <= calendar.monthrange(year, month)[1] and hour < 24
            and minute < 60 and second < 61 and year >= 1970):
        raise RespondError(MALFORMED, f"time {excerpt(value, 40)} is not a valid date and time")
    fraction = match.group(7) or "0"
    return calendar.timegm((year, month, day, hour, minute, second)) + int(fraction) / 10 ** len(
        fraction)


def _fields(data: dict) -> dict:
    fields = data.get("output_fields")
    if not isinstance(fields, dict):
        raise RespondError(MALFORMED, "output_fields must be an object (Falco writes it with "
                                      "json_include_output_fields_property: true), got "
                                      f"{type(fields).__name__}")
    if len(fields) > MAX_FIELDS:
        raise RespondError(OVERSIZED, f"output_fields has {len(fields)} fields, more than "
                                      f"{MAX_FIELDS}")
    for key, value in fields.items():
        if len(key) > MAX_NAME:
            raise RespondError(OVERSIZED, f"an output_fields name has {len(key)} characters")
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, _SCALARS) for v in items):
            raise RespondError(MALFORMED, f"output_fields.{excerpt(key, 60)} must be a value or "
                                          "a list of values, not an object")
        if any(isinstance(v, str) and len(v) > MAX_TEXT for v in items):
            raise RespondError(OVERSIZED, f"output_fields.{excerpt(key, 60)} is longer than "
                                          f"{MAX_TEXT} characters")
    return fields


def _container(fields: dict):
    """(id or None for a host event, name, image) from output_fields; FORGED for an id that is
    no container id."""
    cid = fields.get("container.id")
    if cid is None or cid in HOST_IDS:
        return None, None, None
    if not isinstance(cid, str) or not _ID.fullmatch(cid):
        raise RespondError(FORGED, f"container.id {excerpt(cid, 70)} is neither 'host' nor a "
                                   "12 or 64 character lowercase hex id")
    full = fields.get("container.full_id")
    if full is not None and (not isinstance(full, str) or len(full) != 64
                             or not _ID.fullmatch(full) or not full.startswith(cid)):
        raise RespondError(FORGED, "container.full_id does not extend container.id")
    name, image = fields.get("container.name"), fields.get("container.image.repository")
    for key, value in (("container.name", name), ("container.image.repository", image)):
        if value is not None and not isinstance(value, str):
            raise RespondError(MALFORMED, f"output_fields.{key} must be text or null")
    return (full or cid), name or None, image or None


def read_event(line, now: float, max_bytes: int = MAX_EVENT_BYTES, max_age: float = 300.0,
               max_skew: float = 60.0, hostname: str | None = None) -> Event:
    """The Falco alert on ``line`` (bytes or text), or RespondError saying why not."""
    data = _decode(line, max_bytes)
    missing = [k for k in REQUIRED if k not in data]
    if missing:
        raise RespondError(MALFORMED, f"not a Falco alert: {', '.join(missing)} missing")
    unknown = sorted(k for k in data if k not in REQUIRED + OPTIONAL)
    if unknown:
        raise RespondError(MALFORMED, "not a Falco alert: unknown key(s) "
                                      f"{', '.join(excerpt(k, 40) for k in unknown[:5])}")
    rule = _text(data, "rule", MAX_NAME)
    priority = data.get("priority")
    if priority not in PRIORITIES:
        raise RespondError(MALFORMED, f"priority {excerpt(priority, 40)} is not one of Falco's: "
                                      f"{', '.join(PRIORITIES)}")
    when = parse_time(data.get("time"))
    if now - when > max_age:
        raise RespondError(STALE, f"the event is {int(now - when)} s old, older than the "
                                  f"{int(max_age)} s an event may be")
    if when - now > max_skew:
        raise RespondError(STALE, f"the event is {int(when - now)} s ahead of this host's clock")
    host = _text(data, "hostname", MAX_NAME)
    if hostname is not None and host != hostname:
        raise RespondError(FORGED, f"the event names host {excerpt(host, 60)}, this host is "
                                   f"{excerpt(hostname, 60)}")
    source = _text(data, "source", MAX_NAME)
    output = _text(data, "output", MAX_TEXT, required=False)
    _text(data, "message", MAX_TEXT, required=False)
    tags = data.get("tags", [])
    if not isinstance(tags, list) or not all(isinstance(t, str) and 0 < len(t) <= MAX_NAME
                                             for t in tags):
        raise RespondError(MALFORMED, "tags must be a list of non-empty texts")
    if len(tags) > MAX_TAGS:
        raise RespondError(OVERSIZED, f"{len(tags)} tags, more than {MAX_TAGS}")
    fields = _fields(data)
    cid, name, image = _container(fields)
    return Event(rule=rule, priority=priority, time=when, hostname=host, source=source,
                 output=output, tags=tuple(tags), container_id=cid, container_name=name,
                 image=image, fields=fields)
