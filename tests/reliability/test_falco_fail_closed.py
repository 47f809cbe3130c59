# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Fail-closed rows of the Falco linter and of the Falco/trivy configuration checks (issue 22):
deep conditions and macro chains, YAML alias bombs, FIFOs, /dev/zero, broken-symlink rules
directories, and secrets in schema messages. In-process only."""
from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    config as falco_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.linter import (
    lint_paths,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    config as trivy_config,
)

ROOT = Path(__file__).resolve().parents[2]
FALCO_SCHEMA = json.loads((ROOT / "roles/falco/files/config.schema.json").read_text())
TRIVY_SCHEMA = json.loads((ROOT / "roles/trivy/files/trivy-config.schema.json").read_text())
RULE = "- rule: r\n  desc: d\n  output: o\n  priority: INFO\n  condition: {}\n"
SECRET = "s3cr3t-T0KEN-value"


@pytest.fixture
def time_guard():
    """Fail (not hang) when a row runs past 10 s."""
    def alarm(_signum, _frame):
        raise TimeoutError("row ran past its 10 s bound")
    old = signal.signal(signal.SIGALRM, alarm)
    signal.alarm(10)
    yield
    signal.alarm(0)
    signal.signal(signal.SIGALRM, old)


def _chain(n):
    return "- macro: m0\n  condition: evt.type=open\n" + "".join(
        f"- macro: m{i}\n  condition: m{i - 1}\n" for i in range(1, n)) + RULE.format(f"m{n - 1}")


def _diamond(n):
    """Each macro uses the previous one twice: 2**n nodes once expanded."""
    return "- macro: m0\n  condition: evt.type=open\n" + "".join(
        f"- macro: m{i}\n  condition: m{i - 1} and m{i - 1}\n" for i in range(1, n)) \
        + RULE.format(f"m{n - 1}")


def _bomb():
    lines = ["- list: b0\n  items: &a0 [x, x, x, x, x, x, x, x, x, x]\n"]
    for i in range(1, 12):
        lines.append(f"- list: b{i}\n  items: &a{i} [" + ", ".join([f"*a{i - 1}"] * 10) + "]\n")
    return "".join(lines)


def _recursive_alias():
    return "- list: l\n  items: &a [x, *a]\n"


RESOURCE_FILES = {
    "150_nested_parentheses": (RULE.format("(" * 150 + "evt.type=open" + ")" * 150),
                               "condition nested deeper than 100 levels"),
    "2000_nots": (RULE.format("not " * 2000 + "evt.type=open"),
                  "condition nested deeper than 100 levels"),
    "2000_transformers": (RULE.format("tolower(" * 2000 + "proc.name" + ")" * 2000 + " = x"),
                          "condition nested deeper than 100 levels"),
    "2000_macro_chain": (_chain(2000), "macro expansion chain deeper than 100 macros"),
    "1kb_alias_bomb": (_bomb(), "rules file"),
    "macro_diamond_2_pow_60": (_diamond(60), "condition expands to more than 100000 nodes"),
    "recursive_alias": (_recursive_alias(), "recursive YAML alias"),
}


@pytest.mark.parametrize("text, message", RESOURCE_FILES.values(), ids=RESOURCE_FILES.keys())
def test_resource_row_falco_rules(tmp_path, time_guard, text, message):
    path = tmp_path / "rules.yaml"
    path.write_text(text)
    result = lint_paths([str(path)])
    assert any(message in e.message for e in result.errors), [str(e) for e in result.errors]


@pytest.mark.parametrize("size", [1200], ids=["alias_bomb_under_1_2kb"])
def test_resource_row_falco_alias_bomb_bound(tmp_path, time_guard, size):
    """The alias bomb is refused by one of safe_input's bounds (alias count or expansion)."""
    path = tmp_path / "rules.yaml"
    path.write_text(_bomb())
    assert len(path.read_bytes()) < size
    messages = [e.message for e in lint_paths([str(path)]).errors]
    assert any("expand to more than" in m or "YAML aliases" in m for m in messages), messages


@pytest.mark.parametrize("kind", ["fifo", "dev_zero"], ids=["fifo_rules_file", "dev_zero"])
def test_resource_row_falco_special_files(tmp_path, time_guard, kind):
    if kind == "fifo":
        path = tmp_path / "rules.yaml"
        os.mkfifo(path)
    else:
        path = Path("/dev/zero")
    messages = [e.message for e in lint_paths([str(path)]).errors]
    want = "(a FIFO); refused" if kind == "fifo" else "(a character device); refused"
    assert any("is not a regular file" in m and want in m for m in messages), messages


