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
    """Hashes, listing with mtimes, the stand-in's PID and its SIGHUP log, in one call."""
    return host.check_output(
        "sha256sum /etc/falco/rules.d/* /etc/falco/config.d/*; "
        "ls -la --time-style=full-iso /etc/falco/rules.d; "
        "systemctl show -p MainPID --value bulwark-falco-standin; "
        "cat /run/bulwark-falco-standin.hups; "
        "ls /var/lib/bulwark/falco 2>/dev/null || true; "
        "cat /var/lib/bulwark/falco/rules-validation.json")


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
         "--limit", host.backend.hostname, str(SCENARIO / "broken_update.yml")],
        capture_output=True, text=True, env=env, cwd=SCENARIO, check=False)
    out = run.stdout + run.stderr
    assert run.returncode != 0, out
    assert "Falco rules were NOT deployed" in out
    assert "Write to Protected Directory" in out          # the rule is named
    assert "syntax error" in out                          # and the error
    assert "RUNNING HANDLER" not in out
    after = _state(host)
    assert after == before
    assert "bulwark_50_seed" not in after and "rules-staging" not in after
