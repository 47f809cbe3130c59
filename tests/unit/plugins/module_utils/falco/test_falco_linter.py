"""The rules loader and linter: upstream's stable ruleset, the broken set, Falco's semantics."""
import importlib.util
import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    grammar as falco_grammar,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    linter as falco_linter,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    loader as falco_loader,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    schema as falco_schema,
)

ROOT = Path(__file__).resolve().parents[5]
BROKEN = sorted((ROOT / "tests" / "fixtures" / "falco" / "broken").glob("*.yaml"))
LINTER = ROOT / "bin" / "falco_rules_lint.py"   # the CLI; plugins/module_utils/falco/ lints


@pytest.fixture(scope="module")
def upstream(shared_fixtures):
    return shared_fixtures / "falco" / "falco_rules.yaml"


@pytest.fixture(scope="module")
def schema(shared_fixtures):
    return json.loads((shared_fixtures / "falco" / "rules.schema.json").read_text())


def header(path: Path, key: str) -> list[str]:
    return re.findall(rf"^# {key}: (.*)$", path.read_text(), re.M)


def write(tmp_path, name, text):
    p = tmp_path / name
    p.write_text(text)
    return str(p)


def test_upstream_stable_ruleset_has_zero_errors(upstream, schema):
    result = falco_linter.lint_paths([upstream], schema)
    assert result.errors == []
    assert result.warnings == []
    assert len(result.rules) == 25 and len(result.macros) == 87 and len(result.lists) == 49


def test_upstream_expanded_conditions_have_no_references_left(upstream):
    expanded = falco_linter.expand_conditions([upstream])
    assert len(expanded) == 25
    for name, cond in expanded.items():
        ast = falco_grammar.parse_condition(cond)  # the expansion is itself valid filter syntax
        assert not [n for n in falco_grammar.walk(ast) if isinstance(n, falco_grammar.Ident)], name
    # macro bodies are parenthesised, list items inlined
    assert "proc.name in (ash, bash, csh, ksh, sh, tcsh, zsh, dash)" in \
        expanded["Terminal shell in container"]


def test_at_least_15_broken_files_each_with_an_expectation():
    assert len(BROKEN) >= 15
    for path in BROKEN:
        assert header(path, "defect") and (header(path, "expect") or header(path, "expect-warning"))


@pytest.mark.parametrize("path", BROKEN, ids=[p.stem for p in BROKEN])
def test_broken_rule_is_rejected_naming_file_rule_and_position(path, schema):
    result = falco_linter.lint_paths([path], schema)
    for expected in header(path, "expect"):
        matches = [e for e in result.errors if expected in e.message]
        assert matches, f"{expected!r} not in {[str(e) for e in result.errors]}"
        for e in matches:
            assert e.file == str(path) and e.line > 0 and e.name
            assert path.read_text().splitlines()[e.line - 1].strip()   # points at a real line
            if e.category in ("syntax", "field") and "exception" not in e.message:
                assert e.column, str(e)
    for expected in header(path, "expect-warning"):
        assert [w for w in result.warnings if expected in w.message], result.warnings
        assert result.errors == []      # a warning alone does not fail the file


def test_seed_rule_positions():
    """Seed 004: syntax error at `</>` (line and column), then evt.name and args.flags."""
    seed = falco_linter.lint_paths([BROKEN[0]])
    (err,) = seed.errors
    line = BROKEN[0].read_text().splitlines()[err.line - 1]
    assert line[err.column - 1:].startswith("/>")
    assert err.category == "syntax" and err.name == "Write to Protected Directory"
    for path, field in ((BROKEN[1], "evt.name"), (BROKEN[2], "args.flags")):
        (err,) = falco_linter.lint_paths([path]).errors
        line = path.read_text().splitlines()[err.line - 1]
        assert line[err.column - 1:].startswith(field), (str(err), line)


def test_folded_condition_positions_point_into_the_file(tmp_path):
    f = write(tmp_path, "r.yaml", """\
- rule: Folded
  desc: d
  condition: >
    evt.type = execve
    and proc.nme = bash
  output: o
  priority: INFO
""")
    (err,) = falco_linter.lint_paths([f]).errors
    assert (err.line, err.column) == (5, 9)


