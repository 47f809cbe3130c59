"""The falco_rules_lint module, run in-process with patch_module_args, and via ansible-playbook."""
from __future__ import annotations

from pathlib import Path

from ansible_collections.bulwark.container_security.plugins.modules import (
    falco_rules_lint as module,
)
from conftest import run_module

ROOT = Path(__file__).resolve().parents[4]
SEED = ROOT / "tests" / "fixtures" / "falco" / "broken" / "01_seed_write_protected_dir.yaml"
EVT_TYPE = ROOT / "tests" / "fixtures" / "falco" / "broken" / "15_evt_type_not_an_event.yaml"


def run(args, capsys):
    return run_module(module, args, capsys)


def test_upstream_ruleset_passes_with_counts(shared_fixtures, capsys):
    out = run({"paths": [str(shared_fixtures / "falco" / "falco_rules.yaml")],
               "schema": str(shared_fixtures / "falco" / "rules.schema.json"),
               "return_expanded": True}, capsys)
    assert out["_rc"] == 0 and not out.get("failed")
    assert out["errors"] == [] and out["changed"] is False
    assert out["counts"] == {"rules": 25, "macros": 87, "lists": 49}
    assert len(out["expanded"]) == 25


def test_seed_rule_fails_naming_file_rule_and_position(shared_fixtures, capsys):
    out = run({"paths": [str(shared_fixtures / "falco" / "falco_rules.yaml"), str(SEED)]}, capsys)
    assert out["failed"] is True
    assert f"{SEED}:7: rule 'Write to Protected Directory': condition syntax error" in out["msg"]
    (err,) = out["errors"]
    assert (err["line"], err["column"], err["category"]) == (7, 23, "syntax")


def test_warnings_fail_only_when_asked(capsys):
    out = run({"paths": [str(EVT_TYPE)]}, capsys)
    assert not out.get("failed")
    assert "'exec' is not an event type" in out["lint_warnings"][0]["message"]
    out = run({"paths": [str(EVT_TYPE)], "fail_on_warnings": True}, capsys)
    assert out["failed"] is True and "0 error(s), 1 warning(s)" in out["msg"]
