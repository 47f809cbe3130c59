"""The cosign role against real Debian 12 and 13 systemd nodes (podman, host network).

The nodes reach the lab registry and mirror on 127.0.0.1. What is proven here, for real:
Debian 13's skopeo enforces the policy the role writes (signed image copied, unsigned refused,
a removed key's images refused), Debian 12 is refused with the reason, a policy that fails
validation leaves the previous file. The key password at -vvv: tests/reliability/test_secrets.py.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import ansible_env, lab_mirror_trust, lab_nodes, run_playbook

import lab

HERE = Path(__file__).resolve().parent
PLAYBOOK = str(HERE / "role.yml")
NODES = {"debian12": "localhost/bulwark-lab:bookworm", "debian13": "localhost/bulwark-lab:trixie"}
TRUST = "/etc/bulwark/cosign/trusted-keys"
# the release binary from the lab mirror: Debian's cosign build there says "GitVersion: devel"
FROM_MIRROR = {"cosign_mirror_url": lab.env_vars()["BULWARK_MIRROR_URL"],
               "cosign_version_pattern": "devel"}


def podman(*args, check=True):
    return subprocess.run(["podman", *args], env=ansible_env(), capture_output=True, text=True,
                          check=check)


def node_exec(node, *cmd, check=True):
    return podman("exec", node, *cmd, check=check)


def apt_update(node, attempts=3):
    """The lab images ship without package lists; a fresh container's first try can fail."""
    for attempt in range(attempts):
        res = node_exec(node, "apt-get", "update", "-qq", check=False)
        if res.returncode == 0:
            return
        time.sleep(5 * (attempt + 1))
    raise AssertionError(f"apt-get update on {node} failed: {res.stderr[-500:]}")


@pytest.fixture(scope="module")
def nodes(lab_registry, lab_mirror, tmp_path_factory):
    """Both lab nodes, booted with systemd and reached over SSH; yields (inventory path,
    {group: container name})."""
    with lab_nodes("bulwark-cosign-it", NODES, tmp_path_factory.mktemp("inventory")) as (
            inventory, names):
        for name in names.values():
            apt_update(name)
        # the cosign release the lab mirror serves: what Debian sid had when the lab fetched it
        FROM_MIRROR["cosign_version"] = lab.tool_version("cosign")
        # plain HTTP on loopback: the explicit opt-in, the sha256 from the lab's pins
        FROM_MIRROR.update(lab_mirror_trust())
        yield inventory, names


@pytest.fixture(scope="module")
def cosign(lab_tools):
    return lab_tools["cosign"]


def role(inventory, hosts, variables, *extra):
    return run_playbook(["-i", str(inventory), PLAYBOOK, "-e", json.dumps(
        {"cosign_test_hosts": hosts, **variables}), *extra], timeout=600)


def keypair(cosign, directory: Path, name: str) -> tuple[Path, str]:
    subprocess.run([cosign, "generate-key-pair", "--output-key-prefix", str(directory / name)],
                   env={"COSIGN_PASSWORD": "test", "PATH": "/usr/bin:/bin"}, check=True,
                   capture_output=True)
    return directory / f"{name}.key", (directory / f"{name}.pub").read_text()


