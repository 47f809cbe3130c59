"""Key pinning and rotation of the falco role's repository keyring, with real gpg.

Two throw-away ed25519 keys stand in for the vendor's current and next key; a loopback HTTP
server plays falco.org/repo. The role's tasks download, check the primary fingerprint with
`gpg --show-keys` and replace the keyring file only for exactly the pinned, non-revoked key.
"""
from __future__ import annotations

import functools
import http.server
import json
import subprocess
import threading
from pathlib import Path

import pytest
from conftest import run_playbook

PLAYBOOK = str(Path(__file__).with_name("signing_key.yml"))
pytestmark = pytest.mark.requires_tool("gpg", "Debian package gnupg")


def make_key(home: Path, uid: str) -> tuple[str, bytes]:
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home), "--pinentry-mode", "loopback",
           "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", uid, "ed25519", "sign", "never"],
                   check=True, capture_output=True)
    colons = subprocess.run([*gpg, "--with-colons", "--list-keys"], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    fpr = next(line.split(":")[9] for line in colons if line.startswith("fpr:"))
    armored = subprocess.run([*gpg, "--armor", "--export", fpr], check=True,
                             capture_output=True).stdout
    return fpr, armored


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    root = tmp_path_factory.mktemp("keys")
    return {"current": make_key(root / "a", "Falco test current <current@example.invalid>"),
            "next": make_key(root / "b", "Falco test next <next@example.invalid>")}


@pytest.fixture
def repo(tmp_path):
    served = tmp_path / "www"
    served.mkdir()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(served))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield served, f"http://127.0.0.1:{httpd.server_address[1]}/falcosecurity-packages.asc"
    httpd.shutdown()
    httpd.server_close()


def manage(tmp_path, url, fingerprint, revoked=()):
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps({
        "falco_gpg_key_url": url, "falco_gpg_fingerprint": fingerprint,
        "falco_gpg_revoked_fingerprints": list(revoked),
        "falco_gpg_keyring_path": str(tmp_path / "keyrings/falcosecurity.asc")}))
    (tmp_path / "keyrings").mkdir(exist_ok=True)
    return run_playbook([PLAYBOOK, "-e", f"@{varfile}"], timeout=300)


def test_pin_rotate_and_refuse(tmp_path, keys, repo):
    served, url = repo
    keyring = tmp_path / "keyrings/falcosecurity.asc"
    (current_fpr, current_key), (next_fpr, next_key) = keys["current"], keys["next"]

    (served / "falcosecurity-packages.asc").write_bytes(current_key)
    first = manage(tmp_path, url, current_fpr)
    assert first.returncode == 0, first.stdout + first.stderr
    assert keyring.read_bytes() == current_key
    assert "changed=0" in manage(tmp_path, url, current_fpr).stdout   # pinned key present: no-op

    # the server still has the old key but the pin moved on: refused, old keyring kept
    refused = manage(tmp_path, url, next_fpr)
    assert refused.returncode != 0
    assert f"expected exactly falco_gpg_fingerprint={next_fpr}" in refused.stdout
    assert keyring.read_bytes() == current_key
    assert not Path(f"{keyring}.new").exists()

    # rotation: the vendor publishes the next key and the pin follows -> keyring replaced
    (served / "falcosecurity-packages.asc").write_bytes(next_key)
    rotated = manage(tmp_path, url, next_fpr, revoked=[current_fpr])
    assert rotated.returncode == 0, rotated.stdout
    assert keyring.read_bytes() == next_key

    # a revoked key is never accepted, even when pinned by mistake
    (served / "falcosecurity-packages.asc").write_bytes(current_key)
    revoked = manage(tmp_path, url, current_fpr, revoked=[current_fpr])
    assert revoked.returncode != 0
    assert "is listed in falco_gpg_revoked_fingerprints" in revoked.stdout
    assert keyring.read_bytes() == next_key

    # a download that carries a revoked key beside the pinned one is refused (fresh node)
    keyring.unlink()
    (served / "falcosecurity-packages.asc").write_bytes(current_key + next_key)
    both = manage(tmp_path, url, next_fpr, revoked=[current_fpr])
    assert both.returncode != 0
    assert not keyring.exists()
