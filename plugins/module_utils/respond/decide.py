# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What to do with a read event, before and after the runtime has said what the container is
(pure: no process, no clock of its own).

``decide`` answers from the event and the settings: ignore (no response matches, a host event,
an allowlisted id, name or image, a duplicate within ``dedupe_seconds``), or respond with the
response's actions in its mode. ``confirm`` repeats the protection checks on what the runtime
reports (its labels, its real name and image: an event cannot talk its way past them) and
applies the global action budget: beyond ``max_actions_per_minute`` enforcement is audited.
"""
from __future__ import annotations

from collections import OrderedDict, deque
from dataclasses import dataclass

from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    response_for,
)

IGNORE, RESPOND = "ignore", "respond"
MAX_KEYS = 50000        # de-duplication memory bound (oldest forgotten first)


@dataclass(frozen=True)
class Decision:
    verdict: str            # ignore | respond
    reason: str             # why, one short sentence
    actions: tuple = ()
    mode: str = "audit"     # audit | enforce

    def as_dict(self) -> dict:
        return {"verdict": self.verdict, "reason": self.reason, "actions": list(self.actions),
                "mode": self.mode}


class Deduper:
    """Remembers (container, rule) for ``window`` seconds; bounded to MAX_KEYS entries."""

    def __init__(self, window: float, max_keys: int = MAX_KEYS):
        self.window, self.max_keys = window, max_keys
        self.seen = OrderedDict()

    def duplicate(self, key, now: float) -> bool:
        last = self.seen.get(key)
        return last is not None and now - last < self.window

    def remember(self, key, now: float) -> None:
        """Called once the runtime has confirmed the container: a refused (forged) line never
        takes the place of the real alert that may follow it."""
        self.seen[key] = now
        self.seen.move_to_end(key)
        while len(self.seen) > self.max_keys:
            self.seen.popitem(last=False)


class Budget:
    """At most ``per_minute`` enforcements in any 60 s."""

    def __init__(self, per_minute: int):
        self.per_minute = per_minute
        self.times = deque()

    def take(self, now: float) -> bool:
        while self.times and now - self.times[0] >= 60:
            self.times.popleft()
        if len(self.times) >= self.per_minute:
            return False
        self.times.append(now)
        return True


def _allowlisted(settings: dict, cid, name, image):
    allow = settings["allowlist"]
    if any(c == name or (cid and c and cid.startswith(c) and len(c) >= 12)
           for c in allow["containers"]):
        return "the container is on the allowlist"
    if image and any(i in (image, repository(image)) for i in allow["images"]):
        return "the image is on the allowlist"
    return None


def dedupe_key(event) -> tuple:
    return event.container_id[:12], event.rule


def repository(image: str) -> str:
    """``image`` without its digest and tag (``registry:5000/app:1`` -> ``registry:5000/app``)."""
    name = image.split("@", 1)[0]
    head, _colon, tag = name.rpartition(":")
    return head if head and "/" not in tag else name


def decide(event, settings: dict, deduper: Deduper, now: float) -> Decision:
    if event.container_id is None:
        return Decision(IGNORE, "a host event: the responder never acts on the host")
    response = response_for(settings, event.rule, event.tags)
    if response is None:
        return Decision(IGNORE, "no response matches the rule or its tags")
    allowed = _allowlisted(settings, event.container_id, event.container_name, event.image)
    if allowed:
        return Decision(IGNORE, allowed)
    if deduper.duplicate(dedupe_key(event), now):
        return Decision(IGNORE, f"a duplicate within {settings['dedupe_seconds']} s")
    return Decision(RESPOND, "matched " + (f"rule {response['rule']!r}" if "rule" in response
                                           else f"tag {response['tag']!r}"),
                    tuple(response["actions"]), response["mode"])


def confirm(decision: Decision, facts, settings: dict, budget: Budget, now: float) -> Decision:
    """``decision`` checked against the runtime's ``facts`` (runtime.Container)."""
    label = settings["protect_label"]
    if str(facts.labels.get(label, "")).lower() in ("true", "1", "yes"):
        return Decision(IGNORE, f"the container carries the protect label {label}")
    allowed = _allowlisted(settings, facts.id, facts.name, facts.image)
    if allowed:
        return Decision(IGNORE, allowed)
    if decision.mode == "enforce" and set(decision.actions) - {"notify"} \
            and not budget.take(now):
        return Decision(RESPOND, f"over {settings['max_actions_per_minute']} actions a minute: "
                                 "audited, not enforced", decision.actions, "audit")
    return decision
