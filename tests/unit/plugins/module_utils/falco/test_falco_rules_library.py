"""The Falco rules library builder (module_utils/falco/rules_library.py) and its filter: the
retired template's goldens byte for byte, the role's defaults equal to the builder's, refusals
naming the variable and the entry, and the rules' shape (exceptions, never condition edits)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.filter.falco_config import (
    FilterModule,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.linter import (
    lint_paths,
)

ROOT = Path(__file__).resolve().parents[5]
ROLE = ROOT / "roles/falco"
GOLDENS = ROOT / "tests/fixtures/falco_library"
SCHEMA = ROOT / "tests/fixtures/falco/rules.schema.json"
ACCEPTED = sorted(p.name.removesuffix(".input.json") for p in GOLDENS.glob("*.input.json")
                  if p.name != "rejected_names.input.json")
FILTERS = FilterModule().filters()


def _inputs(name: str) -> dict:
    return json.loads((GOLDENS / f"{name}.input.json").read_text(encoding="utf-8"))


def test_every_variation_has_its_golden():
    assert ACCEPTED == ["all_disabled", "custom", "defaults", "empty", "special_characters"]
    for name in [*ACCEPTED, "rejected_names"]:
        assert (GOLDENS / f"{name}.yaml").is_file(), name


@pytest.mark.parametrize("name", ACCEPTED)
def test_builder_reproduces_the_template_byte_for_byte(name):
    golden = (GOLDENS / f"{name}.yaml").read_bytes()
    assert rules_library.build_rules_library(_inputs(name)).encode() == golden


@pytest.mark.parametrize("name", ACCEPTED)
def test_filter_gives_the_builders_text(name):
    assert FILTERS["falco_rules_library"](_inputs(name)) == \
        rules_library.build_rules_library(_inputs(name))


@pytest.mark.parametrize("name", ACCEPTED)
def test_goldens_pass_the_collections_linter(name):
    result = lint_paths([str(GOLDENS / f"{name}.yaml")], str(SCHEMA))
    assert result.errors == []
    assert len(result.rules) == 7


def test_template_output_for_bad_names_fails_the_linter_and_the_builder_refuses_it():
    """What the template wrote for names with quotes, commas or parentheses: Falco would refuse
    the file. The builder refuses the variables, naming each entry."""
    result = lint_paths([str(GOLDENS / "rejected_names.yaml")], str(SCHEMA))
    assert len(result.errors) >= 5
    with pytest.raises(ValueError) as refused:
        rules_library.build_rules_library(_inputs("rejected_names"))
    message = str(refused.value)
    for where in ("falco_protected_dirs[0]", "falco_allowed_writers[0]",
                  "falco_allowed_writers[1]", "falco_allowed_writers[2]",
                  "falco_shell_binaries[0]", "falco_shell_binaries[1]",
                  "falco_sensitive_files[0]",
                  "falco_trusted_images[0]",
                  "falco_rule_exceptions['shell_in_container'][0].values"):
        assert f"{where}: " in message, where
    assert "is not one Falco value" in message
    assert "falco_shell_binaries[2]" not in message   # 'x) or (y' has a space: Falco quotes it
    with pytest.raises(AnsibleFilterError, match="^falco_rules_library: falco_protected_dirs"):
        FILTERS["falco_rules_library"](_inputs("rejected_names"))
    assert FILTERS["falco_library_errors"](_inputs("rejected_names")) == message.split("; ")


def test_role_defaults_are_the_builders_defaults():
    defaults = yaml.safe_load((ROLE / "defaults/main.yml").read_text(encoding="utf-8"))
    assert {k: defaults[k] for k in rules_library.DEFAULTS} == rules_library.DEFAULTS


def test_role_hands_the_filter_every_library_variable():
    role_vars = yaml.safe_load((ROLE / "vars/main.yml").read_text(encoding="utf-8"))
    handed = role_vars["falco_rules_library_variables"]
    assert handed == {k: "{{ " + k + " }}" for k in rules_library.DEFAULTS}
    assert role_vars["falco_rules_library_file"] == rules_library.FILE_NAME


def test_no_variables_is_the_defaults():
    assert rules_library.build_rules_library() == rules_library.build_rules_library({}) == \
        (GOLDENS / "defaults.yaml").read_text(encoding="utf-8")


@pytest.mark.parametrize("variables,message", [
    ([], "the library's variables must be a mapping of variable name to value, got list"),
    ({"falco_shells": ["sh"]}, "unknown variables ['falco_shells']; accepted: "),
    ({"falco_shell_binaries": "bash"}, "falco_shell_binaries must be a list of strings, got str"),
    ({"falco_trusted_images": [3]}, "falco_trusted_images[0]: 3 must be a string, got int"),
    ({"falco_rules_disabled": [None]}, "falco_rules_disabled[0]: None must be a string"),
    ({"falco_protected_dirs": [""]}, "falco_protected_dirs[0]: '' is not one Falco value"),
    ({"falco_package_managers": ["apt\x00"]},
     "falco_package_managers[0]: 'apt\\x00' is not one Falco value"),
    ({"falco_listen_allowed_ports": 443},
     "falco_listen_allowed_ports must be a list of port numbers, got int"),
    ({"falco_listen_allowed_ports": [True]},
     "falco_listen_allowed_ports: True is not a port number 1-65535"),
    ({"falco_egress_allowed_by_image": {"shop/api=x": ["10.0.0.1"]}},
     "falco_egress_allowed_by_image key: 'shop/api=x' is not one Falco value"),
    ({"falco_egress_allowed_by_namespace": ["payments"]},
     "falco_egress_allowed_by_namespace must be a mapping"),
    ({"falco_rule_exceptions": {"shell_in_container": [{"name": "x", "fields": "proc.pname",
                                                        "values": ["a,b"]}]}},
     "falco_rule_exceptions['shell_in_container'][0].values: 'a,b' is not one Falco value"),
])
def test_wrong_variables_are_refused_naming_the_variable(variables, message):
    with pytest.raises(ValueError) as refused:
        rules_library.build_rules_library(variables)
    assert str(refused.value).startswith(message), str(refused.value)


def test_a_character_outside_the_bmp_is_written_as_a_yaml_escape():
    """JSON's surrogate pair is no YAML; the builder writes \\U0001f600 (the template wrote a
    file the linter could not load)."""
    text = rules_library.build_rules_library({"falco_shell_binaries": ["\U0001f600sh",
                                                                       "back\\ud83dslash"]})
    assert '"\\U0001f600sh"' in text and '"back\\\\ud83dslash"' in text
    shells = next(i for i in yaml.safe_load(text) if i.get("list") == "bulwark_shell_binaries")
    assert shells["items"] == ["\U0001f600sh", "back\\ud83dslash"]
