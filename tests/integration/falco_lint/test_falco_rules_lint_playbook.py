"""The falco_rules_lint module through ansible-playbook (AnsiballZ packs falco_rules and its
field catalog): a clean ruleset passes in check mode too, the seed's rule fails the task with
file, line, column and rule in the message."""
from __future__ import annotations

import json
import sys

from conftest import run_playbook

PLAYBOOK = """\
- hosts: localhost
  gather_facts: false
  tasks:
    - name: Lint
      bulwark.container_security.falco_rules_lint:
        paths: {paths}
        schema: {schema}
      register: lint
      ignore_errors: true
    - name: Show
      ansible.builtin.copy:
        content: "{{{{ lint | to_json }}}}"
        dest: {out}
      check_mode: false
"""


def lint(tmp_path, shared_fixtures, paths, *extra):
    out = tmp_path / "result.json"
    book = tmp_path / "play.yml"
    book.write_text(PLAYBOOK.format(paths=json.dumps([str(p) for p in paths]), out=out,
                                    schema=shared_fixtures / "falco" / "rules.schema.json"))
    proc = run_playbook(["-i", "localhost,", "-c", "local", "-e",
                         f"ansible_python_interpreter={sys.executable}", str(book), *extra])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    return json.loads(out.read_text())


def test_stock_ruleset_passes_in_check_mode(tmp_path, shared_fixtures):
    result = lint(tmp_path, shared_fixtures, [shared_fixtures / "falco" / "falco_rules.yaml"],
                  "--check")
    assert not result.get("failed") and result["counts"]["rules"] == 25


def test_seed_rule_fails_the_task_naming_it(tmp_path, shared_fixtures, repo_root):
    seed = repo_root / "tests/fixtures/falco/broken/01_seed_write_protected_dir.yaml"
    result = lint(tmp_path, shared_fixtures,
                  [shared_fixtures / "falco" / "falco_rules.yaml", seed])
    assert result["failed"] is True
    assert (f"{seed}:7: rule 'Write to Protected Directory': condition syntax error"
            in result["msg"])
    assert "(column 23)" in result["msg"]