def test_macro_append_override_and_exceptions_expand_like_falco(tmp_path):
    base = write(tmp_path, "a.yaml", """\
- list: shells
  items: [bash, sh]
- macro: spawned
  condition: evt.type = execve
- rule: Shell
  desc: d
  condition: spawned and proc.name in (shells)
  output: "shell %proc.name"
  priority: NOTICE
  exceptions:
    - name: parents
      fields: [proc.pname, proc.cmdline]
      comps: [=, startswith]
      values:
        - [cron, "backup --all"]
""")
    local = write(tmp_path, "b.yaml", """\
- list: shells
  items: [zsh]
  override:
    items: append
- macro: spawned
  condition: and proc.vpid != 1
  override:
    condition: append
- rule: Shell
  priority: WARNING
  exceptions:
    - name: parents
      values:
        - [sshd, /usr/sbin/sshd]
  override:
    priority: replace
    exceptions: append
- rule: Shell
  enabled: false
""")
    result = falco_linter.lint_paths([base, local])
    assert result.errors == []
    rule = result.rules["Shell"]
    assert rule.data["priority"] == "WARNING" and rule.data["enabled"] is False
    assert result.expanded["Shell"] == (
        "((evt.type = execve and proc.vpid != 1) and proc.name in (bash, sh, zsh)) and not "
        '((proc.pname = cron and proc.cmdline startswith "backup --all") or '
        "(proc.pname = sshd and proc.cmdline startswith /usr/sbin/sshd))")


def test_appended_condition_errors_point_at_the_appending_file(tmp_path):
    base = write(tmp_path, "a.yaml", "- macro: m\n  condition: proc.name = a\n")
    local = write(tmp_path, "b.yaml",
                  "- macro: m\n  condition: or proc.nme = b\n  override:\n    condition: append\n")
    (err,) = falco_linter.lint_paths([base, local]).errors
    assert err.file == local and err.line == 2 and "proc.nme" in err.message


def test_redefinition_warns_and_replaces(tmp_path):
    f = write(tmp_path, "a.yaml", "- macro: m\n  condition: proc.name = a\n"
                                  "- macro: m\n  condition: proc.name = b\n")
    result = falco_linter.lint_paths([f])
    assert result.errors == [] and "redefines" in result.warnings[0].message


def test_macro_order_lists_with_equals_and_list_items_like_falco(tmp_path):
    """Falco: a macro sees only macros defined before it (a rule sees all); list names are
    replaced by their items as text, items quoted only when they contain a space."""
    f = write(tmp_path, "a.yaml", """\
- list: shells
  items: [bash, sh]
- list: one
  items: [bash]
- list: odd
  items: ["a=b"]
- macro: a
  condition: b and proc.name = one
- macro: b
  condition: evt.type = execve
- rule: R
  desc: d
  condition: b and a and proc.name = shells and proc.pname in (odd)
  output: o
  priority: INFO
""")
    result = falco_linter.lint_paths([f])
    messages = [e.message for e in result.errors]
    assert any("undefined macro 'b' at this point: it is defined later" in m for m in messages)
    assert any("list 'shells' used with '='" in m for m in messages)
    assert any("list 'odd' has the item 'a=b'" in m for m in messages)
    assert len(messages) == 3            # the rule may use `b`, defined before or after it
    assert any("one-item list" in w.message for w in result.warnings)


def test_legacy_append_and_override_keys_like_falco(tmp_path):
    f = write(tmp_path, "a.yaml", """\
- rule: R
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
- rule: R
  condition: and proc.name = a
  output: ignored by Falco's legacy append
  append: true
- rule: R
  desc: more
  output: new
  override:
    output: replace
""")
    result = falco_linter.lint_paths([f])
    assert [e.message for e in result.errors] == [
        "unexpected key 'desc': no corresponding entry under 'override' (list it as append or "
        "replace)"]
    assert any("'append: true' is deprecated" in w.message for w in result.warnings)
    rule = result.rules["R"]
    assert rule.data["condition"] == "evt.type = open and proc.name = a"
    assert rule.data["output"] == "new"


