# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Signature checks inside the shared installer, with the real cosign 3.1.1 and the real gpg.

Trivy and Falco cannot be downloaded here, so the artifacts are stand-ins laid out like their
releases (a `trivy` / `falco` script that answers its version), signed for real: a Sigstore
bundle made by `cosign sign-blob` with a throw-away key, a detached `.asc` made by gpg with a
throw-away key in a temporary GNUPGHOME. What is proven is the install mechanism: checksum,
signature, unpack, switch, and nothing fetched or verified once the version is installed.
"""
from __future__ import annotations

import base64
import io
import json
import subprocess
import tarfile
from pathlib import Path

import pytest
from installer_helpers import changed_count, install, serve_directories

import lab

_recording_mirror = pytest.fixture(name="recording_mirror")(serve_directories)
TRIVY_RELEASES = "aquasecurity/trivy/releases/download"


@pytest.fixture(scope="module")
def cosign_keys(tmp_path_factory, lab_tools):
    """The real cosign 3.1.1 and two key pairs: the release key and someone else's."""
    cosign = Path(lab_tools["cosign"])
    root = tmp_path_factory.mktemp("cosign-keys")
    return (cosign, lab.cosign_key_pair(cosign, root / "release"),
            lab.cosign_key_pair(cosign, root / "other"))


def publish_trivy(mirror: Path, version: str, cosign: Path, pub: Path) -> Path:
    """A stand-in Trivy release in mirror/, its bundle signed with the private half of pub."""
    return lab.write_trivy_standin(mirror / TRIVY_RELEASES / f"v{version}", version, cosign,
                                   pub.with_suffix(".key"))


def trivy(tmp_path, srv, version, cosign, pub, **extra):
    return install(tmp_path, release_artifact_tool="trivy", release_artifact_version=version,
                   release_artifact_mirror_url=srv.url, **srv.trust,
                   release_artifact_verification={
                       "kind": "sigstore", "setting": "trivy_verify_signature",
                       "cosign": str(cosign), "key": str(pub), "ignore_tlog": True}, **extra)


@pytest.mark.lab
def test_bundle_checked_on_install_then_nothing_fetched(tmp_path, cosign_keys, recording_mirror):
    cosign, pub, _other_pub = cosign_keys
    publish_trivy(tmp_path / "mirror", "0.75.0", cosign, pub)
    srv = recording_mirror(tmp_path / "mirror")
    first = trivy(tmp_path, srv, "0.75.0", cosign, pub)
    assert first.returncode == 0, first.stdout + first.stderr
    release = f"/{TRIVY_RELEASES}/v0.75.0/trivy_0.75.0_Linux-64bit.tar.gz"
    # each file once: the tarball and the bundle; the checksums file beside them is never
    # asked for (the sha256 is the pin, srv.trust)
    assert sorted(srv.requests) == sorted([release, release + ".sigstore.json"])
    binary = tmp_path / "opt/trivy/0.75.0/trivy"
    assert (tmp_path / "bin/trivy").resolve() == binary
    answer = subprocess.run([binary, "--version"], capture_output=True, text=True, check=False)
    assert answer.stdout == "Version: 0.75.0\n"
    cached = sorted(p.name for p in (tmp_path / "cache/trivy/0.75.0").iterdir())
    assert cached == ["trivy_0.75.0_Linux-64bit.tar.gz",
                      "trivy_0.75.0_Linux-64bit.tar.gz.sigstore.json"]

    srv.requests.clear()
    again = trivy(tmp_path, srv, "0.75.0", cosign, pub)
    assert again.returncode == 0, again.stdout
    assert changed_count(again) == 0
    assert srv.requests == []
    assert "Check the Sigstore bundle" not in again.stdout


def _tamper(bundle: Path) -> None:
    document = json.loads(bundle.read_text())
    signature = bytearray(base64.b64decode(document["messageSignature"]["signature"]))
    signature[-1] ^= 0x01
    document["messageSignature"]["signature"] = base64.b64encode(bytes(signature)).decode()
    bundle.write_text(json.dumps(document))


