# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Where Falco's alerts go: the falco role's one ``falco_alerts`` variable as the output sections
of its config drop-in (stdout_output, syslog_output, file_output, http_output, program_output;
keys as in Falco 0.44's config schema, roles/falco/files/config.schema.json).

stdout and syslog stay on unless set to false, so the journal always has the alerts; the other
channels are on only when named. Messages name keys, never values: an http URL or a program's
command line may carry a token.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    is_http_url,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import one_line

CHANNELS = {        # falco_alerts key -> (Falco section, accepted keys besides `enabled`)
    "stdout": ("stdout_output", ()),
    "syslog": ("syslog_output", ()),
    "file": ("file_output", ("filename", "keep_alive")),
    "http": ("http_output", ("url", "user_agent", "insecure", "ca_cert", "ca_bundle", "ca_path",
                             "mtls", "client_cert", "client_key", "echo", "compress_uploads",
                             "keep_alive", "max_consecutive_timeouts")),
    "program": ("program_output", ("program", "keep_alive")),
}
REQUIRED = {"file": "filename", "http": "url", "program": "program"}
ON_UNLESS_FALSE = ("stdout", "syslog")


class AlertsError(ValueError):
    pass


def _channel(name, value) -> dict:
    section, accepted = CHANNELS[name]
    where = f"falco_alerts.{name}"
    if value is None or isinstance(value, bool):
        if value and name in REQUIRED:
            raise AlertsError(f"{where}: true is not enough, give a mapping with "
                              f"'{REQUIRED[name]}'")
        off = {"enabled": bool(value) if value is not None else name in ON_UNLESS_FALSE}
        # Falco's schema requires program_output.program even when the channel is off
        return dict(off, program="") if name == "program" and not off["enabled"] else off
    if not isinstance(value, dict):
        raise AlertsError(f"{where} must be true, false or a mapping of "
                          f"{', '.join(('enabled',) + accepted)}")
    unknown = sorted(set(value) - set(accepted) - {"enabled"})
    if unknown:
        raise AlertsError(f"{where}: unknown key(s) {', '.join(unknown)}; accepted: "
                          f"{', '.join(('enabled',) + accepted) or 'enabled'}"
                          + ("; custom headers are falcosidekick's (put them in its config)"
                             if name == "http" and "headers" in unknown else ""))
    out = {"enabled": True, **value}
    if out["enabled"] is not False and name in REQUIRED and not out.get(REQUIRED[name]):
        raise AlertsError(f"{where}: '{REQUIRED[name]}' is required")
    if name == "http" and out.get("url"):
        _check_url(f"{where}.url", out["url"])
    return out


def _check_url(where: str, value) -> None:
    if not is_http_url(value):
        raise AlertsError(f"{where} must be an http:// or https:// URL with a host "
                          "(the value is not shown: it may hold a token)")


def _known_mapping(value, where: str, accepted, what: str) -> dict:
    """``value`` (None: empty) as a mapping whose keys are all in ``accepted``; AlertsError
    naming ``where`` otherwise."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise AlertsError(f"{where} must be a mapping of {what} to settings, got "
                          f"{type(value).__name__}")
    unknown = sorted(one_line(key)[:40] for key in value if key not in accepted)
    if unknown:
        raise AlertsError(f"{where}: unknown {what}(s) {', '.join(unknown)}; accepted: "
                          f"{', '.join(accepted)}")
    return value


def alerts_config(alerts) -> dict:
    """The output sections of the drop-in for `falco_alerts`; AlertsError naming the key."""
    alerts = _known_mapping(alerts, "falco_alerts", CHANNELS, "channel")
    return {CHANNELS[name][0]: _channel(name, alerts.get(name)) for name in CHANNELS}


def alerts_carry_secrets(alerts) -> bool:
    """True when an enabled http or program channel is set: its URL or command line may hold a
    token, so the tasks that pass the drop-in use no_log."""
    config = alerts_config(alerts)
    return any(config[CHANNELS[n][0]]["enabled"] for n in ("http", "program"))


# falcosidekick (falcosecurity/falcosidekick config.yaml, chart falcosidekick.config.*): the
# outputs it fans Falco's alerts out to. output -> (required key, {key: type}); "url" is an
# http(s) URL with a host, "priority" one of Falco's priorities.
PRIORITIES = ("emergency", "alert", "critical", "error", "warning", "notice", "informational",
              "debug")
SIDEKICK_OUTPUTS = {
    "webhook": ("address", {"address": "url", "method": ("POST", "PUT"), "customheaders": "map",
                            "minimumpriority": "priority", "mutualtls": bool, "checkcert": bool}),
    "slack": ("webhookurl", {"webhookurl": "url", "channel": str, "username": str, "icon": str,
                             "footer": str, "outputformat": ("all", "text", "fields"),
                             "minimumpriority": "priority", "messageformat": str}),
    "loki": ("hostport", {"hostport": "url", "user": str, "apikey": str, "tenant": str,
                          "endpoint": str, "extralabels": str, "customheaders": "map",
                          "minimumpriority": "priority", "mutualtls": bool, "checkcert": bool}),
    "alertmanager": ("hostport", {"hostport": "url", "endpoint": str,
                                  "minimumpriority": "priority", "mutualtls": bool,
                                  "checkcert": bool}),
}


def _sidekick_value(where: str, kind, value):
    if kind == "url":
        _check_url(where, value)
    elif kind == "priority":
        if value not in PRIORITIES:
            raise AlertsError(f"{where}: {value!r} is not a Falco priority; one of "
                              f"{', '.join(PRIORITIES)}")
    elif kind == "map":
        if not isinstance(value, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                                  for k, v in value.items()):
            raise AlertsError(f"{where} must be a mapping of header name to text "
                              "(the values are not shown)")
    elif isinstance(kind, tuple):
        if value not in kind:
            raise AlertsError(f"{where}: {value!r} is not one of {', '.join(kind)}")
    elif not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
        raise AlertsError(f"{where} must be a {kind.__name__}")
    return value


def sidekick_config(outputs, where: str = "falcosidekick") -> dict:
    """falcosidekick's ``config`` for ``outputs`` ({output: settings}); AlertsError naming the key
    (never a URL's or header's value). Header maps are falcosidekick's ``customHeaders``."""
    outputs = _known_mapping(outputs, where, SIDEKICK_OUTPUTS, "output")
    config = {}
    for name, settings in outputs.items():
        required, keys = SIDEKICK_OUTPUTS[name]
        if not isinstance(settings, dict):
            raise AlertsError(f"{where}.{name} must be a mapping with '{required}'")
        bad = sorted(set(settings) - set(keys))
        if bad:
            raise AlertsError(f"{where}.{name}: unknown key(s) {', '.join(bad)}; accepted: "
                              f"{', '.join(keys)}")
        if not settings.get(required):
            raise AlertsError(f"{where}.{name}: '{required}' is required")
        out = {}
        for key, value in settings.items():
            out["customHeaders" if key == "customheaders" else key] = _sidekick_value(
                f"{where}.{name}.{key}", keys[key], value)
        config[name] = out
    return config
