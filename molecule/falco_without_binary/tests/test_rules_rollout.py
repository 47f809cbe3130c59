"""The falco role's safe rules rollout on the node (it was an integration test on the
controller; this scenario is the role's one end-to-end harness): rollout.yml runs the role
into a directory of its own with ansible-playbook against this molecule node, validation
command = the collection's rules linter on the node, over Falco's real stock ruleset followed by
our files. The config refused outside Falco's schema: tests/reliability (falco rows); check
mode on a fresh node: this scenario's check step and the fleet."""
import json
import os
import subprocess
import sys
import uuid
from pathlib import Path

import yaml

SCENARIO = Path(__file__).resolve().parent.parent
PROJECT = SCENARIO.parent.parent
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


def rollout(host, root, **variables):
    env = {k: v for k, v in os.environ.items() if k != "ANSIBLE_FORCE_COLOR"}  # molecule's
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(PROJECT / ".collections"),
                "ANSIBLE_ROLES_PATH": str(PROJECT / "roles"), "ANSIBLE_NOCOLOR": "1"})
    return subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i",
         env["MOLECULE_INVENTORY_FILE"], "--limit", host.backend.hostname,
         str(SCENARIO / "rollout.yml"), "-e", json.dumps({"rollout_root": root, **variables})],
        capture_output=True, text=True, env=env, cwd=SCENARIO, check=False)


def listing(host, path):
    out = host.run(f"ls -1 {path}")
    return sorted(out.stdout.split()) if out.rc == 0 else None


def changed(run, host):
    line = next(ln for ln in run.stdout.splitlines() if ln.startswith(host.backend.hostname)
                and "changed=" in ln)
    return int(line.split("changed=")[1].split()[0])


def test_good_rollout_writes_the_library_records_the_validation_and_is_idempotent(host):
    root = f"/srv/rollout-{uuid.uuid4().hex[:8]}"
    first = rollout(host, root)
    assert first.returncode == 0, first.stdout + first.stderr
    assert listing(host, f"{root}/etc/falco/rules.d") == ["bulwark_10_library.yaml"]
    assert host.run(f"test -e {root}/staging").rc == 1
    record = json.loads(host.file(f"{root}/var/lib/bulwark/falco/validation.json").content_string)
    assert record["rc"] == 0 and record["files"] == ["bulwark_10_library.yaml"]
    assert record["validator"] == "python3" and record["time"].endswith("Z")
    second = rollout(host, root)
    assert second.returncode == 0, second.stdout
    assert changed(second, host) == 0, second.stdout
    again = json.loads(host.file(f"{root}/var/lib/bulwark/falco/validation.json").content_string)
    assert again == record                                   # the rules did not change


def test_extra_file_goes_live_after_the_library_and_is_removed_again(host):
    root = f"/srv/rollout-{uuid.uuid4().hex[:8]}"
    added = rollout(host, root, falco_rules_extra=[{"name": "site", "content": GOOD_EXTRA}])
    assert added.returncode == 0, added.stdout + added.stderr
    rules = f"{root}/etc/falco/rules.d"
    assert listing(host, rules) == ["bulwark_10_library.yaml", "bulwark_50_site.yaml"]
    assert yaml.safe_load(host.file(f"{rules}/bulwark_50_site.yaml").content_string)[0][
        "list"] == "bulwark_shell_binaries"
    removed = rollout(host, root)
    assert removed.returncode == 0, removed.stdout
    assert listing(host, rules) == ["bulwark_10_library.yaml"]


def test_unmanaged_rule_files_are_validated_and_kept(host):
    root = f"/srv/rollout-{uuid.uuid4().hex[:8]}"
    rules = f"{root}/etc/falco/rules.d"
    host.run(f"mkdir -p {rules}")
    host.run(f"cat > {rules}/site_local.yaml <<'EOF_RULE'\n{SEED_RULE}EOF_RULE")
    result = rollout(host, root)
    assert result.returncode != 0
    out = " ".join((result.stdout + result.stderr).split())   # the yaml callback wraps lines
    assert "Write to Protected Directory" in out and "were left as they were" in out, out[-3000:]
    assert listing(host, rules) == ["site_local.yaml"]
    assert host.run(f"test -e {root}/var/lib/bulwark/falco/validation.json").rc == 1