@pytest.mark.parametrize("with_good_file", [False, True],
                         ids=["only_broken_symlinks", "broken_symlink_beside_a_good_file"])
def test_fail_open_row_falco_broken_symlink_dir(tmp_path, with_good_file):
    (tmp_path / "a.yaml").symlink_to(tmp_path / "missing.yaml")
    (tmp_path / "b.yaml").symlink_to("/nonexistent/rules.yaml")
    if with_good_file:
        (tmp_path / "c.yaml").write_text(RULE.format("evt.type=open"))
    with pytest.raises(InputError, match=r"not regular files: .*a\.yaml \(a broken symlink\)"):
        lint_paths([str(tmp_path)])


@pytest.mark.parametrize("setup", ["empty", "subdir_only", "fifo_entry"])
def test_fail_open_row_falco_nothing_to_lint(tmp_path, setup):
    if setup == "subdir_only":
        (tmp_path / "sub").mkdir()
    elif setup == "fifo_entry":
        os.mkfifo(tmp_path / "rules.yaml")
    message = "no rules files to lint" if setup == "empty" else "not regular files"
    with pytest.raises(InputError, match=message):
        lint_paths([str(tmp_path)])


LEAKS = {
    "falco_program_as_list": ({"program_output": {"enabled": True,
                                                  "program": [f"curl -H 'X-Token: {SECRET}'"]}},
                              "program_output.program: expected string, got array"),
    "falco_url_as_list": ({"http_output": {"enabled": True,
                                           "url": [f"https://u:{SECRET}@hook.example/x"]}},
                          "http_output.url: expected string, got array"),
    "falco_program_as_mapping": ({"program_output": {"enabled": True,
                                                     "program": {"cmd": SECRET}}},
                                 "program_output.program: expected string, got object"),
}


@pytest.mark.parametrize("config, message", LEAKS.values(), ids=LEAKS.keys())
def test_leak_row_falco_config(config, message):
    errors = falco_config.config_errors(config, FALCO_SCHEMA)
    assert any(message in e for e in errors), errors
    assert SECRET not in " ".join(errors)


TRIVY_LEAKS = {
    "trivy_registry_password_as_int": ({"password": 12345678901234},
                                       "registry.password: expected array, got integer"),
    "trivy_registry_password_as_mapping": ({"password": {"vault": SECRET}},
                                           "registry.password: expected array, got object"),
    "trivy_registry_password_item_as_list": ({"password": [[SECRET]]},
                                             "registry.password.0: expected string, got array"),
    "trivy_registry_password_as_bool": ({"password": True},
                                        "registry.password: expected array, got boolean"),
}


@pytest.mark.parametrize("registry, message", TRIVY_LEAKS.values(), ids=TRIVY_LEAKS.keys())
def test_leak_row_trivy_config(registry, message):
    document = trivy_config.build_config({"timeout": "5m"}, extra={"registry": registry})
    errors = trivy_config.validate_config(document, TRIVY_SCHEMA)
    assert any(message in e for e in errors), errors
    assert SECRET not in " ".join(errors) and "12345678901234" not in " ".join(errors)


@pytest.mark.parametrize(("exception", "message"), [
    ({"name": "sh", "fields": ["proc.pname"], "values": ["sh"]},
     "value #1 'sh' must be a list of 1 items, one per field"),
    ({"name": "two", "fields": ["proc.pname", "proc.name"], "comps": ["="], "values": []},
     "'fields' has 2 entries but 'comps' has 1 (they must match one to one)"),
    ({"name": "one", "fields": "proc.pname", "comps": ["in"], "values": ["sh"]},
     "a single field takes a single comp"),
], ids=["values-not-one-per-field", "comps-not-one-per-field", "single-field-comps-list"])
def test_fail_open_row_falco_rules_library_exception_shape(exception, message):
    """Refused before the library is built, in the words the linter would use on the written
    rule (found by make fuzz: the builder wrote a library its own linter refuses)."""
    variables = {"falco_rule_exceptions": {"shell_in_container": [exception]}}
    problems = rules_library.problems(variables)
    assert any(message in p for p in problems), problems
    with pytest.raises(ValueError, match="one|single"):
        rules_library.build_rules_library(variables)