def test_non_syscall_source_skips_field_checks(tmp_path):
    f = write(tmp_path, "a.yaml", """\
- rule: K8s audit
  desc: d
  condition: ka.verb = create
  output: "%ka.user.name"
  priority: INFO
  source: k8s_audit
""")
    assert falco_linter.lint_paths([f]).errors == []


def test_cli_prints_one_line_per_problem_and_exits_nonzero(shared_fixtures):
    """Run as a script, with Falco's rules schema."""
    schema = shared_fixtures / "falco" / "rules.schema.json"
    args = [sys.executable, str(LINTER), "--schema", str(schema), str(BROKEN[0]), str(BROKEN[9])]
    proc = subprocess.run(args, capture_output=True, text=True, check=False)
    assert proc.returncode == 1
    lines = proc.stdout.splitlines()
    assert len(lines) == 2
    assert lines[0].startswith(f"{BROKEN[0]}:7: rule 'Write to Protected Directory': "
                               "condition syntax error")
    assert "(column 23)" in lines[0]
    pattern = rf"{re.escape(str(BROKEN[9]))}:\d+: rule 'Shell spawned': unknown field"
    assert re.match(pattern, lines[1])


def test_cli_clean_file_exits_zero(upstream):
    proc = subprocess.run([sys.executable, str(LINTER), str(upstream)], capture_output=True,
                          text=True, check=False)
    assert proc.returncode == 0 and proc.stdout == ""


def test_schema_check_is_skipped_with_a_note_without_jsonschema(monkeypatch, schema):
    monkeypatch.setitem(sys.modules, "jsonschema", None)
    result = falco_linter.lint_paths([BROKEN[17]], schema)       # 18_schema_unknown_key
    assert result.errors == []
    assert "schema check skipped" in result.warnings[0].message


def test_lowercase_priority_is_only_a_schema_warning(tmp_path, schema):
    """Falco reads priorities case-insensitively; its rules schema lists upper-case ones."""
    f = write(tmp_path, "a.yaml", "- rule: R\n  desc: d\n  condition: evt.type = open\n"
                                  "  output: o\n  priority: warning\n")
    result = falco_linter.lint_paths([f], schema)
    assert result.errors == []
    assert [w.category for w in result.warnings] == ["schema"]


@pytest.mark.parametrize(("condition", "warns"), [
    ("evt.type = open", False),
    ("evt.type in (open, openat) or (evt.type = execve and proc.name = a)", False),
    ("not evt.type != open", False),
    ("proc.name = bash", True),
    ("evt.type = open or proc.name = bash", True),
    ("not (evt.type = open and proc.name = x)", True),
    ("evt.type != open", True),
])
def test_evt_type_restriction_warning_follows_falcos_resolver(tmp_path, condition, warns):
    f = write(tmp_path, "a.yaml", f"- rule: R\n  desc: d\n  condition: {condition}\n"
                                  "  output: o\n  priority: INFO\n")
    result = falco_linter.lint_paths([f])
    assert result.errors == []
    assert bool([w for w in result.warnings if w.category == "evttype"]) is warns
    f2 = write(tmp_path, "b.yaml", f"- rule: R\n  desc: d\n  condition: {condition}\n"
                                   "  output: o\n  priority: INFO\n  warn_evttypes: false\n")
    assert falco_linter.lint_paths([f2]).warnings == []