@pytest.mark.lab
@pytest.mark.parametrize("attack", ["tampered bundle", "signed by another key"])
def test_bad_bundle_refused_previous_version_stays(tmp_path, cosign_keys, recording_mirror, attack):
    cosign, pub, other = cosign_keys
    mirror = tmp_path / "mirror"
    publish_trivy(mirror, "0.75.0", cosign, pub)
    signer = other if attack == "signed by another key" else pub
    asset = publish_trivy(mirror, "0.75.1", cosign, signer)
    if attack == "tampered bundle":
        _tamper(asset.with_name(asset.name + ".sigstore.json"))
    srv = recording_mirror(mirror)
    assert trivy(tmp_path, srv, "0.75.0", cosign, pub).returncode == 0
    live = tmp_path / "opt/trivy/0.75.0/trivy"
    before = live.read_bytes()

    bad = trivy(tmp_path, srv, "0.75.1", cosign, pub)
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0
    url = f"{srv.url}/{TRIVY_RELEASES}/v0.75.1/trivy_0.75.1_Linux-64bit.tar.gz"
    assert f"from {url} failed" in out
    assert f"the Sigstore bundle {url}.sigstore.json does not verify" in out
    assert "trivy_verify_signature" in out
    assert "previously installed version stays active" in out
    assert (tmp_path / "bin/trivy").resolve() == live and live.read_bytes() == before
    assert not (tmp_path / "opt/trivy/0.75.1").exists()
    assert not (tmp_path / "cache/trivy/0.75.1").exists()   # the refused download is not kept
    assert not list((tmp_path / "opt").glob(".staging-*"))


@pytest.mark.lab
def test_missing_cosign_fails_closed_before_download(tmp_path, cosign_keys, recording_mirror):
    cosign, pub, _other_pub = cosign_keys
    publish_trivy(tmp_path / "mirror", "0.75.0", cosign, pub)
    srv = recording_mirror(tmp_path / "mirror")
    res = trivy(tmp_path, srv, "0.75.0", tmp_path / "no-such/cosign", pub)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "trivy_verify_signature asks for a sigstore signature check" in out
    assert "is not on this host" in out and "set trivy_verify_signature: false" in out
    assert srv.requests == []
    assert not (tmp_path / "bin/trivy").exists()


# --------------------------------------------------------------------------- gpg (Falco)
def make_gpg_key(home: Path, uid: str) -> tuple[str, Path]:
    """A throw-away ed25519 signing key in its own GNUPGHOME; (fingerprint, armored public key)."""
    home.mkdir(mode=0o700)
    gpg = ["gpg", "--batch", "--homedir", str(home), "--pinentry-mode", "loopback",
           "--passphrase", ""]
    subprocess.run([*gpg, "--quick-gen-key", uid, "ed25519", "sign", "never"], check=True,
                   capture_output=True)
    colons = subprocess.run([*gpg, "--with-colons", "--list-keys"], check=True, capture_output=True,
                            text=True).stdout.splitlines()
    fingerprint = next(line.split(":")[9] for line in colons if line.startswith("fpr:"))
    public = home / "public.asc"
    public.write_bytes(subprocess.run([*gpg, "--armor", "--export", fingerprint], check=True,
                                      capture_output=True).stdout)
    return fingerprint, public


@pytest.fixture(scope="module")
def gpg_keys(tmp_path_factory):
    root = tmp_path_factory.mktemp("gpg")
    yield {name: (root / name, *make_gpg_key(root / name, f"{name} <{name}@example.invalid>"))
           for name in ("vendor", "other")}
    for name in ("vendor", "other"):   # key generation and signing started an agent each
        subprocess.run(["gpgconf", "--homedir", str(root / name), "--kill", "gpg-agent"],
                       check=False)


def publish_falco(www: Path, version: str, signer_home: Path) -> str:
    """falco-<v>-x86_64.tar.gz laid out like upstream's (binary, stock rules, plugins) and its
    detached .asc; returns the tarball's sha256."""
    top = f"falco-{version}-x86_64"
    script = f'#!/bin/sh\necho "Falco version: {version} (stand-in)"\n'
    files = {f"{top}/usr/bin/falco": (script, 0o755),
             f"{top}/etc/falco/falco_rules.yaml": ("- rule: stock stand-in\n", 0o644),
             f"{top}/usr/share/falco/plugins/libcontainer.so": ("stand-in plugin\n", 0o644),
             f"{top}/usr/share/falco/plugins/libk8saudit.so": ("stand-in plugin\n", 0o644)}
    www.mkdir(parents=True, exist_ok=True)
    asset = www / f"{top}.tar.gz"
    with tarfile.open(asset, "w:gz") as tar:
        for name, (text, mode) in files.items():
            info = tarfile.TarInfo(name)
            info.size, info.mode = len(text.encode()), mode
            tar.addfile(info, io.BytesIO(text.encode()))
    subprocess.run(["gpg", "--batch", "--homedir", str(signer_home), "--pinentry-mode", "loopback",
                    "--passphrase", "", "--armor", "--detach-sign", "--output", f"{asset}.asc",
                    str(asset)], check=True, capture_output=True)
    return lab.sha256_file(asset)


