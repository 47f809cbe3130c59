# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the responder's settings (plugins/module_utils/respond/settings.py): any
generated settings are refused with RespondError naming a key under ``respond``, or accepted
into settings that validate to themselves, audit unless a response says enforce, and a webhook
that is https or loopback http; a generated secret never shows in a message; no traceback."""
from __future__ import annotations

import ipaddress
from urllib.parse import urlsplit

from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    ACTIONS,
    validate_settings,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import no_secret, refused_or_right
from .odd_inputs import SECRETS, json_like, odd_text, secrets_in, wrong_type

WORDS = ["responses", "rule", "tag", "actions", "mode", "enforce", "audit", "webhook", "url",
         "token_file", "allowlist", "containers", "images", "protect_label", "spool_dir",
         "https://hooks.example.org/x", "http://127.0.0.1:9/x", "http://10.0.0.1/x",
         "/etc/bulwark/token", *ACTIONS]
TEXT = odd_text(words=WORDS)
RESPONSE = st.fixed_dictionaries(
    {}, optional={"rule": TEXT, "tag": TEXT, "mode": st.sampled_from(["audit", "enforce"]) | TEXT,
                  "actions": st.lists(st.sampled_from(ACTIONS) | TEXT, max_size=4) | wrong_type()})
WEBHOOK = st.fixed_dictionaries(
    {}, optional={"url": TEXT, "token_file": TEXT, "token": SECRETS, "spool_dir": TEXT,
                  "timeout_seconds": st.integers(-5, 500) | wrong_type()})
SETTINGS = st.one_of(
    st.fixed_dictionaries({}, optional={
        "responses": st.lists(RESPONSE, max_size=3) | wrong_type(),
        "webhook": WEBHOOK | st.none(),
        "allowlist": st.fixed_dictionaries({}, optional={"containers": st.lists(TEXT, max_size=2),
                                                         "images": wrong_type()}),
        "dedupe_seconds": st.integers(-10, 100000) | wrong_type(),
        "protect_label": TEXT, "runtime": TEXT, "audit_log": json_like(TEXT, max_leaves=3)}),
    json_like(TEXT, credentials=True))


def _right(out) -> None:
    assert validate_settings(out) == out
    for response in out["responses"]:
        assert response["mode"] in ("audit", "enforce") and response["actions"]
        assert set(response["actions"]) <= set(ACTIONS)
    if out["webhook"]:
        parts = urlsplit(out["webhook"]["url"])
        assert parts.scheme == "https" or parts.hostname == "localhost" or \
            ipaddress.ip_address(parts.hostname).is_loopback


@given(SETTINGS)
def test_settings_refused_naming_the_key_or_right(value):
    kind, answer = refused_or_right(lambda: validate_settings(value), RespondError, _right)
    if kind == "refused":
        assert answer.startswith("respond"), answer
        for secret in secrets_in(value):
            no_secret(secret, answer)


@given(st.lists(RESPONSE, min_size=1, max_size=3))
def test_only_a_response_that_says_enforce_enforces(responses):
    value = {"responses": [{k: v for k, v in r.items() if k != "mode"} for r in responses]}
    kind, out = refused_or_right(lambda: validate_settings(value), RespondError)
    if kind == "result":
        assert {r["mode"] for r in out["responses"]} == {"audit"}
