"""The cosign role against real Debian 12 and 13 systemd nodes (podman, host network): the
role's one end-to-end harness (it was also a molecule scenario; its assertions are the first
tests here).

The nodes reach the lab registry and mirror on 127.0.0.1. What is proven here, for real:
- converge: check mode on fresh nodes passes, a converge then a second one that changes
  nothing; Debian 12 gets the release binary through the shared installer, Debian 13 Debian's
  package; the signer key is 0600 and opens with the vaulted password only, its public half is
  fetched back to the controller; the trust store adds the keys given, removes the ones named
  absent and keeps the rest; enforcement files on Debian 13 only;
- Debian 13's skopeo enforces the policy the role writes (signed image copied, unsigned refused,
  a removed key's images refused), Debian 12 is refused with the reason, a policy that fails
  validation leaves the previous file. The key password at -vvv: tests/reliability/test_secrets.py.
The tests run in file order on the same two nodes, each from where the previous one left them.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from conftest import ansible_env, lab_mirror_trust, lab_nodes, play_recap, run_playbook

import lab

HERE = Path(__file__).resolve().parent
FILES = HERE / "files"
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
    """The lab images ship without package lists; a fresh container's first try can fail.
    python3-apt too, as Ansible's apt module installs it on its first real run: check mode on
    a fresh node needs it (and cannot install it)."""
    for attempt in range(attempts):
        res = node_exec(node, "sh", "-c", "apt-get update -qq && apt-get install -y -qq "
                        "python3-apt >/dev/null", check=False)
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
            # the trust store as an earlier run left it: retired.pub is removed by name,
            # legacy.pub is named nowhere and must stay
            node_exec(name, "mkdir", "-p", "-m", "0755", TRUST)
            for key in ("retired", "legacy"):
                podman("cp", str(FILES / "retired.pub"), f"{name}:{TRUST}/{key}.pub")
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


# ------------------------------------------------------------------ converge (was molecule's)
KEY = "/etc/bulwark/cosign/signer/cosign"
PASSWORD = "integration-only-password"   # a throwaway; real ones come from Ansible Vault
CONVERGED_PATHS = [TRUST, f"{TRUST}/release-2025.pub", f"{TRUST}/release-2026.pub",
                   f"{TRUST}/retired.pub", f"{TRUST}/legacy.pub", "/etc/bulwark/cosign/signer",
                   f"{KEY}.key", f"{KEY}.pub", "/usr/local/bin/cosign",
                   "/etc/containers/policy.json",
                   "/etc/containers/registries.d/bulwark-converge.yaml"]
# Run by the node's python3: the files above, the packages, and the key opened with the right
# and a wrong password (the password on stdin, never in argv).
PROBE = r"""
import json, os, pwd, subprocess, sys
paths, key, password = json.loads(sys.stdin.read())
out = {"files": {}}
for p in paths:
    if not os.path.lexists(p):
        out["files"][p] = None
        continue
    st = os.stat(p)
    info = {"mode": st.st_mode & 0o7777, "user": pwd.getpwuid(st.st_uid).pw_name,
            "link": os.readlink(p) if os.path.islink(p) else None}
    if os.path.isfile(p) and p.startswith("/etc/"):
        info["text"] = open(p).read()
    out["files"][p] = info
q = subprocess.run(["dpkg-query", "-W", "-f", "${Package} ${Version}\n", "cosign", "skopeo"],
                   capture_output=True, text=True)
