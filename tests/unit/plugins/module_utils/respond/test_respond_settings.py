# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""validate_settings: the one check a role runs on the controller and the responder at start."""
from __future__ import annotations

import json

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    SETTINGS,
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    response_for,
    validate_settings,
)

HOOK = {"url": "https://hooks.example.org/falco", "token_file": "/etc/bulwark/respond.token"}


def test_defaults_audit_everything_and_are_json():
    out = validate_settings({"responses": [{"tag": "mitre_execution", "actions": ["pause"]}]})
    assert out["responses"] == [{"tag": "mitre_execution", "actions": ["pause"], "mode": "audit"}]
    assert out["protect_label"] == "bulwark.respond/protect" and out["webhook"] is None
    assert out["audit_log"] == {"path": "/var/log/bulwark/respond.jsonl",
                                "max_bytes": 10 * 1024 * 1024, "keep": 5}
    assert validate_settings(json.loads(json.dumps(out))) == out     # idempotent, as a role needs


def test_actions_run_notify_then_disconnect_then_stop():
    out = validate_settings({"webhook": HOOK, "responses": [
        {"rule": "r", "actions": ["kill", "disconnect", "notify"], "mode": "enforce"}]})
    assert out["responses"][0]["actions"] == ["notify", "disconnect", "kill"]
    assert out["webhook"]["spool_dir"] == "/var/spool/bulwark-respond"


def test_first_match_wins_rule_or_tag():
    out = validate_settings({"responses": [{"rule": "a", "actions": ["stop"]},
                                           {"tag": "shell", "actions": ["pause"]}]})
    assert response_for(out, "a", ["shell"])["actions"] == ["stop"]
    assert response_for(out, "b", ["shell"])["actions"] == ["pause"]
    assert response_for(out, "b", ["other"]) is None


@pytest.mark.parametrize("settings, message", [
    ([], "respond: must be a mapping, got list"),
    ({"respones": []}, "unknown key(s) respones"),
    ({"responses": {}}, "respond.responses: must be a list"),
    ({"responses": [{"actions": ["pause"]}]}, "exactly one of rule"),
    ({"responses": [{"rule": "r", "tag": "t", "actions": ["pause"]}]}, "exactly one of rule"),
    ({"responses": [{"rule": "r", "actions": []}]}, "responses[0].actions: must be a non-empty"),
    ({"responses": [{"rule": "r", "actions": ["delete"]}]}, "actions[0]: 'delete' is not one"),
    ({"responses": [{"rule": "r", "actions": ["pause", "pause"]}]}, "names an action twice"),
    ({"responses": [{"rule": "r", "actions": ["pause", "kill"]}]}, "at most one of pause"),
    ({"responses": [{"rule": "r", "actions": ["pause"], "mode": "on"}]}, "mode: 'on' is not"),
    ({"responses": [{"rule": "r", "actions": ["notify"]}]}, "webhook (url, token_file) is"),
    ({"webhook": {"url": "http://hooks.example.org/x"}}, "http:// only to a loopback"),
    ({"webhook": {"url": "ftp://127.0.0.1/x"}}, "must be an http:// or https:// URL"),
    ({"webhook": {"url": "https://u:p@h.example.org/x"}}, "carries credentials"),
    ({"webhook": {"url": "https://h.example.org", "token_file": "rel/path"}}, "absolute path"),
    ({"webhook": dict(HOOK, token="t0ps3cret-value")}, "webhook.token: secrets never go"),
    ({"dedupe_seconds": True}, "dedupe_seconds: must be a whole number"),
    ({"max_actions_per_minute": 0}, "out of range 1..10000"),
    ({"audit_log": {"path": "/var/log/../etc/x"}}, "absolute path without '..'"),
    ({"allowlist": {"containers": ["ok", ""]}}, "allowlist.containers[1]: must be non-empty"),
    ({"runtime": "lxc"}, "runtime: 'lxc' is not one of auto"),
    ({"protect_label": "a\nb"}, "control character"),
])
def test_refusals_name_the_key(settings, message):
    with pytest.raises(RespondError) as caught:
        validate_settings(settings)
    assert caught.value.reason == SETTINGS and message in str(caught.value), str(caught.value)


def test_http_to_loopback_is_accepted():
    for url in ("http://127.0.0.1:8080/x", "http://localhost/x", "http://[::1]:9/x"):
        assert validate_settings({"webhook": {"url": url}})["webhook"]["url"] == url


def test_a_secret_value_is_never_repeated():
    secret = "t0ps3cret-value"
    for settings in ({"webhook": dict(HOOK, token=secret)}, {secret: 1},
                     {"webhook": {"url": f"https://x:{secret}@h.example.org"}},
                     {"responses": [{"rule": "r", "actions": [secret]}]}):
        with pytest.raises(RespondError) as caught:
            validate_settings(settings)
        assert secret not in str(caught.value) or "actions[0]" in str(caught.value)
