"""The falco role's pure parts: config schema check, key fingerprints, argument specs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils import falco_config

ROLE = Path(__file__).resolve().parents[3] / "roles/falco"
SCHEMA = json.loads((ROLE / "files/config.schema.json").read_text())


def test_role_schema_is_upstreams_unchanged(shared_fixtures):
    assert SCHEMA == json.loads((shared_fixtures / "falco/config.schema.json").read_text())


def test_upstream_default_config_passes(shared_fixtures):
    default = yaml.safe_load((shared_fixtures / "falco/falco.default.yaml").read_text())
    assert falco_config.config_errors(default, SCHEMA) == []


def test_schema_errors_name_the_key():
    errors = falco_config.config_errors({
        "json_output": "yes",
        "webserver": {"enabled": True, "port": 8765},
        "program_output": {"enabled": True},
        "engine": {"kind": "modern_ebpf", "ebpf": {"probe": "/x"}},
    }, json.dumps(SCHEMA))
    assert "json_output: 'yes' is not of type 'boolean'" in errors
    assert any(e.startswith("webserver: Additional properties") and "'port'" in e
               for e in errors)
    assert "program_output: 'program' is a required property" in errors
    assert any(e.startswith("engine: Additional properties") and "'ebpf'" in e
               for e in errors)


def test_primary_fingerprints_skip_subkeys():
    lines = [
        "pub:-:4096:1:4365106822B35B1B:1700000000:::-:::scESC::::::23::0:",
        "fpr:::::::::478B2FBBC75F4237B731DA4365106822B35B1B1F:",
        "uid:-::::1700000000::X::Falcosecurity Package Signing:::::::::0:",
        "sub:-:4096:1:AAAAAAAAAAAAAAAA:1700000000::::::e::::::23:",
        "fpr:::::::::1111111111111111111111111111AAAAAAAAAAAAAAAA:",
        "pub:-:4096:1:15ED05F191E40D74:1600000000:::-:::scESC::::::23::0:",
        "fpr:::::::::15ed05f191e40d74bac4b0a4",
    ]
    assert falco_config.gpg_primary_fingerprints(lines) == [
        "478B2FBBC75F4237B731DA4365106822B35B1B1F", "15ED05F191E40D74BAC4B0A4"]


def _specs():
    return yaml.safe_load((ROLE / "meta/argument_specs.yml").read_text())[
        "argument_specs"]["main"]["options"]


def test_every_default_is_specified_with_the_same_value():
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text())
    specs = _specs()
    assert set(defaults) == set(specs)
    for name, value in defaults.items():
        assert specs[name].get("default") == value, name
        assert specs[name].get("description"), name


@pytest.mark.parametrize("name,choices", [
    ("falco_driver", ["modern_ebpf", "kmod"]),            # no legacy ebpf (removed in 0.44)
    ("falco_install_method", ["apt", "yum", "tarball", "none"]),
])
def test_choices(name, choices):
    assert _specs()[name]["choices"] == choices


def test_library_template_has_six_rules_with_mitre_tags_and_exception_hooks():
    text = (ROLE / "templates/rules/bulwark_10_library.yaml.j2").read_text()
    rules = [line.split(": ", 1)[1] for line in text.splitlines() if line.startswith("- rule: ")]
    assert len(rules) == 6
    blocks = text.split("- rule: ")[1:]
    for block in blocks:
        assert "not bulwark_" in block and "_exceptions" in block
        tags = next(line for line in block.splitlines() if line.strip().startswith("tags:"))
        assert "mitre_" in tags and (" T1" in tags or " TA0" in tags)
