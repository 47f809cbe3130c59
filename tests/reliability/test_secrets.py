# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Secrets, counted: every secret-bearing variable through its play at -vvv with
ANSIBLE_LOG_PATH set, on a success path and a failure path. For each run the secret must be
in no output, no log, no file of the node other than its intended 0600 home, and no process
argument list: /proc/*/cmdline is sampled on the node (and on the controller, where the tool
runs there) for the whole run.

The plays run with pipelining on (one podman exec per task; module arguments travel on
stdin rather than in a temporary file on the node). Each secret variable comes from an
Ansible Vault file (the "vault-encrypted values" of the issue). To add one, add a run to the
`runs` fixture that plays its role or playbook, and SECRET_ROWS entries naming the variable,
the run and its home.
"""
from __future__ import annotations

import base64
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

import pytest
import registry_tls
from conftest import ansible_env, lab_mirror_trust, run_playbook

import lab

from .support import node_exec, podman

ROOT = Path(__file__).resolve().parents[2]
ROLE = str(Path(__file__).with_name("role.yml"))
SIGN = str(ROOT / "playbooks/sign.yml")
# where a leaked secret would sit on the node; /proc, /sys and /dev are not files
NODE_TREES = ["/etc", "/opt", "/usr/local", "/var", "/root", "/tmp", "/home", "/run", "/srv"]
SAMPLES = "/run/bulwark-reliab-cmdlines"


class NodeCmdlines:
    """Samples every /proc/*/cmdline on the node in a loop while a play runs."""

    def __init__(self, node):
        self.node = node

    def __enter__(self):
        # the node's python3: one process, every distinct argument list kept, 10 ms apart
        script = ("import os, time\n"
                  "seen = set()\n"
                  f"while not os.path.exists('{SAMPLES}.stop'):\n"
                  "    for pid in os.listdir('/proc'):\n"
                  "        try:\n"
                  "            seen.add(open('/proc/%s/cmdline' % pid, 'rb').read())\n"
                  "        except OSError:\n"
                  "            pass\n"
                  "    time.sleep(0.01)\n"
                  f"open('{SAMPLES}', 'wb').write(b'\\n'.join(seen))\n")
        node_exec(self.node, "rm", "-f", f"{SAMPLES}.stop", SAMPLES)
        podman("exec", "-d", self.node, "python3", "-c", script)
        return self

    def __exit__(self, *exc):
        node_exec(self.node, "touch", f"{SAMPLES}.stop")

    def read(self) -> str:
        node_exec(self.node, "sh", "-c", f"while [ ! -s {SAMPLES} ]; do sleep 0.2; done; "
                  f"rm -f {SAMPLES}.stop", timeout=60)
        return node_exec(self.node, "cat", SAMPLES).stdout.replace("\0", " ")


class _HangingUp:
    """A loopback port that accepts every connection and closes it after a second, unanswered:
    a Fulcio that is down, but slowly enough that cosign's process is there to be seen."""

    def __enter__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.sock.settimeout(0.2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()
        return f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def _serve(self):
        held = []
        while not self.stop.is_set():
            try:
                held.append((self.sock.accept()[0], time.monotonic()))
            except OSError:
                pass
            for conn, since in [h for h in held if time.monotonic() - h[1] > 1.0]:
                conn.close()
                held.remove((conn, since))
        for entry in held:
            entry[0].close()

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


class ControllerCmdlines:
    """The same on the controller, for tools the modules run there (cosign_sign)."""

    def __enter__(self):
        self.lines, self.stop = set(), threading.Event()

        def loop():
            while not self.stop.is_set():
                for pid in os.listdir("/proc"):
                    if pid.isdigit():
                        try:
                            self.lines.add(Path(f"/proc/{pid}/cmdline").read_bytes())
                        except OSError:
                            pass
                self.stop.wait(0.01)
        self.thread = threading.Thread(target=loop, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        self.thread.join()

    def read(self) -> str:
        return "\n".join(b.replace(b"\0", b" ").decode(errors="replace") for b in self.lines)


def node_files_with(node: str, secret: str) -> list[str]:
    """Files on the node that contain `secret` (the secret travels on stdin, never in argv)."""
    res = podman("exec", "-i", node, "sh", "-c",
                 "grep -rlF -f /dev/stdin " + " ".join(NODE_TREES) + f" | grep -v '^{SAMPLES}'",
                 input=secret + "\n", check=False)
    return sorted(res.stdout.split())


def vault_file(tmp: Path, values: dict) -> tuple[Path, Path]:
    """`values` in an Ansible Vault file; returns (vars file, password file)."""
    password = tmp / f"vault-pass-{uuid.uuid4().hex[:6]}"
    password.write_text(f"vault-{uuid.uuid4().hex}\n")
    secrets = tmp / f"secrets-{uuid.uuid4().hex[:6]}.yml"
    secrets.write_text("".join(f"{k}: {v}\n" for k, v in values.items()))
    vault = Path(sys.executable).parent / "ansible-vault"
    subprocess.run([str(vault), "encrypt", "--vault-password-file", str(password), str(secrets)],
                   env=ansible_env(), check=True, capture_output=True)
    assert all(str(v) not in secrets.read_text() for v in values.values())
    return secrets, password


def vvv_play(tmp: Path, playbook: str, args: list, secrets: dict, *, node=None):
    """`playbook` at -vvv with ANSIBLE_LOG_PATH set and the secrets from a vault file, while
    process argument lists are sampled; returns the evidence the rows look at."""
    secrets_file, vault_pass = vault_file(tmp, secrets)
    log = tmp / f"ansible-{uuid.uuid4().hex[:6]}.log"
    sampler = NodeCmdlines(node) if node else ControllerCmdlines()
    with sampler:
        res = run_playbook([playbook, *args, "-e", f"@{secrets_file}", "--vault-password-file",
                            str(vault_pass), "-vvv"],
                           env={"ANSIBLE_LOG_PATH": str(log), "ANSIBLE_PIPELINING": "True"},
                           timeout=900)
    return {"result": res, "output": res.stdout + res.stderr,
            "log": log.read_text() if log.exists() else "", "cmdlines": sampler.read(),
            "node": node}


# ---------------------------------------------------------------------------- the runs
def _jwt(claims: dict) -> str:
    """An unsigned JWT-shaped OIDC token (cosign parses it before it asks Fulcio)."""
    def part(data):
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
    return ".".join([part({"alg": "RS256", "typ": "JWT"}), part(claims), "c2lnbmF0dXJl"])


@pytest.fixture(scope="module")
def secret_values():
    values = {name: f"reliab-{name}-{uuid.uuid4().hex}" for name in
              ("cosign_key_password", "trivy_server_token", "trivy_client_token",
               "sign_key_password")}
    values["identity_token"] = _jwt({
        "iss": "https://issuer.bulwark.invalid", "sub": "reliab@bulwark.invalid",
        "email": "reliab@bulwark.invalid", "aud": "sigstore", "iat": 1700000000,
        "exp": 4102444800, "nonce": uuid.uuid4().hex})
    return values


@pytest.fixture(scope="module")
def runs(reliab_node, secret_values, tmp_path_factory, lab_mirror, lab_tools, lab_image_factory,
         lab_registry_tls):
    """Each run once, shared by the rows that look at it (run id -> evidence)."""
    node, inventory = reliab_node
    tmp = tmp_path_factory.mktemp("secrets")
    inv = ["-i", str(inventory)]
    cosign = {"cosign_mirror_url": lab_mirror, **lab_mirror_trust(),
              "cosign_version": lab.tool_version("cosign"),
              "cosign_version_pattern": "devel", "cosign_signer": True,
              "cosign_public_key_fetch_dir": str(tmp / "fetched")}
    trivy = {"trivy_install_method": "none", "trivy_server_enabled": True,
             "trivy_server_url": "http://127.0.0.1:4954"}
    secrets = {name: secret_values[name] for name in
               ("cosign_key_password", "trivy_server_token", "trivy_client_token")}
    # both roles in one play: the trivy server unit is enabled, not started (no trivy here)
    both = {"reliab_roles": ["cosign", "trivy"], **cosign, **trivy}
    out = {"roles": vvv_play(tmp, ROLE, [*inv, "-e", _json(both)], secrets, node=node)}
    # failure paths: a fresh key is generated with the password, then its public key cannot be
    # fetched back (no directory can be made under /proc); trivy stops after both token files
    # were written (its cache dir would be under a file)
    out["cosign-failure"] = vvv_play(tmp, ROLE, [*inv, "-e", _json(dict(
        cosign, reliab_roles=["cosign"], cosign_signer_key_dir="/etc/bulwark/cosign/broken",
        cosign_public_key_fetch_dir="/proc/bulwark-reliab-unwritable"))], secrets, node=node)
    out["trivy-failure"] = vvv_play(tmp, ROLE, [*inv, "-e", _json(dict(
        trivy, reliab_roles=["trivy"], trivy_server_cache_dir="/etc/trivy/client.env/cache"))],
        secrets, node=node)
    # sign.yml on the controller with a wrong key password: cosign refuses to decrypt the key
    key_dir = tmp / "sign-key"
    key_dir.mkdir()
    subprocess.run([lab_tools["cosign"], "generate-key-pair"], cwd=key_dir, check=True,
                   capture_output=True, env=dict(os.environ, COSIGN_PASSWORD="the-right-one"))
    image = lab_image_factory(f"bulwark-reliab/secrets-{uuid.uuid4().hex[:8]}:v1", "secrets")
    out["sign-failure"] = vvv_play(tmp, SIGN, ["-e", _json({
        "sign_images": [image], "sign_key": str(key_dir / "cosign.key"),
        "sign_transparency_log": False, "sign_insecure_registry": True,
        "sign_cosign_path": lab_tools["cosign"]})],
        {"sign_key_password": secret_values["sign_key_password"]})
    # cosign_sign keyless on the controller: the token goes to a 0600 file cosign reads; Fulcio
    # (a port that accepts and hangs up after a second, so that the sampler sees cosign's
    # argument list even on a loaded machine) cannot answer, so the failure path is what runs
    with _HangingUp() as dead:
        keyless = _sign_on_controller(tmp / "keyless.yml", "Keyless signing whose Fulcio is down", {
            "image": image, "identity_token": "{{ identity_token }}", "fulcio_url": dead,
            "rekor_url": dead, "insecure_registry": True}, lab_tools)
        tokens_before = _token_files()
        out["keyless-failure"] = vvv_play(tmp, str(keyless), [],
                                          {"identity_token": secret_values["identity_token"]})
    out["keyless-failure"]["token_files_left"] = sorted(_token_files() - tokens_before)
    # cosign_sign against the TLS registry that asks for a login: the right password signs,
    # a wrong one fails with registry_auth; each goes to a 0600 docker config only
    user, password = registry_tls.credentials()
    secret_values.update(registry_password=password,
                         registry_password_wrong=f"reliab-wrong-{uuid.uuid4().hex}")
    ref = lab.push_image(f"bulwark-reliab/login-{uuid.uuid4().hex[:8]}:v1", "login", tls=True)
    login = _sign_on_controller(tmp / "login.yml", "Sign on a registry that asks for a login", {
        "image": ref, "key": str(key_dir / "cosign.key"), "key_password": "the-right-one",
        "registry_username": user, "registry_password": "{{ registry_password }}",
        "registry_ca_path": str(registry_tls.TLS_DIR / "ca.pem")}, lab_tools)
    out["registry-ok"] = vvv_play(tmp, str(login), [], {"registry_password": password})
    out["registry-failure"] = vvv_play(tmp, str(login), [], {
        "registry_password": secret_values["registry_password_wrong"]})
    assert "registry_auth" in out["registry-failure"]["output"], (
        out["registry-failure"]["output"][-3000:])
    return out


def _sign_on_controller(path: Path, name: str, options: dict, tools: dict) -> Path:
    """A one-task playbook: cosign_sign with `options` on the controller, no transparency log."""
    path.write_text(json.dumps([{
        "name": name, "hosts": "localhost", "connection": "local", "gather_facts": False,
        "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
        "tasks": [{"bulwark.container_security.cosign_sign": {
            **options, "transparency_log": False, "cosign_path": tools["cosign"],
            "crane_path": tools["crane"]}}]}]))
    return path


def _token_files() -> set:
    """cosign_sign's private token files (flows._token_file) in the controller's temp dirs."""
    return {str(p) for d in (tempfile.gettempdir(), "/tmp")
            for p in Path(d).glob("bulwark-cosign-*.token")}


def _json(values: dict) -> str:
    return json.dumps(values)


# ---------------------------------------------------------------------------- the rows
# (row id, secret variable, run id, expected outcome, intended home on the node with its mode)
SECRET_ROWS = [
    ("cosign_key_password-signer-vvv", "cosign_key_password", "roles", "ok", None),
    ("cosign_key_password-signer-failure", "cosign_key_password", "cosign-failure", "failed",
     None),
    ("trivy_server_token-server-vvv", "trivy_server_token", "roles", "ok",
     "/etc/trivy/server.env"),
    ("trivy_server_token-server-failure", "trivy_server_token", "trivy-failure", "failed",
     "/etc/trivy/server.env"),
    ("trivy_client_token-client-vvv", "trivy_client_token", "roles", "ok",
     "/etc/trivy/client.env"),
    ("trivy_client_token-client-failure", "trivy_client_token", "trivy-failure", "failed",
     "/etc/trivy/client.env"),
    ("sign_key_password-sign-failure", "sign_key_password", "sign-failure", "failed", None),
    ("identity_token-keyless-sign-failure", "identity_token", "keyless-failure", "failed", None),
    ("registry_password-sign-vvv", "registry_password", "registry-ok", "ok", None),
    ("registry_password-sign-failure", "registry_password_wrong", "registry-failure", "failed",
     None),
]


@pytest.mark.parametrize(("row_id", "variable", "run", "outcome", "home"), SECRET_ROWS,
                         ids=[r[0] for r in SECRET_ROWS])
def test_secrets_row(runs, secret_values, row_id, variable, run, outcome, home):
    evidence = runs[run]
    secret = secret_values[variable]
    res = evidence["result"]
    assert (res.returncode == 0) == (outcome == "ok"), evidence["output"][-3000:]
    assert " -vvv" in " ".join(res.args) and evidence["log"], "the run was not at -vvv with a log"
    assert secret not in evidence["output"], f"{variable} in the play's output"
    assert secret not in evidence["log"], f"{variable} in ANSIBLE_LOG_PATH"
    assert evidence["cmdlines"].count("\n") > 10, "no process argument lists were sampled"
    assert secret not in evidence["cmdlines"], f"{variable} in a process argument list"
    if run == "keyless-failure":  # cosign ran with the token's file, and the file is gone
        assert "--identity-token /" in evidence["cmdlines"], "cosign sign never ran keyless"
        assert evidence["token_files_left"] == [], evidence["token_files_left"]
    node = evidence["node"]
    if node:
        files = node_files_with(node, secret)
        assert files == ([home] if home else []), f"{variable} found in {files}"
        if home:
            mode = node_exec(node, "stat", "-c", "%a %U", home).stdout.split()
            assert mode == ["600", "root"], f"{home}: {mode}"
