# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The lab's second registry: CNCF Distribution with TLS (a lab CA made here with openssl) and
htpasswd basic auth (user `bulwark`, a random password kept 0600 in .lab/registry-tls/password).

Standard library only, like lab.py (`python3 lab/lab.py registry-tls start|stop`). It runs
on its own port (BULWARK_REGISTRY_TLS_PORT, default 15443) beside the plain-HTTP registry.
"""
from __future__ import annotations

import base64
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import lab

PORT = lab.REGISTRY_TLS_PORT
USER = "bulwark"

TLS_DIR = lab.STATE / "registry-tls"


def host() -> str:
    return f"127.0.0.1:{PORT}"


def _write_private(path: Path, text: str) -> None:
    """A file only its owner reads (0600 from the start, never world-readable for a moment)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        f.write(text)
    path.chmod(0o600)


def lab_ca() -> tuple[Path, Path, Path]:
    """(ca.pem, server.pem, server.key) under .lab/registry-tls/: a lab CA (openssl, EC P-256,
    30 days) and a server certificate for 127.0.0.1 and localhost it signed; made once."""
    ca, ca_key = TLS_DIR / "ca.pem", TLS_DIR / "ca.key"
    cert, key = TLS_DIR / "server.pem", TLS_DIR / "server.key"
    if cert.exists() and key.exists() and ca.exists():
        return ca, cert, key
    TLS_DIR.mkdir(parents=True, exist_ok=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    for private in (ca_key, key):
        lab.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256",
                 "-out", private], **quiet)
        private.chmod(0o600)
    lab.run(["openssl", "req", "-x509", "-new", "-key", ca_key, "-days", "30", "-subj",
             "/CN=Bulwark lab CA", "-addext", "basicConstraints=critical,CA:TRUE",
             "-addext", "keyUsage=critical,keyCertSign,cRLSign", "-out", ca], **quiet)
    with tempfile.TemporaryDirectory() as tmp:
        csr, ext = Path(tmp) / "server.csr", Path(tmp) / "ext.cnf"
        ext.write_text("basicConstraints=CA:FALSE\nkeyUsage=digitalSignature\n"
                       "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1,DNS:localhost\n")
        lab.run(["openssl", "req", "-new", "-key", key, "-subj", "/CN=127.0.0.1", "-out", csr],
                **quiet)
        lab.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca, "-CAkey", ca_key,
                 "-CAcreateserial", "-days", "30", "-extfile", ext, "-out", cert], **quiet)
    return ca, cert, key


def bcrypt_hash(password: str) -> str:
    """The bcrypt hash htpasswd -B writes (the only scheme CNCF Distribution's htpasswd
    reads): libc's crypt through Python's crypt module, else apache2-utils' htpasswd."""
    try:
        import warnings
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            import crypt  # removed in Python 3.13
        hashed = crypt.crypt(password, crypt.mksalt(crypt.METHOD_BLOWFISH))  # noqa: S324 (bcrypt)
        if hashed and hashed.startswith("$2"):
            return hashed
    except ImportError:
        pass
    if not shutil.which("htpasswd"):
        raise SystemExit("[lab] no bcrypt: Python's crypt module is gone and htpasswd is "
                         "missing (apt-get install apache2-utils)")
    res = subprocess.run(["htpasswd", "-niB", USER], input=password + "\n",
                         capture_output=True, text=True, check=True)
    return res.stdout.strip().split(":", 1)[1]


def credentials() -> tuple[str, str]:
    """(user, password) of the TLS registry; the password is random, made once, kept 0600."""
    pw_file = TLS_DIR / "password"
    if not pw_file.exists():
        import secrets
        _write_private(pw_file, secrets.token_urlsafe(24))
        (TLS_DIR / "htpasswd").unlink(missing_ok=True)
    return USER, pw_file.read_text().strip()


def docker_config() -> Path:
    """A DOCKER_CONFIG directory (0700, config.json 0600) with the TLS registry's login,
    for the lab's own crane pushes and for tests that play a logged-in user."""
    user, password = credentials()
    d = TLS_DIR / "docker"
    d.mkdir(parents=True, exist_ok=True)
    d.chmod(0o700)
    auth = base64.b64encode(f"{user}:{password}".encode()).decode()
    _write_private(d / "config.json", json.dumps({"auths": {host(): {"auth": auth}}}))
    return d


def tool_env() -> dict[str, str]:
    """What a Go tool (crane, cosign, notation) needs to reach the TLS registry as the lab
    user: the docker config directory and the lab CA (SSL_CERT_FILE; system CA directories
    stay trusted)."""
    ca, _cert, _key = lab_ca()
    return {"DOCKER_CONFIG": str(docker_config()), "SSL_CERT_FILE": str(ca)}


def start() -> None:
    """lab.registry_start's registry, with htpasswd auth and TLS, as the daemon registry-tls
    (its state is TLS_DIR, .lab/registry-tls/)."""
    _ca, cert, key = lab_ca()
    user, password = credentials()
    htpasswd = TLS_DIR / "htpasswd"
    if not htpasswd.exists():
        _write_private(htpasswd, f"{user}:{bcrypt_hash(password)}\n")
    lab.registry_start(
        "registry-tls", PORT,
        auth=f"auth:\n  htpasswd:\n    realm: bulwark-lab\n    path: {htpasswd}\n",
        http_extra=f"  tls:\n    certificate: {cert}\n    key: {key}\n")