def test_cli_fields_option_adds_a_nodes_field_list(tmp_path):
    """`--fields` takes `falco --list` style output, e.g. from a node with more plugins."""
    rules = write(tmp_path, "r.yaml", "- rule: R\n  desc: d\n  condition: evt.type = open and "
                                      "myplugin.thing[x] = 1\n  output: o\n  priority: INFO\n")
    fields = write(tmp_path, "fields.txt", "Field Class: myplugin\n\n"
                                           "myplugin.thing                (ARG_REQUIRED) a thing\n")
    assert subprocess.run([sys.executable, str(LINTER), rules], check=False).returncode == 1
    proc = subprocess.run([sys.executable, str(LINTER), "--fields", fields, rules],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout


def test_skip_if_unknown_filter_and_deprecated_fields(tmp_path):
    f = write(tmp_path, "a.yaml", """\
- rule: Future field
  desc: d
  condition: evt.type = open and proc.newfield = x
  output: "%evt.latency"
  priority: INFO
  skip-if-unknown-filter: true
- rule: Old syntax
  desc: d
  condition: evt.type = open and evt.dir = <
  output: "%container.info"
  priority: INFO
""")
    result = falco_linter.lint_paths([f])
    assert result.errors == []
    messages = [w.message for w in result.warnings]
    assert any("unknown field 'proc.newfield': Falco skips the rule" in m for m in messages)
    assert any("deprecated field 'evt.latency' in the rule output" in m for m in messages)
    assert any("deprecated field 'evt.dir'" in m for m in messages)
    assert any("%container.info is deprecated" in m for m in messages)


def test_exception_values_are_inserted_like_falco(tmp_path):
    """Falco builds `and not (...)` text from exceptions: values are quoted only when they
    contain a space, so a value such as `a=b` breaks the condition."""
    f = write(tmp_path, "a.yaml", """\
- list: admins
  items: [root, "ops team"]
- rule: R
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: users
      fields: user.name
      values: [admins, bob]
    - name: pairs
      fields: [proc.name, fd.name]
      comps: [in, startswith]
      values:
        - [admins, /tmp/x y]
- rule: Bad
  desc: d
  condition: evt.type = open
  output: o
  priority: INFO
  exceptions:
    - name: eq
      fields: [proc.name]
      values: [["a=b"]]
""")
    result = falco_linter.lint_paths([f])
    assert result.expanded["R"] == (
        '(evt.type = open) and not (user.name in (root, "ops team", bob)) and not '
        '((proc.name in (root, "ops team") and fd.name startswith "/tmp/x y"))')
    (err,) = result.errors
    assert err.name == "Bad" and "exception 'eq'" in err.message and err.category == "exception"


def test_fast_schema_path_agrees_with_jsonschema(upstream, schema):
    """The quick yes/no that lets valid items skip jsonschema must never say yes wrongly."""
    import jsonschema
    import yaml

    fast = falco_schema._FastSchema(schema)
    assert fast.usable
    items = yaml.safe_load(upstream.read_text())
    for path in BROKEN:
        items += yaml.load(path.read_text(), Loader=falco_loader._Loader) or []
    items += [{"rule": "x", "priority": "LOUD"}, {"list": "l", "items": [True]},
              {"macro": "m", "condition": 1}, {"rule": "r", "override": {}},
              {"rule": "r", "exceptions": [{"fields": "a"}]}, {"required_plugin_versions": [{}]}]
    validator = jsonschema.Draft6Validator(schema)
    for item in items:
        assert fast.valid([item]) == validator.is_valid([item]), item


def test_without_pyyaml_the_cli_names_the_package(monkeypatch, capsys):
    spec = importlib.util.spec_from_file_location("falco_rules_lint", LINTER)
    falco_cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(falco_cli)
    monkeypatch.setattr(falco_loader, "yaml", None)
    monkeypatch.setattr(falco_linter, "yaml", None)
    assert falco_cli.main([str(BROKEN[0])]) == 2
    assert "apt install python3-yaml" in capsys.readouterr().err
    with pytest.raises(ImportError):
        falco_linter.lint_paths([BROKEN[0]])


def test_a_directory_is_read_like_falcos_rules_files(tmp_path):
    d = tmp_path / "rules.d"
    d.mkdir()
    (d / "20_rule.yaml").write_text("- rule: R\n  desc: d\n  condition: m\n  output: o\n"
                                    "  priority: INFO\n")
    (d / "10_macro.yaml").write_text("- macro: m\n  condition: evt.type = open\n")
    result = falco_linter.lint_paths([d])
    assert result.errors == [] and result.expanded["R"] == "(evt.type = open)"
