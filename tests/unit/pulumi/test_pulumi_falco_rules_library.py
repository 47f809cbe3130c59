"""The Pulumi program's Falco rules library: the collection's builder called directly (no role
file read), overridable with bulwark:falcoLibrary, giving the text the falco role's filter
writes on a node."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.filter.falco_config import (
    FilterModule,
)
from bulwark_platform import charts
from bulwark_platform import settings as platform_settings
from pulumi_harness import run_program

GOLDENS = Path(__file__).resolve().parents[2] / "fixtures/falco_library"
RELEASE = "kubernetes:helm.sh/v3:Release"
FILTER = FilterModule().filters()["falco_rules_library"]


def _inputs(name: str) -> dict:
    return json.loads((GOLDENS / f"{name}.input.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("name", ["defaults", "custom", "special_characters", "empty"])
def test_pulumi_and_the_role_filter_give_the_same_text(name):
    settings = platform_settings.from_mapping({"falcoLibrary": _inputs(name)})
    rules = charts.falco_rules(settings)
    assert rules == {"bulwark_10_library.yaml": FILTER(_inputs(name))}
    assert rules["bulwark_10_library.yaml"] == (GOLDENS / f"{name}.yaml").read_text("utf-8")


def test_program_loads_the_library_built_from_its_config():
    monitor = run_program({"falcoLibrary": _inputs("custom")})
    falco = next(r for r in monitor.by_type(RELEASE) if r.name == "falco")
    assert falco.inputs["values"]["customRules"] == {
        "bulwark_10_library.yaml": (GOLDENS / "custom.yaml").read_text(encoding="utf-8")}


@pytest.mark.parametrize("config,message", [
    ({"falcoLibrary": {"falco_shell_binaries": ["a,b"]}},
     "bulwark:falcoLibrary: falco_shell_binaries[0]: 'a,b' is not one Falco value"),
    ({"falcoLibrary": {"falco_shells": ["sh"]}},
     "bulwark:falcoLibrary: unknown variables ['falco_shells']"),
    ({"falcoLibrary": '{"falco_listen_allowed_ports": ["http"]}'},
     "bulwark:falcoLibrary: falco_listen_allowed_ports: 'http' is not a port number"),
    ({"falcoLibrary": {"falco_trusted_images": ["x"]}, "falcoEnabled": False},
     "bulwark:falcoLibrary needs bulwark:falcoEnabled: true"),
    ({"falcoLibrary": {"falco_trusted_images": ["x"]}, "falcoRulesFiles": ["pulumi/Pulumi.yaml"]},
     "and no bulwark:falcoRulesFiles (they replace the library)"),
])
def test_bad_library_config_is_refused_naming_the_key(config, message):
    with pytest.raises(platform_settings.StackConfigError) as refused:
        platform_settings.from_mapping(config)
    assert message in str(refused.value), str(refused.value)
