# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The responder's settings and their one validation, ``validate_settings``: a role runs it on
the controller before anything reaches a node, and the responder runs it again when it starts.
It returns the settings normalised (every default filled in, JSON-serialisable) or raises
``RespondError`` naming the key (``respond.responses[1].actions[0]``) and what is accepted; it
never repeats a value that may be a secret.

    responses:                  # first match wins, like Falco's rule_matching: first
      - rule: Terminal shell in container     # or  tag: mitre_execution  (exactly one)
        actions: [notify, pause]              # notify, pause, stop, kill, disconnect
        mode: enforce                         # default audit: record and notify, change nothing
    protect_label: bulwark.respond/protect    # a container labelled <this>=true is never touched
    allowlist: {containers: [name or id], images: [repository]}
    dedupe_seconds: 60          # one response per container and rule within this window
    max_actions_per_minute: 30  # across all containers: enforcement beyond it is audited only
    webhook: {url: https://…, token_file: /etc/bulwark/respond.token, spool_dir: …}

The webhook token lives in ``token_file`` on the node (0600), never in the settings, argv or
the environment; a ``token`` key is refused.
"""
from __future__ import annotations

import ipaddress
import re
from urllib.parse import urlsplit

from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    url_error,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    SETTINGS,
    RespondError,
    excerpt,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.events import (
    MAX_EVENT_BYTES,
)

ACTIONS = ("notify", "pause", "stop", "kill", "disconnect")
STOPPING = ("pause", "stop", "kill")          # at most one of these per response
MODES = ("audit", "enforce")
RUNTIMES = ("auto", "podman", "docker", "crictl")
SECRET_KEYS = ("token", "password", "secret", "authorization", "headers", "api_key")
WHERE = "respond"
_KEY = re.compile(r"[a-z][a-z_]{0,39}")

# key -> (type, default, low, high) for the numbers
NUMBERS = {
    "dedupe_seconds": (60, 0, 86400),
    "max_actions_per_minute": (30, 1, 10000),
    "max_event_bytes": (MAX_EVENT_BYTES, 1024, 1024 * 1024),
    "max_event_age_seconds": (300, 1, 86400),
    "command_timeout_seconds": (10, 1, 300),
    "stop_grace_seconds": (10, 0, 300),      # stop: SIGTERM, this long, then SIGKILL
}
AUDIT_NUMBERS = {"max_bytes": (10 * 1024 * 1024, 4096, 1024 ** 3), "keep": (5, 1, 100)}
WEBHOOK_NUMBERS = {"timeout_seconds": (5, 1, 120), "retry_max_seconds": (30, 1, 3600),
                   "spool_max": (10000, 10, 1000000)}
DEFAULTS = {
    "responses": [],
    "protect_label": "bulwark.respond/protect",
    "allowlist": {"containers": [], "images": []},
    "hostname": None,
    "runtime": "auto",
    "audit_log": {"path": "/var/log/bulwark/respond.jsonl"},
    "webhook": None,
}


def _fail(where: str, message: str):
    raise RespondError(SETTINGS, f"{where}: {message}")


def _mapping(value, where: str, accepted) -> dict:
    if not isinstance(value, dict):
        _fail(where, f"must be a mapping, got {type(value).__name__}")
    secret = sorted(k for k in value if isinstance(k, str) and k.lower() in SECRET_KEYS)
    if secret:
        _fail(f"{where}.{secret[0]}", "secrets never go into the settings (they would reach "
                                      "logs and files); put the token in the file token_file "
                                      "names (mode 0600)")
    unknown = [k for k in value if k not in accepted]
    if unknown:
        # a key that does not look like a setting's name may be a pasted token: not shown
        shown = sorted(k for k in unknown if isinstance(k, str) and _KEY.fullmatch(k))
        hidden = len(unknown) - len(shown)
        _fail(where, f"unknown key(s) {', '.join(shown)}"
              + (" and " if shown and hidden else "")
              + (f"{hidden} not shown (not a setting's name; it may be a value)" if hidden
                 else "") + f"; accepted: {', '.join(accepted)}")
    return value


def _number(value, where: str, low: int, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        _fail(where, f"must be a whole number, got {type(value).__name__}")
    if not low <= value <= high:
        _fail(where, f"{value} is out of range {low}..{high}")
    return value


def _name(value, where: str, limit: int = 512) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        _fail(where, f"must be non-empty text of at most {limit} characters")
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in value):
        _fail(where, "holds a control character")
    return value


def _names(value, where: str) -> list:
    if value is None:
        return []
    if not isinstance(value, list):
        _fail(where, f"must be a list, got {type(value).__name__}")
    return [_name(v, f"{where}[{i}]") for i, v in enumerate(value)]


def _path(value, where: str) -> str:
    if not isinstance(value, str) or not value.startswith("/") or "\x00" in value \
            or "\n" in value or ".." in value.split("/") or len(value) > 4096:
        _fail(where, "must be an absolute path without '..', NUL or line breaks")
    return value


def _response(value, where: str) -> dict:
    _mapping(value, where, ("rule", "tag", "actions", "mode"))
    keys = [k for k in ("rule", "tag") if k in value]
    if len(keys) != 1:
        _fail(where, "give exactly one of rule (a Falco rule name) or tag (a Falco rule tag)")
    match = {keys[0]: _name(value[keys[0]], f"{where}.{keys[0]}")}
    actions = value.get("actions")
    if not isinstance(actions, list) or not actions:
        _fail(f"{where}.actions", f"must be a non-empty list of {', '.join(ACTIONS)}")
    for i, action in enumerate(actions):
        if action not in ACTIONS:
            _fail(f"{where}.actions[{i}]", f"{excerpt(action, 40)!r} is not one of "
                                           f"{', '.join(ACTIONS)}")
    if len(set(actions)) != len(actions):
        _fail(f"{where}.actions", "names an action twice")
    if len([a for a in actions if a in STOPPING]) > 1:
        _fail(f"{where}.actions", f"at most one of {', '.join(STOPPING)}")
    mode = value.get("mode", "audit")
    if mode not in MODES:
        _fail(f"{where}.mode", f"{excerpt(mode, 40)!r} is not one of {', '.join(MODES)}")
    # run in this order: notify, then cut the network, then pause/stop/kill
    return dict(match, actions=[a for a in ACTIONS if a in actions and a not in STOPPING]
                + [a for a in actions if a in STOPPING], mode=mode)


def webhook_url_error(value, where: str):
    """Why ``value`` is no webhook URL: https, or http only to a loopback address."""
    problem = url_error(value, where)
    if problem:
        return problem
    parts = urlsplit(value)
    if parts.scheme == "https":
        return None
    host = parts.hostname or ""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    return None if loopback else (f"{where} must be https:// (http:// only to a loopback "
                                  "address such as 127.0.0.1)")


def _webhook(value, where: str):
    if value is None:
        return None
    keys = ("url", "token_file", "ca_file", "spool_dir") + tuple(WEBHOOK_NUMBERS)
    _mapping(value, where, keys)
    problem = webhook_url_error(value.get("url"), f"{where}.url")
    if problem:
        raise RespondError(SETTINGS, problem)
    out = {"url": value["url"],
           "token_file": _path(value.get("token_file"), f"{where}.token_file")
           if value.get("token_file") is not None else None,
           "ca_file": _path(value["ca_file"], f"{where}.ca_file")
           if value.get("ca_file") is not None else None,
           "spool_dir": _path(value.get("spool_dir", "/var/spool/bulwark-respond"),
                              f"{where}.spool_dir")}
    for key, (default, low, high) in WEBHOOK_NUMBERS.items():
        out[key] = _number(value.get(key, default), f"{where}.{key}", low, high)
    return out


def validate_settings(value) -> dict:
    """The responder's settings, normalised; RespondError (reason ``settings``) naming the key."""
    value = {} if value is None else value
    accepted = tuple(DEFAULTS) + tuple(NUMBERS)
    _mapping(value, WHERE, accepted)
    responses = value.get("responses", [])
    if not isinstance(responses, list):
        _fail(f"{WHERE}.responses", f"must be a list, got {type(responses).__name__}")
    out = {"responses": [_response(r, f"{WHERE}.responses[{i}]")
                         for i, r in enumerate(responses)]}
    out["protect_label"] = _name(value.get("protect_label", DEFAULTS["protect_label"]),
                                 f"{WHERE}.protect_label", 253)
    allow = _mapping(value.get("allowlist") or {}, f"{WHERE}.allowlist", ("containers", "images"))
    out["allowlist"] = {k: _names(allow.get(k), f"{WHERE}.allowlist.{k}")
                        for k in ("containers", "images")}
    hostname = value.get("hostname")
    out["hostname"] = None if hostname is None else _name(hostname, f"{WHERE}.hostname", 253)
    runtime = value.get("runtime", "auto")
    if runtime not in RUNTIMES:
        _fail(f"{WHERE}.runtime", f"{excerpt(runtime, 40)!r} is not one of {', '.join(RUNTIMES)}")
    out["runtime"] = runtime
    for key, (default, low, high) in NUMBERS.items():
        out[key] = _number(value.get(key, default), f"{WHERE}.{key}", low, high)
    audit = _mapping(value.get("audit_log") or {}, f"{WHERE}.audit_log",
                     ("path",) + tuple(AUDIT_NUMBERS))
    out["audit_log"] = {"path": _path(audit.get("path", DEFAULTS["audit_log"]["path"]),
                                      f"{WHERE}.audit_log.path")}
    for key, (default, low, high) in AUDIT_NUMBERS.items():
        out["audit_log"][key] = _number(audit.get(key, default), f"{WHERE}.audit_log.{key}",
                                        low, high)
    out["webhook"] = _webhook(value.get("webhook"), f"{WHERE}.webhook")
    if out["webhook"] is None and any("notify" in r["actions"] for r in out["responses"]):
        _fail(f"{WHERE}.webhook", "a response notifies, so the webhook (url, token_file) is "
                                  "required")
    return out


def response_for(settings: dict, rule: str, tags) -> dict | None:
    """The first response whose rule is ``rule`` or whose tag is among ``tags``; None."""
    for response in settings["responses"]:
        if response.get("rule") == rule or response.get("tag") in tags:
            return response
    return None