out["packages"] = dict(line.split(" ", 1) for line in q.stdout.splitlines() if " " in line)
cosign = "/usr/bin/cosign" if os.path.exists("/usr/bin/cosign") else "/usr/local/bin/cosign"
out["version"] = subprocess.run([cosign, "version"], capture_output=True, text=True).stdout
for name, pw in (("right", password), ("wrong", "wrong")):
    r = subprocess.run([cosign, "public-key", "--key", key], capture_output=True, text=True,
                       env=dict(os.environ, COSIGN_PASSWORD=pw))
    out[name] = {"rc": r.returncode, "stdout": r.stdout}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def converged(nodes, tmp_path_factory):
    """Check mode on the fresh nodes, a converge and a second converge, with the settings
    molecule's scenario used: Debian 12 by the release binary, Debian 13 by Debian's package
    and enforcing. Yields {"check", "first", "second"} runs, the fetch dir and each node's probe."""
    inventory, names = nodes
    fetched = tmp_path_factory.mktemp("public-keys")
    doc = json.loads(Path(inventory).read_text())
    groups = doc["all"]["children"]
    groups["debian12"]["vars"] = {**FROM_MIRROR, "cosign_install_method": "release"}
    groups["debian13"]["vars"] = {"cosign_install_method": "package", "cosign_enforce": True}
    grouped = Path(inventory).with_name("cosign-converge-inventory.json")
    grouped.write_text(json.dumps(doc))
    variables = tmp_path_factory.mktemp("converge-vars") / "vars.json"
    variables.write_text(json.dumps({
        "cosign_signer": True, "cosign_key_password": PASSWORD,
        "cosign_public_key_fetch_dir": str(fetched),
        "cosign_trusted_keys": [{"name": "release-2025",
                                 "pem": (FILES / "release-2025.pub").read_text()},
                                {"name": "release-2026", "src": str(FILES / "release-2026.pub")}],
        "cosign_trusted_keys_absent": ["retired"],
        "cosign_policy_default": "insecureAcceptAnything",
        "cosign_policy_requirements": [{"name": "converge",
                                        "scope": "127.0.0.1:15000/bulwark-converge",
                                        "keys": ["release-2025", "release-2026"]}]}))
    variables.chmod(0o600)
    args = ["-i", str(grouped), PLAYBOOK, "-e", f"@{variables}"]
    runs = {"check": run_playbook([*args, "--check", "--diff"], timeout=600)}
    runs["first"] = run_playbook(args, timeout=900)
    runs["second"] = run_playbook(args, timeout=600)
    probes = {}
    for group, name in names.items():
        res = subprocess.run(["podman", "exec", "-i", name, "python3", "-c", PROBE],
                             input=json.dumps([CONVERGED_PATHS, f"{KEY}.key", PASSWORD]),
                             env=ansible_env(), capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr
        probes[group] = json.loads(res.stdout)
    yield {"runs": runs, "fetched": fetched, "probes": probes, "names": names}


def test_check_mode_on_fresh_nodes_then_converge_then_nothing_to_change(converged):
    runs = converged["runs"]
    for step in ("check", "first", "second"):
        res = runs[step]
        out = res.stdout + res.stderr
        fatal = out.find("fatal:")
        assert res.returncode == 0, f"{step}: " + out[max(fatal - 1500, 0):fatal + 2500]
    recap = play_recap(runs["second"].stdout)
    assert set(recap) == set(converged["names"].values()), recap
    assert all(r["changed"] == 0 for r in recap.values()), runs["second"].stdout[-3000:]
    assert PASSWORD not in "".join(r.stdout + r.stderr for r in runs.values())


def test_cosign_is_installed_by_the_method_of_the_host(converged):
    deb13, deb12 = converged["probes"]["debian13"], converged["probes"]["debian12"]
    assert deb13["packages"]["cosign"].startswith("2.5")
    assert "cosign" not in deb12["packages"]
    assert deb12["files"]["/usr/local/bin/cosign"]["link"] == \
        f"/opt/bulwark/tools/cosign/{FROM_MIRROR['cosign_version']}/cosign"
    assert "GitVersion" in deb13["version"] and "GitVersion" in deb12["version"]


@pytest.mark.parametrize("group", ["debian12", "debian13"])
def test_private_key_is_0600_and_opens_with_the_vaulted_password_only(converged, group):
    probe = converged["probes"][group]
    files = probe["files"]
    key = files[f"{KEY}.key"]
    assert key["mode"] == 0o600 and key["user"] == "root"
    assert files["/etc/bulwark/cosign/signer"]["mode"] == 0o700
    assert "ENCRYPTED SIGSTORE PRIVATE KEY" in key["text"]
    assert probe["right"]["rc"] == 0
    assert probe["right"]["stdout"].strip() == files[f"{KEY}.pub"]["text"].strip()
    assert probe["wrong"]["rc"] != 0
    fetched = converged["fetched"] / f"{converged['names'][group]}.pub"
    assert fetched.read_text().strip() == files[f"{KEY}.pub"]["text"].strip()


@pytest.mark.parametrize("group", ["debian12", "debian13"])
def test_trust_store_adds_new_keys_removes_named_ones_and_keeps_the_rest(converged, group):
    files = converged["probes"][group]["files"]
    assert files[TRUST]["user"] == "root" and files[TRUST]["mode"] == 0o755
    for name in ("release-2025", "release-2026"):
        f = files[f"{TRUST}/{name}.pub"]
        assert f["user"] == "root" and f["mode"] == 0o644
        assert f["text"].strip() == (FILES / f"{name}.pub").read_text().strip()
    assert files[f"{TRUST}/retired.pub"] is None
    assert files[f"{TRUST}/legacy.pub"] is not None  # never named: kept


def test_enforcement_files_on_debian13_only(converged):
    deb12, deb13 = converged["probes"]["debian12"], converged["probes"]["debian13"]
    registries_d = "/etc/containers/registries.d/bulwark-converge.yaml"
    assert deb12["files"][registries_d] is None and "skopeo" not in deb12["packages"]
    assert "skopeo" in deb13["packages"]
    doc = json.loads(deb13["files"]["/etc/containers/policy.json"]["text"])
    assert doc["default"] == [{"type": "insecureAcceptAnything"}]
    assert doc["transports"]["docker"]["127.0.0.1:15000/bulwark-converge"] == [{
        "type": "sigstoreSigned",
        "keyPaths": [f"{TRUST}/release-2025.pub", f"{TRUST}/release-2026.pub"],
        "signedIdentity": {"type": "matchRepository"},
    }]
    assert "use-sigstore-attachments: true" in deb13["files"][registries_d]["text"]


# ------------------------------------------------------------ enforcement, on the same nodes

def test_debian12_refuses_enforcement_and_writes_nothing(nodes, cosign, lab_image_factory,
                                                         tmp_path):
    inventory, names = nodes
    node = names["debian12"]
    res = role(inventory, "debian12", {
        **FROM_MIRROR,
        "cosign_enforce": True,
        "cosign_trusted_keys": [{"name": "k", "src": str(FILES / "retired.pub")}],
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
