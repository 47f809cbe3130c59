"""A broken rule update must leave the node's rules byte-for-byte and must not reload Falco.

Runs broken_update.yml (the converge settings plus the seed's broken rule) with ansible-playbook
against this molecule node, validation command = the collection's rules linter on the node.
"""
import os
import subprocess
import sys
from pathlib import Path

SCENARIO = Path(__file__).resolve().parent.parent
PROJECT = SCENARIO.parent.parent


def _state(host):
    return {
        "rules": host.check_output("sha256sum /etc/falco/rules.d/* /etc/falco/config.d/*"),
        "listing": host.check_output("ls -la --time-style=full-iso /etc/falco/rules.d"),
        "pid": host.check_output("systemctl show -p MainPID --value bulwark-falco-standin"),
        "hups": host.file("/run/bulwark-falco-standin.hups").content_string,
    }


def test_broken_rule_is_refused_and_nothing_changes(host):
    before = _state(host)
    env = dict(os.environ)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(PROJECT / ".collections"),
        "ANSIBLE_ROLES_PATH": str(PROJECT / "roles"),
        "ANSIBLE_NOCOLOR": "1",
    })
    inventory = env["MOLECULE_INVENTORY_FILE"]
    run = subprocess.run(
        [str(Path(sys.executable).parent / "ansible-playbook"), "-i", inventory,
         "--limit", host.backend.host, str(SCENARIO / "broken_update.yml")],
        capture_output=True, text=True, env=env, cwd=SCENARIO, check=False)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    assert "Falco rules were NOT deployed" in out
    assert "Write to Protected Directory" in out          # the rule is named
    assert "syntax error" in out                          # and the error
    assert "RUNNING HANDLER" not in out
    assert _state(host) == before
    assert not host.file("/etc/falco/rules.d/bulwark_50_seed_write_protected_dir.yaml").exists
    assert not host.file("/var/lib/bulwark/falco/rules-staging").exists