def falco(tmp_path, srv, sha256, keyring, fingerprint):
    return install(tmp_path, release_artifact_tool="falco", release_artifact_version="1.2.3",
                   release_artifact_base_url=srv.url, release_artifact_sha256=sha256, **srv.trust,
                   release_artifact_verification={
                       "kind": "gpg", "setting": "falco_tarball_verify_signature",
                       "keyring": str(keyring), "fingerprint": fingerprint},
                   release_artifact_extra_files={"dest": str(tmp_path / "root"),
                                                 "members": ["etc/falco/falco_rules.yaml",
                                                             "usr/share/falco/plugins"]})


def test_gpg_signed_tarball_installs_with_its_stock_files(tmp_path, gpg_keys, recording_mirror):
    home, fingerprint, public = gpg_keys["vendor"]
    sha256 = publish_falco(tmp_path / "www", "1.2.3", home)
    srv = recording_mirror(tmp_path / "www")
    (tmp_path / "root").mkdir()
    first = falco(tmp_path, srv, sha256, public, fingerprint)
    assert first.returncode == 0, first.stdout + first.stderr
    assert sorted(srv.requests) == ["/falco-1.2.3-x86_64.tar.gz", "/falco-1.2.3-x86_64.tar.gz.asc"]
    assert (tmp_path / "bin/falco").resolve() == tmp_path / "opt/falco/1.2.3/falco"
    assert (tmp_path / "root/etc/falco/falco_rules.yaml").read_text() == "- rule: stock stand-in\n"
    plugins = sorted(p.name for p in (tmp_path / "root/usr/share/falco/plugins").iterdir())
    assert plugins == ["libcontainer.so", "libk8saudit.so"]
    assert not (tmp_path / "root/usr/bin").exists()   # only the members asked for

    srv.requests.clear()
    again = falco(tmp_path, srv, sha256, public, fingerprint)
    assert again.returncode == 0 and changed_count(again) == 0, again.stdout
    assert srv.requests == []


@pytest.mark.parametrize("case", ["wrong fingerprint", "keyring without the signer"])
def test_gpg_signature_by_another_key_refused(tmp_path, gpg_keys, recording_mirror, case):
    home, fingerprint, public = gpg_keys["vendor"]
    _other_home, other_fingerprint, other_public = gpg_keys["other"]
    sha256 = publish_falco(tmp_path / "www", "1.2.3", home)
    srv = recording_mirror(tmp_path / "www")
    (tmp_path / "root").mkdir()
    keyring, pinned = ((public, other_fingerprint) if case == "wrong fingerprint"
                       else (other_public, other_fingerprint))
    res = falco(tmp_path, srv, sha256, keyring, pinned)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert f"from {srv.url}/falco-1.2.3-x86_64.tar.gz failed" in out
    assert (f"the signature {srv.url}/falco-1.2.3-x86_64.tar.gz.asc is not a valid signature of "
            f"falco-1.2.3-x86_64.tar.gz by the key {pinned}") in out
    assert not (tmp_path / "bin/falco").exists()
    assert not (tmp_path / "opt/falco/1.2.3").exists()
    assert list((tmp_path / "root").iterdir()) == []   # no stock files from a refused tarball
    assert not (tmp_path / "cache/falco/1.2.3").exists()


def test_gpg_fingerprint_checked_before_the_host_is_touched(tmp_path, gpg_keys, recording_mirror):
    srv = recording_mirror(tmp_path)
    res = falco(tmp_path, srv, "a" * 64, gpg_keys["vendor"][2], "not-a-fingerprint")
    assert res.returncode != 0
    assert ("falco_tarball_verify_signature: gpg verification needs the signing key's 40 hex "
            "digit fingerprint") in res.stdout
    assert srv.requests == []
    assert not (tmp_path / "cache").exists()
