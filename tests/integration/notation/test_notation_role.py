# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The notation role on one real Debian 13 systemd node (podman, host network, SSH), installing the
lab mirror's notation (Debian sid's binary laid out as upstream's release) through the shared
installer: check mode first writes nothing, then converge, then idempotence; on the node the
real notation verifies an image signed on the controller under the trust policy the role
wrote, refuses one signed by the node's own lab key (a store the policy does not name), and a
policy naming an unfilled trust store is refused before anything is written (asked in the
idempotence run, by role.yml's second play: three role runs in all)."""
from __future__ import annotations

import json
import subprocess
import uuid
from pathlib import Path

import pytest
from conftest import ansible_env, lab_mirror_trust, lab_nodes, run_playbook

import lab

HERE = Path(__file__).resolve().parent
IMAGE = "localhost/bulwark-lab:trixie"
CONF = "/etc/notation"


def podman(*args, check=True):
    return subprocess.run(["podman", *args], env=ansible_env(), capture_output=True, text=True,
                          check=check)


@pytest.fixture(scope="module")
def node(lab_registry, lab_mirror, tmp_path_factory):
    with lab_nodes("bulwark-notation-it", {"nodes": IMAGE}, tmp_path_factory.mktemp("inv")) as (
            inventory, names):
        yield inventory, names["nodes"]


@pytest.fixture(scope="module")
def controller_signer(lab_tools, tmp_path_factory):
    """The controller's notation with its test key `release`; returns (binary, home, cert)."""
    home = tmp_path_factory.mktemp("notation-release")
    env = {"XDG_CONFIG_HOME": str(home), "HOME": str(home), "PATH": "/usr/bin:/bin"}
    subprocess.run([lab_tools["notation"], "cert", "generate-test", "--default", "release"],
                   env=env, check=True, capture_output=True)
    return lab_tools["notation"], env, (home / "notation/localkeys/release.crt").read_text()


def role(inventory, variables, *extra):
    """One role.yml run with `variables` as host variables (so that role.yml's refusal play
    can override notation_trust_policies, which extra vars would forbid)."""
    groups = json.loads(inventory.read_text())["all"]["children"]   # tests/conftest.py lab_nodes
    hosts = {h: v for group in groups.values() for h, v in group["hosts"].items()}
    base = {"notation_mirror_url": lab.env_vars()["BULWARK_MIRROR_URL"], **lab_mirror_trust()}
    run_inventory = inventory.with_name(f"run-{uuid.uuid4().hex[:6]}.yml")
    run_inventory.write_text(json.dumps({"all": {"hosts": {
        host: dict(hostvars, **base, **variables) for host, hostvars in hosts.items()}}}))
    return run_playbook(["-i", str(run_inventory), str(HERE / "role.yml"), *extra], timeout=600)


def test_role_installs_trusts_and_notation_enforces_the_policy(node, controller_signer,
                                                               lab_image_factory):
    inventory, name = node
    notation, env, cert = controller_signer
    repo = f"bulwark-it/notation-{uuid.uuid4().hex[:6]}"
    signed = lab_image_factory(f"{repo}/app:v1", "signed on the controller")
    own = lab_image_factory(f"{repo}/own:v1", "signed by the node's lab key")
    subprocess.run([notation, "sign", "--insecure-registry", signed], env=env, check=True,
                   capture_output=True)
    variables = {
        "notation_trusted_certificates": [{"name": "release", "pem": cert}],
        "notation_trust_policies": [{
            "name": "release", "trust_stores": ["ca:release"], "trusted_identities": ["*"],
            "registry_scopes": [f"127.0.0.1:15000/{repo}/app", f"127.0.0.1:15000/{repo}/own"]}],
        "notation_lab_certificate": True,
    }
    check = role(inventory, variables, "--check")
    assert check.returncode == 0, check.stdout[-3000:] + check.stderr[-2000:]
    assert podman("exec", name, "test", "-e", CONF, check=False).returncode == 1  # nothing written

    first = role(inventory, variables)
    assert first.returncode == 0, first.stdout[-3000:] + first.stderr[-2000:]
    # idempotence, and in the same run a policy naming a store no certificate fills is
    # refused (role.yml's second play); trustpolicy.json is checked unchanged below
    refused = [dict(variables["notation_trust_policies"][0], trust_stores=["ca:nobody"])]
    second = role(inventory, dict(variables, notation_test_refused_policies=refused))
    assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout[-3000:]
    assert "rescued=1" in second.stdout and "refused as expected" in second.stdout
    assert "ca:nobody" in second.stdout and "Nothing was written" in second.stdout

    # one exec: verify the controller's signature, sign with the node's key, verify that
    script = (f"export XDG_CONFIG_HOME=/etc; notation verify --insecure-registry {signed}; "
              "echo rc_signed=$?; "
              f"notation sign --insecure-registry {own} >/dev/null; echo rc_sign=$?; "
              f"notation verify --insecure-registry {own}; echo rc_own=$?; "
              f"stat -c %a {CONF}/localkeys/lab.key; cat {CONF}/trustpolicy.json")
    out = podman("exec", name, "bash", "-c", script, check=False)
    text = out.stdout + out.stderr
    assert "rc_signed=0" in text and "Successfully verified signature" in text, text
    assert "rc_sign=0" in text, text
    assert "rc_own=1" in text and "signature verification failed for all the signatures" in text
    assert "\n600\n" in out.stdout
    policy = json.loads(out.stdout.split("600\n", 1)[1])
    # the converged policy, untouched by the refused one
    assert policy["trustPolicies"][0]["trustStores"] == ["ca:release"]
