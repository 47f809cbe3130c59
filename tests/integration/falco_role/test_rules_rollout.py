"""The falco role's safe rules rollout, for real, with ansible-playbook on the controller.

Falco is absent here: the validation command is the collection's rules linter (the role's
documented stand-in for `falco -V`), run over Falco's real stock ruleset followed by our files.
Paths live under tmp_path; the service is not managed (falco_service_manage=false).
"""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from conftest import ROOT, play_recap, run_playbook

PLAYBOOK = str(Path(__file__).with_name("rollout.yml"))
SEED_RULE = """\
- rule: Write to Protected Directory
  desc: Detect writes to protected directories
  condition: >-
    evt.dir </> "SA" and evt.name = open and args.flags contains O_WRONLY
    and fd.name startswith /etc
  output: "Write to protected dir (user=%user.name file=%fd.name)"
  priority: WARNING
"""
GOOD_EXTRA = """\
- list: bulwark_shell_binaries
  items: [fish]
  override:
    items: append
"""


@pytest.fixture
def node(tmp_path, shared_fixtures):
    base = {
        "falco_install_method": "none",
        "falco_service_manage": False,
        "falco_config_dir": str(tmp_path / "etc/falco/config.d"),
        "falco_rules_dir": str(tmp_path / "etc/falco/rules.d"),
        "falco_rules_staging_dir": str(tmp_path / "staging"),
        "falco_rules_validation_record": str(tmp_path / "var/lib/bulwark/falco/validation.json"),
        "falco_rules_validate_command": [sys.executable,
                                         str(ROOT / "tools/falco_rules_lint.py")],
        "falco_rules_validate_file_option": "",
        "falco_rules_validate_base_files": [str(shared_fixtures / "falco/falco_rules.yaml")],
    }

    def play(*extra_args, **variables):
        varfile = tmp_path / "vars.json"
        varfile.write_text(json.dumps({**base, **variables}))
        return run_playbook([PLAYBOOK, "-e", f"@{varfile}", *extra_args], timeout=300)

    play.root = tmp_path
    return play


def recap(result) -> dict:
    return play_recap(result.stdout)["localhost"]


def test_good_rollout_is_idempotent(node):
    first = node()
    assert first.returncode == 0, first.stdout + first.stderr
    rules = node.root / "etc/falco/rules.d"
    assert sorted(p.name for p in rules.iterdir()) == ["bulwark_10_library.yaml"]
    items = yaml.safe_load((rules / "bulwark_10_library.yaml").read_text())
    # the falco_rules_library filter writes the retired template's output, byte for byte
    golden = ROOT / "tests/fixtures/falco_library/defaults.yaml"
    assert (rules / "bulwark_10_library.yaml").read_bytes() == golden.read_bytes()
    assert sum(1 for i in items if "rule" in i) == 7
    assert (node.root / "etc/falco/config.d/bulwark.yaml").stat().st_mode & 0o777 == 0o644
    assert not (node.root / "staging").exists()
    record_file = node.root / "var/lib/bulwark/falco/validation.json"
    record = json.loads(record_file.read_text())
    assert record["rc"] == 0 and record["files"] == ["bulwark_10_library.yaml"]
    assert record["validator"] == sys.executable and record["time"].endswith("Z")
    second = node()
    assert second.returncode == 0, second.stdout
    assert recap(second)["changed"] == 0, second.stdout
    assert json.loads(record_file.read_text()) == record   # the rules did not change


def test_extra_file_goes_live_after_the_library_and_is_removed_again(node):
    added = node(falco_rules_extra=[{"name": "site", "content": GOOD_EXTRA}])
    assert added.returncode == 0, added.stdout + added.stderr
    rules = node.root / "etc/falco/rules.d"
    assert sorted(p.name for p in rules.iterdir()) == ["bulwark_10_library.yaml",
                                                       "bulwark_50_site.yaml"]
    removed = node()
    assert removed.returncode == 0, removed.stdout
    assert sorted(p.name for p in rules.iterdir()) == ["bulwark_10_library.yaml"]


def test_unmanaged_rule_files_are_validated_and_kept(node):
    rules = node.root / "etc/falco/rules.d"
    rules.mkdir(parents=True)
    (rules / "site_local.yaml").write_text(SEED_RULE)
    result = node()
    assert result.returncode != 0
    assert "Write to Protected Directory" in result.stdout
    assert sorted(p.name for p in rules.iterdir()) == ["site_local.yaml"]
    assert not (node.root / "var/lib/bulwark/falco/validation.json").exists()


def test_config_outside_falcos_schema_is_refused_before_writing(node):
    result = node(falco_config_extra={"webserver": {"port": 8765}})
    assert result.returncode != 0
    assert "'port' was unexpected" in result.stdout
    assert not (node.root / "etc/falco/config.d/bulwark.yaml").exists()


def test_check_mode_on_a_fresh_node_writes_nothing(node):
    result = node("--check", "--diff")
    assert result.returncode == 0, result.stdout + result.stderr
    assert not (node.root / "etc").exists()
    assert not (node.root / "staging").exists()
    assert not (node.root / "var").exists()
