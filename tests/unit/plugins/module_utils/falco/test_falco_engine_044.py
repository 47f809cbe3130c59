# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The linter judges like Falco 0.44's loader: schema mismatches warn, yaml-cpp's booleans decode,
required_engine_version is compared with the engine of the pinned Falco release."""
import json
import re
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    engine as falco_engine,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    linter as falco_linter,
)

ROOT = Path(__file__).resolve().parents[5]
RULE = """\
- rule: Shell
  desc: a shell
  condition: evt.type = execve and proc.name = bash
  output: "shell %proc.cmdline"
  priority: NOTICE
"""


@pytest.fixture(scope="module")
def schema(shared_fixtures):
    return json.loads((shared_fixtures / "falco" / "rules.schema.json").read_text())


def lint(tmp_path, text, schema=None, **kw):
    f = tmp_path / "r.yaml"
    f.write_text(text)
    return falco_linter.lint_paths([str(f)], schema, **kw)


def test_pinned_release_is_the_falco_role_pin():
    defaults = (ROOT / "roles" / "falco" / "defaults" / "main.yml").read_text()
    (pin,) = re.findall(r'^falco_version: "([^"]+)"$', defaults, re.M)
    assert falco_engine.PINNED_FALCO_VERSION == pin
    assert falco_engine.engine_version(pin) == "0.62.0"     # falco_engine_version.h at 0.44.1


def test_schema_mismatch_is_a_warning_and_the_file_loads(tmp_path, schema):
    # the schema types required_engine_version as a string; Falco's loader decodes an integer
    # (engine 0.N.0), so the file loads with a schema warning
    result = lint(tmp_path, "- required_engine_version: 10\n- list: l\n  items: [1.5, bash]\n"
                  "- macro: m\n  condition: proc.name in (l)\n" + RULE.replace(
                      "proc.name = bash", "m"), schema)
    assert result.errors == []
    messages = [w.message for w in result.warnings if w.category == "schema"]
    assert messages == ["schema validation: required_engine_version: 10 is not of type 'string'"]
    assert "Shell" in result.rules


def test_unknown_key_warns_like_falco(tmp_path, schema):
    result = lint(tmp_path, RULE + "  tag: [shell]\n", schema)
    assert result.errors == []
    assert [w.message for w in result.warnings] == ["Unknown key 'tag'. The key will be ignored."]


@pytest.mark.parametrize("text,value", [
    ("y", True), ("Y", True), ("yes", True), ("YES", True), ("On", True), ('"true"', True),
    ("n", False), ("NO", False), ("off", False), ("'False'", False), ("OFF", False),
])
def test_yaml_cpp_booleans_are_accepted(tmp_path, schema, text, value):
    result = lint(tmp_path, RULE + f"  enabled: {text}\n  warn_evttypes: {text}\n", schema)
    assert result.errors == [], [str(e) for e in result.errors]
    assert [w for w in result.warnings if w.category == "schema"] == []
    assert result.rules["Shell"].data["enabled"] is value


@pytest.mark.parametrize("text", ["tRUE", "1", "yep", "[true]"])
def test_values_yaml_cpp_cannot_decode_as_boolean_are_errors(tmp_path, text):
    (err,) = lint(tmp_path, RULE + f"  enabled: {text}\n").errors
    assert "'enabled': can't decode YAML scalar value" in err.message and err.name == "Shell"


def test_list_items_and_strings_are_the_text_yaml_cpp_reads(tmp_path):
    result = lint(tmp_path, "- list: answers\n  items: [yes, on, 1.10]\n"
                  "- rule: R\n  desc: yes\n"
                  "  condition: evt.type = execve and proc.name in (answers)\n"
                  "  output: o\n  priority: INFO\n")
    assert result.errors == []
    assert result.lists["answers"] == ["yes", "on", "1.10"]
    assert result.rules["R"].data["desc"] == "yes"


@pytest.mark.parametrize("version", ["62", "0", "'62'", "0.62.0", "0.61.3", '"0.1.0"'])
def test_required_engine_version_the_engine_meets(tmp_path, version):
    assert lint(tmp_path, f"- required_engine_version: {version}\n" + RULE).errors == []


@pytest.mark.parametrize("version,message", [
    ("63", "rules require engine version 0.63.0, newer than the engine of Falco 0.44.1 "
           "(engine version 0.62.0)"),
    ("0.62.1", "rules require engine version 0.62.1, newer than the engine of Falco 0.44.1 "
               "(engine version 0.62.0)"),
    ("1.0.0", "rules require engine version 1.0.0, a different major version than the engine "
              "of Falco 0.44.1 (engine version 0.62.0)"),
    ("0.10", "unable to parse engine version '0.10' as a semver string"),
    ("latest", "unable to parse engine version 'latest'"),
])
def test_required_engine_version_the_engine_does_not_meet(tmp_path, version, message):
    (err,) = lint(tmp_path, f"- required_engine_version: {version}\n" + RULE).errors
    assert message in err.message and err.line == 1 and err.category == "engine_version"


def test_another_release_is_checked_against_its_engine_and_unknown_ones_refused(tmp_path):
    assert lint(tmp_path, "- required_engine_version: 0.62.0\n", falco_version="0.44.0").ok
    with pytest.raises(ValueError, match="unknown Falco release '0.43.0'"):
        lint(tmp_path, RULE, falco_version="0.43.0")


def test_upstream_ruleset_requirement_is_met_by_the_pinned_engine(shared_fixtures):
    upstream = shared_fixtures / "falco" / "falco_rules.yaml"
    (line,) = [x for x in upstream.read_text().splitlines() if x.startswith("- required_engine")]
    assert falco_linter.lint_paths([str(upstream)]).errors == [], line


def test_catalog_states_the_sysdig_and_libs_it_describes(shared_fixtures):
    from ansible_collections.bulwark.container_security.plugins.module_utils.falco import fields
    recorded = (shared_fixtures / "falco" / f"sysdig-{fields.CATALOG_SYSDIG_VERSION}-version.txt")
    assert f"falcosecurity/libs version {fields.CATALOG_LIBS_VERSION}" in recorded.read_text()
    assert f"sysdig {fields.CATALOG_SYSDIG_VERSION}" in fields.__doc__
    assert "falco-fields:" in (ROOT / "Makefile").read_text()


def test_cli_names_both_versions_and_takes_another_release(tmp_path):
    import subprocess
    import sys
    f = tmp_path / "r.yaml"
    f.write_text("- required_engine_version: 0.63.0\n" + RULE)
    lint_cli = ROOT / "bin" / "falco_rules_lint.py"
    run = subprocess.run([sys.executable, str(lint_cli), str(f)], capture_output=True, text=True,
                         check=False)
    assert run.returncode == 1 and "0.63.0" in run.stdout and "engine version 0.62.0" in run.stdout
    run = subprocess.run([sys.executable, str(lint_cli), "--falco-version", "0.43.0", str(f)],
                         capture_output=True, text=True, check=False)
    assert run.returncode == 2 and "invalid choice: '0.43.0'" in run.stderr
