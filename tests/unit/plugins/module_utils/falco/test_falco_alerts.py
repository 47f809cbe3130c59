# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""falco_alerts: one variable for every place alerts go, checked against Falco's config schema."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    alerts as falco_alerts,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    config as falco_config,
)

ROLE = Path(__file__).resolve().parents[5] / "roles/falco"
SCHEMA = json.loads((ROLE / "files/config.schema.json").read_text())
TOKEN = "s3cr3t-t0ken"


def readme_examples():
    text = (ROLE / "README.md").read_text().split("## Alerts", 1)[1].split("\n## ", 1)[0]
    blocks = [b.split("```", 1)[0] for b in text.split("```yaml\n")[1:]]
    return [yaml.safe_load(b)["falco_alerts"] for b in blocks]


def test_default_is_stdout_and_syslog_and_matches_the_role_default():
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    config = falco_alerts.alerts_config(defaults["falco_alerts"])
    assert {k: v["enabled"] for k, v in config.items()} == {
        "stdout_output": True, "syslog_output": True, "file_output": False,
        "http_output": False, "program_output": False}
    assert falco_config.config_errors(config, SCHEMA) == []


@pytest.mark.parametrize("alerts", readme_examples())
def test_every_readme_example_passes_falcos_config_schema(alerts):
    config = falco_alerts.alerts_config(alerts)
    assert falco_config.config_errors(config, SCHEMA) == []
    assert config["syslog_output"]["enabled"] is (alerts.get("syslog", True) is not False)


def test_readme_has_examples_for_every_channel():
    seen = set()
    for alerts in readme_examples():
        seen |= set(alerts)
    assert seen >= {"http", "syslog", "file", "program"}


def test_naming_http_keeps_the_journal_and_enables_the_webhook():
    config = falco_alerts.alerts_config({"http": {"url": f"https://hooks.example/{TOKEN}"}})
    assert config["stdout_output"] == {"enabled": True}
    assert config["http_output"] == {"enabled": True, "url": f"https://hooks.example/{TOKEN}"}
    assert falco_alerts.alerts_carry_secrets({"http": {"url": "http://sidekick:2801/"}})
    assert not falco_alerts.alerts_carry_secrets({"file": {"filename": "/var/log/falco.json"}})


@pytest.mark.parametrize("alerts,message", [
    ({"slack": {}}, "falco_alerts: unknown channel(s) slack; accepted: stdout, syslog"),
    ({"http": {"url": f"ftp://x/{TOKEN}"}}, "falco_alerts.http.url must be an http:// or https://"),
    ({"http": {"url": "http://x/", "headers": {"Authorization": TOKEN}}},
     "falco_alerts.http: unknown key(s) headers; accepted: enabled, url"),
    ({"http": True}, "falco_alerts.http: true is not enough, give a mapping with 'url'"),
    ({"program": {"keep_alive": True}}, "falco_alerts.program: 'program' is required"),
    ({"file": "/var/log/falco.json"}, "falco_alerts.file must be true, false or a mapping"),
    (["stdout"], "falco_alerts must be a mapping of channel to settings, got list"),
])
def test_bad_alerts_fail_naming_the_key_never_the_value(alerts, message):
    with pytest.raises(falco_alerts.AlertsError) as exc:
        falco_alerts.alerts_config(alerts)
    assert str(exc.value).startswith(message) and TOKEN not in str(exc.value)
