"""What the cosign role leaves on a Debian 12 (release binary) and a Debian 13 (package) node.

Everything is read from the node in one command per host (`_node`): through molecule's
ansible connection each testinfra call is a separate ansible run, which is slow.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

TRUST = "/etc/bulwark/cosign/trusted-keys"
KEY = "/etc/bulwark/cosign/signer/cosign"
FILES = Path(__file__).resolve().parent.parent / "files"
PATHS = [TRUST, f"{TRUST}/release-2025.pub", f"{TRUST}/release-2026.pub", f"{TRUST}/retired.pub",
         f"{TRUST}/legacy.pub", "/etc/bulwark/cosign/signer", f"{KEY}.key", f"{KEY}.pub",
         "/usr/local/bin/cosign", "/etc/containers/policy.json",
         "/etc/containers/registries.d/bulwark-molecule.yaml"]
PROBE = r"""
import json, os, pwd, subprocess, sys
paths = json.loads(sys.argv[1])
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
for name, pw in (("right", "molecule-only-password"), ("wrong", "wrong")):
    r = subprocess.run([cosign, "public-key", "--key", sys.argv[2]], capture_output=True,
                       text=True, env=dict(os.environ, COSIGN_PASSWORD=pw))
    out[name] = {"rc": r.returncode, "stdout": r.stdout}
print(json.dumps(out))
"""
_CACHE: dict = {}


def _node(host) -> dict:
    name = host.backend.hostname
    if name not in _CACHE:
        cmd = host.run("python3 -c %s %s %s", PROBE, json.dumps(PATHS), f"{KEY}.key")
        assert cmd.rc == 0, cmd.stderr
        _CACHE[name] = json.loads(cmd.stdout)
    return _CACHE[name]


def _debian13(host) -> bool:
    return host.backend.hostname.endswith("debian13")


def test_cosign_is_installed_by_the_method_of_the_host(host):
    node = _node(host)
    if _debian13(host):
        assert node["packages"]["cosign"].startswith("2.5")
    else:
        assert "cosign" not in node["packages"]
        # the cosign release the lab mirror serves (what Debian sid had; lab/lab.py records it)
        version = os.environ.get("BULWARK_LAB_COSIGN_VERSION", "3.1.1")
        assert node["files"]["/usr/local/bin/cosign"]["link"] == \
            f"/opt/bulwark/tools/cosign/{version}/cosign"
    assert "GitVersion" in node["version"]


def test_private_key_is_0600_and_opens_with_the_vaulted_password_only(host):
    files = _node(host)["files"]
    key = files[f"{KEY}.key"]
    assert key["mode"] == 0o600 and key["user"] == "root"
    assert files["/etc/bulwark/cosign/signer"]["mode"] == 0o700
    assert "ENCRYPTED SIGSTORE PRIVATE KEY" in key["text"]
    right, wrong = _node(host)["right"], _node(host)["wrong"]
    assert right["rc"] == 0 and right["stdout"].strip() == files[f"{KEY}.pub"]["text"].strip()
    assert wrong["rc"] != 0


def test_public_key_was_fetched_back_to_the_controller(host):
    keys = Path(os.environ["MOLECULE_EPHEMERAL_DIRECTORY"]) / "public-keys"
    fetched = keys / f"{host.backend.hostname}.pub"
    assert fetched.read_text().strip() == _node(host)["files"][f"{KEY}.pub"]["text"].strip()


def test_trust_store_adds_new_keys_removes_named_ones_and_keeps_the_rest(host):
    files = _node(host)["files"]
    assert files[TRUST]["user"] == "root" and files[TRUST]["mode"] == 0o755
    for name in ("release-2025", "release-2026"):
        f = files[f"{TRUST}/{name}.pub"]
        assert f["user"] == "root" and f["mode"] == 0o644
        assert f["text"].strip() == (FILES / f"{name}.pub").read_text().strip()
    assert files[f"{TRUST}/retired.pub"] is None
    assert files[f"{TRUST}/legacy.pub"] is not None  # never named: kept


def test_enforcement_files_on_debian13_only(host):
    node = _node(host)
    registries_d = node["files"]["/etc/containers/registries.d/bulwark-molecule.yaml"]
    if not _debian13(host):
        assert registries_d is None and "skopeo" not in node["packages"]
        return
    assert "skopeo" in node["packages"]
    doc = json.loads(node["files"]["/etc/containers/policy.json"]["text"])
    assert doc["default"] == [{"type": "insecureAcceptAnything"}]
    assert doc["transports"]["docker"]["127.0.0.1:15000/bulwark-molecule"] == [{
        "type": "sigstoreSigned",
        "keyPaths": [f"{TRUST}/release-2025.pub", f"{TRUST}/release-2026.pub"],
        "signedIdentity": {"type": "matchRepository"},
    }]
    assert "use-sigstore-attachments: true" in registries_d["text"]