def sign(cosign, key: Path, image: str) -> None:
    """cosign 3.1.1 in the legacy `.sig` layout, the only one containers/image reads."""
    res = subprocess.run([cosign, "sign", "--key", str(key), "--use-signing-config=false",
                          "--tlog-upload=false", "--new-bundle-format=false",
                          "--allow-insecure-registry", "--yes", image],
                         env={"COSIGN_PASSWORD": "test", "PATH": "/usr/bin:/bin",
                              "HOME": str(key.parent)}, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


def skopeo_copy(node, image):
    """skopeo on the node under the system policy.json (no --policy)."""
    return node_exec(node, "skopeo", "copy", "--src-tls-verify=false", f"docker://{image}",
                     f"dir:/tmp/copy-{uuid.uuid4().hex[:8]}", check=False)


def sha256_on(node, path):
    res = node_exec(node, "cat", path, check=False)
    return hashlib.sha256(res.stdout.encode()).hexdigest() if res.returncode == 0 else None


def test_debian12_refuses_enforcement_and_writes_nothing(nodes, cosign, lab_image_factory,
                                                         tmp_path):
    inventory, names = nodes
    node = names["debian12"]
    res = role(inventory, "debian12", {
        **FROM_MIRROR,
        "cosign_enforce": True,
        "cosign_trusted_keys": [{"name": "k", "src": str(HERE.parent.parent.parent / "molecule"
                                                         / "cosign" / "files" / "retired.pub")}],
        "cosign_policy_requirements": [{"name": "lab", "scope": "127.0.0.1:15000/x",
                                        "keys": ["k"]}]})
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "/usr/bin/skopeo" in out and 'Debian-local change: sigstore disabled' in out
    assert "nothing was written" in out and "Debian 13" in out
    policy = node_exec(names["debian12"], "cat", "/etc/containers/policy.json", check=False)
    assert "sigstoreSigned" not in policy.stdout
    listing = node_exec(names["debian12"], "ls", "/etc/containers/registries.d", check=False)
    assert "bulwark-" not in listing.stdout

    # the premise of the refusal: this skopeo rejects even a correctly signed image
    key, pub = keypair(cosign, tmp_path, "d12")
    image = lab_image_factory(f"bulwark-it/d12-{uuid.uuid4().hex[:6]}:v1", "debian 12 premise")
    sign(cosign, key, image)
    (tmp_path / "policy.json").write_text(json.dumps({
        "default": [{"type": "insecureAcceptAnything"}],
        "transports": {"docker": {"127.0.0.1:15000": [
            {"type": "sigstoreSigned", "keyPath": "/tmp/d12.pub",
             "signedIdentity": {"type": "matchRepository"}}]}}}))
    (tmp_path / "d12.yaml").write_text(
        "docker:\n  127.0.0.1:15000:\n    use-sigstore-attachments: true\n")
    node_exec(node, "mkdir", "-p", "/tmp/rd")
    for src, dest in (("policy.json", "/tmp/policy.json"), ("d12.pub", "/tmp/d12.pub"),
                      ("d12.yaml", "/tmp/rd/d12.yaml")):
        podman("cp", str(tmp_path / src), f"{node}:{dest}")
    copy = node_exec(node, "skopeo", "--policy", "/tmp/policy.json", "--registries.d", "/tmp/rd",
                     "copy", "--src-tls-verify=false", f"docker://{image}", "dir:/tmp/d12",
                     check=False)
    assert copy.returncode != 0 and "Debian-local change: sigstore disabled" in copy.stderr


def test_debian13_demo_copies_the_signed_image_and_refuses_the_unsigned(nodes, repo_root):
    inventory, names = nodes
    res = run_playbook(["-i", str(inventory), str(repo_root / "playbooks/lab/demo_enforce.yml"),
                        "-e", "demo_enforce_hosts=debian13"],
                       timeout=600)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    out = " ".join(res.stdout.split())
    assert "signed image (enforce-signed@sha256:" in out
    assert "unsigned image (enforce-unsigned@sha256:" in out
    assert out.count("): COPIED") == 1
    assert "): REFUSED, " in out and "A signature was required, but no signature exists" in out
    policy = json.loads(node_exec(names["debian13"], "cat", "/etc/containers/policy.json").stdout)
    assert policy["transports"]["docker"]["127.0.0.1:15000/bulwark-demo"][0]["type"] == \
        "sigstoreSigned"


def test_debian13_rotation_two_keys_then_removed_key_is_refused(nodes, cosign, lab_image_factory,
                                                                tmp_path):
    inventory, names = nodes
    node = names["debian13"]
    repo = f"bulwark-it/rotation-{uuid.uuid4().hex[:6]}"
    old_key, old_pub = keypair(cosign, tmp_path, "old")
    new_key, new_pub = keypair(cosign, tmp_path, "new")
    by_old = lab_image_factory(f"{repo}/a:v1", "signed by old")
    by_new = lab_image_factory(f"{repo}/b:v1", "signed by new")
    sign(cosign, old_key, by_old)
    sign(cosign, new_key, by_new)
    base = dict(FROM_MIRROR, cosign_enforce=True, cosign_policy_default="insecureAcceptAnything")
    both = dict(base, cosign_trusted_keys=[{"name": "rot-old", "pem": old_pub},
                                           {"name": "rot-new", "pem": new_pub}],
                cosign_policy_requirements=[{"name": "rotation", "scope": f"127.0.0.1:15000/{repo}",
                                             "keys": ["rot-old", "rot-new"]}])
    res = role(inventory, "debian13", both)
    assert res.returncode == 0, res.stdout[-3000:]
    assert skopeo_copy(node, by_old).returncode == 0
    assert skopeo_copy(node, by_new).returncode == 0

    # the old key leaves: its file goes, the policy names only the new one
    only_new = dict(base, cosign_trusted_keys=[{"name": "rot-old", "state": "absent"},
                                               {"name": "rot-new", "pem": new_pub}],
                    cosign_policy_requirements=[{"name": "rotation",
                                                 "scope": f"127.0.0.1:15000/{repo}",
                                                 "keys": ["rot-new"]}])
    res = role(inventory, "debian13", only_new)
    assert res.returncode == 0, res.stdout[-3000:]
    assert node_exec(node, "test", "-e", f"{TRUST}/rot-old.pub", check=False).returncode == 1
    refused = skopeo_copy(node, by_old)
    assert refused.returncode != 0 and "signature" in refused.stderr.lower()
    assert skopeo_copy(node, by_new).returncode == 0

    # a policy naming a key the trust store lacks is refused; the previous file stays
    before = sha256_on(node, "/etc/containers/policy.json")
    broken = dict(only_new, cosign_policy_requirements=[{"name": "rotation",
                                                         "scope": f"127.0.0.1:15000/{repo}",
                                                         "keys": ["rot-old"]}])
    res = role(inventory, "debian13", broken)
    assert res.returncode != 0
    assert "not in the trust store" in res.stdout and "was left as it is" in res.stdout
    assert sha256_on(node, "/etc/containers/policy.json") == before
