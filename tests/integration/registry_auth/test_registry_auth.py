# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The signing modules against the lab's second registry: TLS from a lab CA and htpasswd
basic auth (lab/registry_tls.py), with the REAL cosign 3.x, notation and crane.

One ansible-playbook run at -vvv (auth.yml) signs, re-signs, verifies and attests with cosign,
signs and verifies with notation, and fails both verifiers with a wrong password (reason
`registry_auth`). While it runs, a watcher reads every process's command line and
environment: the password must never show there, nor anywhere in the playbook's output."""
from __future__ import annotations

import json
import os
import subprocess
import threading
import uuid
from pathlib import Path

import pytest
import registry_tls
from conftest import run_playbook

import lab

pytestmark = pytest.mark.lab
HERE = Path(__file__).resolve().parent


def _proc_texts():
    """(pid, text) of every readable /proc/<pid>/cmdline and environ, NULs as spaces."""
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        for name in ("cmdline", "environ"):
            try:
                yield pid, Path(f"/proc/{pid}/{name}").read_bytes().replace(b"\0", b" ")
            except OSError:
                continue


class Watcher(threading.Thread):
    """Scans /proc every 20 ms for `secrets` until stopped; `seen` names where it found one."""

    def __init__(self, secrets):
        super().__init__(daemon=True)
        self.secrets = [s.encode() for s in secrets]
        self.seen, self.scans = [], 0
        self.stop = threading.Event()

    def run(self):
        while not self.stop.wait(0.02):
            self.scans += 1
            for pid, text in _proc_texts():
                if any(s in text for s in self.secrets):
                    self.seen.append(pid)


def _notation_home(binary: str, home: Path) -> Path:
    """A notation config home with a test signing key `lab` (also put in trust store ca:lab)
    and a trust policy that trusts it for every repository."""
    env = {"XDG_CONFIG_HOME": str(home), "HOME": str(home), "PATH": "/usr/bin:/bin"}
    res = subprocess.run([binary, "cert", "generate-test", "--default", "lab"], env=env,
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr
    policy = {"version": "1.0", "trustPolicies": [{
        "name": "lab", "registryScopes": ["*"],
        "signatureVerification": {"level": "strict"},
        "trustStores": ["ca:lab"], "trustedIdentities": ["*"]}]}
    (home / "notation" / "trustpolicy.json").write_text(json.dumps(policy))
    return home


def test_sign_verify_attest_with_login_and_tls(lab_registry_tls, lab_tools, tmp_path):
    user, password = registry_tls.credentials()
    ref = lab.push_image(f"bulwark-test/auth-{uuid.uuid4().hex[:10]}:v1", uuid.uuid4().hex,
                         tls=True)
    repo, digest = ref.split("@")
    key_password = f"kp-{uuid.uuid4().hex}"
    subprocess.run([lab_tools["cosign"], "generate-key-pair"], cwd=tmp_path, check=True,
                   capture_output=True, env=dict(os.environ, COSIGN_PASSWORD=key_password))
    predicate = tmp_path / "predicate.json"
    predicate.write_text(json.dumps({"built_by": "registry_auth test"}))
    wrong = f"wrong-{uuid.uuid4().hex}"
    extra = {"image": f"{repo}:v1", "digest": digest, "cosign": lab_tools["cosign"],
             "crane": lab_tools["crane"], "notation": lab_tools["notation"],
             "notation_home": str(_notation_home(lab_tools["notation"], tmp_path / "notation")),
             "key": str(tmp_path / "cosign.key"), "pub": str(tmp_path / "cosign.pub"),
             "key_password": key_password, "predicate": str(predicate),
             "registry_user": user, "registry_password": password, "wrong_password": wrong,
             "registry_ca": str(registry_tls.TLS_DIR / "ca.pem")}
    vars_file = tmp_path / "vars.json"
    fd = os.open(vars_file, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump(extra, f)
    watcher = Watcher([password, wrong])
    watcher.start()
    try:
        res = run_playbook([str(HERE / "auth.yml"), "-e", f"@{vars_file}", "-vvv"])
    finally:
        watcher.stop.set()
        watcher.join()
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-6000:]
    assert "ok=10" in out and "failed=0" in out
    assert watcher.scans > 10, "the /proc watcher did not run during the playbook"
    assert not watcher.seen, f"the registry password was in /proc of pids {watcher.seen}"
    assert password not in out and wrong not in out
    assert "registry_auth" in out
    # the temporary docker config directories are gone
    assert not [p for p in Path(os.environ.get("TMPDIR", "/tmp")).glob("bulwark-docker-config-*")
                if p.stat().st_uid == os.getuid()]
