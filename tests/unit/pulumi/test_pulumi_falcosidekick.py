# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""bulwark:falcosidekick: Falco's alerts routed through falcosidekick, its outputs typed and
checked by the collection's module_utils/falco/alerts.py (the falco role's alerts module), and
set as the falco chart's falcosidekick values."""
from __future__ import annotations

import json

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import alerts
from bulwark_platform import charts
from bulwark_platform import settings as platform_settings

SLACK = "https://hooks.slack.com/services/T000/B000/SECRETTOKEN"


def from_config(sidekick, **extra):
    return platform_settings.from_mapping({"bulwark:falcosidekick": sidekick, **extra})


def test_outputs_become_the_charts_falcosidekick_values():
    settings = from_config(json.dumps({   # Pulumi hands objects over as JSON text
        "slack": {"webhookurl": SLACK, "channel": "#alerts", "minimumpriority": "error",
                  "outputformat": "text"},
        "webhook": {"address": "https://siem.example.com/in", "customheaders": {"X-Key": "k"},
                    "checkcert": False},
        "alertmanager": {"hostport": "http://alertmanager.monitoring.svc:9093"}}))
    values = charts.falco_values(settings)["falcosidekick"]
    assert values["enabled"] is True
    assert values["config"]["slack"] == {"webhookurl": SLACK, "channel": "#alerts",
                                         "minimumpriority": "error", "outputformat": "text"}
    assert values["config"]["webhook"]["customHeaders"] == {"X-Key": "k"}
    assert values["config"]["webhook"]["checkcert"] is False
    assert "falcosidekick" not in charts.falco_values(platform_settings.from_mapping({}))


@pytest.mark.parametrize(("sidekick", "message"), [
    ({"pagerduty": {"routingkey": "x"}}, "bulwark:falcosidekick: unknown output(s) pagerduty; "
                                         "accepted: webhook, slack, loki, alertmanager"),
    ({"slack": {"channel": "#a"}}, "bulwark:falcosidekick.slack: 'webhookurl' is required"),
    ({"slack": {"webhookurl": SLACK, "color": "red"}},
     "bulwark:falcosidekick.slack: unknown key(s) color"),
    ({"slack": "yes"}, "bulwark:falcosidekick.slack must be a mapping with 'webhookurl'"),
    ({"loki": {"hostport": "loki:3100"}},
     "bulwark:falcosidekick.loki.hostport must be an http:// or https:// URL with a host"),
    ({"webhook": {"address": "https://x.example", "minimumpriority": "warn"}},
     "bulwark:falcosidekick.webhook.minimumpriority: 'warn' is not a Falco priority"),
    ({"webhook": {"address": "https://x.example", "customheaders": {"X-Key": 1}}},
     "bulwark:falcosidekick.webhook.customheaders must be a mapping of header name to text"),
    ({"webhook": {"address": "https://x.example", "method": "GET"}},
     "bulwark:falcosidekick.webhook.method: 'GET' is not one of POST, PUT"),
    ({"loki": {"hostport": "http://l:3100", "mutualtls": "yes"}},
     "bulwark:falcosidekick.loki.mutualtls must be a bool"),
    (["slack"], "bulwark:falcosidekick: ['slack'] is a list; a object is required"),
])
def test_bad_outputs_are_refused_naming_the_key(sidekick, message):
    with pytest.raises(platform_settings.StackConfigError) as exc:
        from_config(sidekick)
    assert str(exc.value).startswith(message)


def test_a_secret_url_is_never_in_the_message():
    with pytest.raises(platform_settings.StackConfigError) as exc:
        from_config({"slack": {"webhookurl": "hooks.slack.com/services/SECRETTOKEN"}})
    assert "SECRETTOKEN" not in str(exc.value)


def test_falcosidekick_needs_falco():
    with pytest.raises(platform_settings.StackConfigError,
                       match="bulwark:falcosidekick needs bulwark:falcoEnabled: true"):
        from_config({"loki": {"hostport": "http://l:3100"}}, **{"bulwark:falcoEnabled": False})


def test_the_ansible_side_and_the_pulumi_side_share_one_validator():
    assert platform_settings.sidekick_config is alerts.sidekick_config
    assert alerts.sidekick_config(None) == {}


def test_the_falco_release_values_are_a_secret_once_sidekick_has_outputs():
    """Webhook URLs and tokens must not sit in the state in clear: with falcosidekick outputs
    the falco release's values reach the engine as a Pulumi secret (the kyverno release's not)."""
    from pulumi.runtime import rpc
    from pulumi_harness import run_program

    def is_secret(value):
        return (isinstance(value, dict)
                and value.get(rpc._special_sig_key) == rpc._special_secret_sig)

    monitor = run_program({"falcoEnabled": True,
                           "falcosidekick": {"webhook": {"address": "https://hooks.example/T"}}})
    values = {r.name: r.inputs["values"] for r in monitor.by_type("kubernetes:helm.sh/v3:Release")}
    assert is_secret(values["falco"]) and not is_secret(values["kyverno"])
    assert values["falco"]["value"]["falcosidekick"]["config"]["webhook"]["address"] == (
        "https://hooks.example/T")
    plain = run_program({"falcoEnabled": True}).by_type("kubernetes:helm.sh/v3:Release")
    assert not any(is_secret(r.inputs["values"]) for r in plain)
