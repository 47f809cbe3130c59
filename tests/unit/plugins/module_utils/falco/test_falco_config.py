"""The falco role's pure parts: config schema check, key fingerprints, argument specs."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    config as falco_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    library as falco_library,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)

ROLE = Path(__file__).resolve().parents[5] / "roles/falco"
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


LIBRARY_RULES = {
    "Bulwark shell spawned in container": "shell_in_container",
    "Bulwark write below protected directory": "protected_dir_write",
    "Bulwark package manager in container": "package_manager_in_container",
    "Bulwark read of sensitive file by non-trusted program": "sensitive_file_read",
    "Bulwark new executable run in container": "container_drift",
    "Bulwark unexpected outbound connection": "unexpected_outbound",
    "Bulwark unexpected listening socket": "unexpected_listen",
}


def test_library_rules_have_mitre_tags_and_take_exceptions_not_condition_edits():
    """Was the template's test: every rule has its falco_rule_exceptions key, takes the site's
    exceptions and can be disabled; no condition mentions exceptions."""
    assert {r.title: r.key for r in rules_library.RULES} == LIBRARY_RULES
    assert len(rules_library.RULES) == len(LIBRARY_RULES)
    assert set(LIBRARY_RULES.values()) == set(falco_library.RULE_KEYS)
    for rule in rules_library.RULES:
        assert "exceptions" not in rule.condition and "falco_rule_exceptions" not in rule.condition
        assert any(t.startswith("mitre_") for t in rule.tags)
        assert any(t.startswith(("T1", "TA0")) for t in rule.tags)
    site = {"name": "site", "fields": "proc.pname", "values": ["tini"]}
    for title, key in LIBRARY_RULES.items():
        built = yaml.safe_load(rules_library.build_rules_library(
            {"falco_rule_exceptions": {key: [site]}, "falco_rules_disabled": [title]}))
        (rule,) = [i for i in built if i.get("rule") == title]
        assert rule["exceptions"][-1] == site and rule["enabled"] is False
        others = [i for i in built if "rule" in i and i["rule"] != title]
        assert all("enabled" not in i and site not in i["exceptions"] for i in others)


def test_readme_tells_each_rules_false_positive_story():
    readme = (ROLE / "README.md").read_text()
    for name in LIBRARY_RULES:
        section = readme.split(f"#### {name}\n", 1)
        assert len(section) == 2, name
        assert "False positives:" in section[1].split("####", 1)[0], name


@pytest.mark.parametrize("variables,message", [
    ({"falco_egress_allowed_by_image": {"shop/api": ["10.0.0.0/33"]}},
     "falco_egress_allowed_by_image['shop/api']: '10.0.0.0/33' is not an IP address or CIDR"),
    ({"falco_egress_allowed_by_namespace": {"payments": "10.0.0.0/8"}},
     "falco_egress_allowed_by_namespace['payments'] must be a list, got str"),
    ({"falco_listen_allowed_by_image": {"shop/api": [0]}},
     "falco_listen_allowed_by_image['shop/api']: 0 is not a port number 1-65535"),
    ({"falco_listen_allowed_ports": ["http"]},
     "falco_listen_allowed_ports: 'http' is not a port number 1-65535"),
    ({"falco_rule_exceptions": {"shell": []}},
     "falco_rule_exceptions['shell']: unknown rule key; accepted: shell_in_container"),
    ({"falco_rule_exceptions": {"shell_in_container": [{"fields": "proc.pname"}]}},
     "falco_rule_exceptions['shell_in_container'][0]: an exception needs a 'name' and 'fields'"),
    ({"falco_rule_exceptions": {"shell_in_container": "proc.pname = tini"}},
     "falco_rule_exceptions['shell_in_container'] must be a list of Falco exceptions"),
])
def test_library_variables_are_checked_naming_variable_and_entry(variables, message):
    (error,) = falco_library.library_errors(variables)
    assert error.startswith(message), error


def test_valid_library_variables_have_no_errors():
    assert falco_library.library_errors({
        "falco_egress_allowed_by_image": {"a": ["192.0.2.10", "2001:db8::/32"], "b": []},
        "falco_listen_allowed_by_image": {"a": [8080, "9090"]},
        "falco_listen_allowed_ports": [443],
        "falco_rule_exceptions": {"unexpected_listen": [{"name": "x", "fields": "fd.lport",
                                                         "values": [22]}]}}) == []
