# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""One line in, one audit record out: read the event (or refuse it), decide, learn from the
runtime what the container really is (or refuse the event as forged), act or audit, notify.

What the runtime says about a container comes from its inspect output, kept for
``FACTS_SECONDS``: labels, image and id cannot change while a container exists, so a recent
answer is as good as a new one for the protect label and the allowlist, and the hot path of a
response is one runtime call (the action) rather than two. ``warm`` fills it with every
container the runtime runs (two calls for all of them); an id not in it is inspected there and
then. An id no runtime knows is remembered as unknown for ``UNKNOWN_SECONDS``.
"""
from __future__ import annotations

import threading
import time

from ansible_collections.bulwark.container_security.plugins.module_utils.respond.audit import (
    utc_now,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.decide import (
    RESPOND,
    Budget,
    Decision,
    Deduper,
    confirm,
    decide,
    dedupe_key,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    FORGED,
    RespondError,
    excerpt,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.events import (
    read_event,
)

FACTS_SECONDS = 30.0
UNKNOWN_SECONDS = 5.0
MAX_CACHED = 20000


class Responder:
    def __init__(self, settings: dict, runtimes, audit, notifier=None, hostname=None,
                 clock=time.time, log=None):
        self.settings, self.runtimes, self.audit, self.notifier = (settings, list(runtimes),
                                                                   audit, notifier)
        self.hostname = settings.get("hostname") or hostname
        self.clock = clock
        self.log = log or (lambda message: None)
        self.deduper = Deduper(settings["dedupe_seconds"])
        self.budget = Budget(settings["max_actions_per_minute"])
        self.facts_cache = {}             # short id -> (time, runtime, Container or None)
        self.lock = threading.Lock()
        self.lines = 0

    # -- what the runtime knows --------------------------------------------------------------
    def warm(self) -> int:
        """Inspect every container of every runtime into the cache; how many."""
        count = 0
        for runtime in self.runtimes:
            found = runtime.inspect_many(runtime.list_ids())
            now = self.clock()
            with self.lock:
                for container in found.values():
                    self.facts_cache[container.id[:12]] = (now, runtime, container)
            count += len(found)
        return count

    def facts(self, cid: str):
        """(runtime, Container) for ``cid``, or None when no runtime knows it."""
        now = self.clock()
        with self.lock:
            cached = self.facts_cache.get(cid[:12])
        if cached:
            when, runtime, container = cached
            fresh = now - when < (FACTS_SECONDS if container else UNKNOWN_SECONDS)
            if fresh and (container is None or container.id.startswith(cid)):
                return (runtime, container) if container else None
        for runtime in self.runtimes:
            container = runtime.inspect(cid)
            if container:
                with self.lock:
                    self.facts_cache[cid[:12]] = (self.clock(), runtime, container)
                return runtime, container
        with self.lock:
            if len(self.facts_cache) >= MAX_CACHED:      # a flood of made-up ids stays bounded
                self.facts_cache = {k: v for k, v in self.facts_cache.items() if v[2]}
            self.facts_cache[cid[:12]] = (self.clock(), None, None)
        return None

    # -- one line ----------------------------------------------------------------------------
    def handle(self, line) -> dict:
        self.lines += 1
        now = self.clock()
        record = {"time": utc_now(now), "line": self.lines}
        settings = self.settings
        try:
            event = read_event(line, now, settings["max_event_bytes"],
                               settings["max_event_age_seconds"], hostname=self.hostname)
        except RespondError as exc:
            return self._refused(record, exc)
        record["event"] = event.summary()
        decision = decide(event, settings, self.deduper, now)
        found = None
        if decision.verdict == RESPOND:
            found = self.facts(event.container_id)
            try:
                self._check_facts(event, found)
            except RespondError as exc:
                return self._refused(record, exc)
            self.deduper.remember(dedupe_key(event), now)
            record["container"] = {"id": found[1].id, "name": found[1].name,
                                   "image": found[1].image, "runtime": found[0].name}
            decision = confirm(decision, found[1], settings, self.budget, now)
        record["decision"] = decision.as_dict()
        record["actions"] = self._act(decision, found) if decision.verdict == RESPOND else []
        if decision.verdict == RESPOND and "notify" in decision.actions:
            record["notify"] = self._notify(record, found)
        self._write(record)
        return record

    def _check_facts(self, event, found) -> None:
        if found is None:
            raise RespondError(FORGED, f"no runtime on this host knows container "
                                       f"{event.container_id[:12]}")
        container = found[1]
        if event.container_name and container.name and event.container_name != container.name:
            raise RespondError(FORGED, f"the event names container "
                                       f"{excerpt(event.container_name, 60)}, the runtime "
                                       f"calls {container.id[:12]} {excerpt(container.name, 60)}")

    def _act(self, decision: Decision, found) -> list:
        steps = [a for a in decision.actions if a != "notify"]
        if decision.mode != "enforce":
            return [{"action": a, "ok": None, "detail": "audit mode: would do"} for a in steps]
        runtime, container = found
        results = [runtime.act(a, container) for a in steps]
        for result in results:
            if not result["ok"]:
                self.log(f"{result['action']} of {container.id[:12]} failed: {result['detail']}")
        return results

    def _notify(self, record: dict, found) -> str:
        if self.notifier is None:
            return "no webhook"
        payload = {"source": "bulwark-respond", "host": self.hostname, "time": record["time"],
                   "event": record["event"], "decision": record["decision"],
                   "actions": record["actions"], "container": record["container"]}
        try:
            queued = self.notifier.submit(payload)
        except OSError as exc:
            self.log(f"notification not spooled: {exc.strerror or exc}; it is in the audit log")
            return "spool not writable"
        if queued:
            return "spooled"
        self.log("notification spool is full: this notification is only in the audit log")
        return "spool full"

    def _refused(self, record: dict, exc: RespondError) -> dict:
        record["refused"] = {"reason": exc.reason, "message": str(exc)}
        self.log(f"line {record['line']} refused ({exc.reason}): {exc}")
        self._write(record)
        return record

    def _write(self, record: dict) -> None:
        try:
            self.audit.write(record)
        except OSError as exc:
            self.log(f"audit log not written: {exc.strerror or exc}")
