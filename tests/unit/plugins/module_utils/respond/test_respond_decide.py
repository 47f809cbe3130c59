# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""decide / confirm: host events, allowlists, protect labels, duplicates, the action budget."""
from __future__ import annotations

import pytest
import respond_support
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.decide import (
    Budget,
    Deduper,
    confirm,
    decide,
    repository,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.events import (
    read_event,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    validate_settings,
)

NOW = 1_800_000_000.0


def _settings(**extra):
    return validate_settings(dict({"responses": [
        {"rule": "Terminal shell in container", "actions": ["pause"], "mode": "enforce"}]},
        **extra))


def _event(cid="ee97d9c4186f", **kw):
    return read_event(respond_support.falco_event(cid, when=NOW, **kw), NOW)


def test_respond_then_duplicate_then_again_after_the_window():
    settings, dedupe = _settings(dedupe_seconds=60), Deduper(60)
    first = decide(_event(), settings, dedupe, NOW)
    assert (first.verdict, first.actions, first.mode) == ("respond", ("pause",), "enforce")
    assert decide(_event(), settings, dedupe, NOW).verdict == "respond"   # not yet confirmed
    dedupe.remember(("ee97d9c4186f", "Terminal shell in container"), NOW)
    assert decide(_event(), settings, dedupe, NOW + 30).reason == "a duplicate within 60 s"
    assert decide(_event("aaaaaaaaaaaa"), settings, dedupe, NOW + 30).verdict == "respond"
    assert decide(_event(), settings, dedupe, NOW + 61).verdict == "respond"


def test_a_forged_line_does_not_use_up_the_real_alerts_place(tmp_path):
    """decide alone never remembers: only the responder does, after the runtime confirmed."""
    settings, dedupe = _settings(), Deduper(60)
    for _step in range(3):
        assert decide(_event(), settings, dedupe, NOW).verdict == "respond"


@pytest.mark.parametrize("kw, extra, reason", [
    ({"cid": "host"}, {}, "a host event"),
    ({"rule": "Other"}, {}, "no response matches"),
    ({"name": "falco"}, {"allowlist": {"containers": ["falco"]}}, "container is on the allowlist"),
    ({}, {"allowlist": {"containers": ["ee97d9c4186f"]}}, "container is on the allowlist"),
    ({}, {"allowlist": {"images": ["docker.io/library/alpine"]}}, "image is on the allowlist"),
])
def test_ignored(kw, extra, reason):
    decision = decide(_event(**kw), _settings(**extra), Deduper(60), NOW)
    assert decision.verdict == "ignore" and reason in decision.reason


def test_confirm_trusts_the_runtime_not_the_event():
    settings = _settings(allowlist={"images": ["registry:5000/falco"]})
    decision = decide(_event(), settings, Deduper(60), NOW)
    protected = respond_support.container(labels={"bulwark.respond/protect": "true"})
    assert "protect label" in confirm(decision, protected, settings, Budget(9), NOW).reason
    allowed = respond_support.container(image="registry:5000/falco:0.44@sha256:" + "1" * 64)
    assert "allowlist" in confirm(decision, allowed, settings, Budget(9), NOW).reason
    plain = respond_support.container()
    assert confirm(decision, plain, settings, Budget(9), NOW) == decision


def test_budget_turns_enforcement_into_audit():
    settings, budget = _settings(), Budget(2)
    decision = decide(_event(), settings, Deduper(0), NOW)
    modes = [confirm(decision, respond_support.container(), settings, budget, NOW + i).mode
             for i in range(3)]
    assert modes == ["enforce", "enforce", "audit"]
    assert confirm(decision, respond_support.container(), settings, budget, NOW + 61).mode \
        == "enforce"


def test_deduper_memory_is_bounded():
    dedupe = Deduper(60, max_keys=100)
    for i in range(1000):
        dedupe.remember((f"{i:012x}", "r"), NOW)
    assert len(dedupe.seen) == 100


@pytest.mark.parametrize("image, repo", [
    ("registry:5000/app:1", "registry:5000/app"), ("registry:5000/app", "registry:5000/app"),
    ("alpine@sha256:ab", "alpine"), ("docker.io/library/alpine:3.20", "docker.io/library/alpine"),
])
def test_repository(image, repo):
    assert repository(image) == repo
