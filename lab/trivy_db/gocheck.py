# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Go's bbolt as an independent check of lab/trivy_db/bbolt.py: builds bbolt_check/main.go
offline against Debian's golang-github-coreos-bbolt-dev (GOPATH mode, /usr/share/gocode) once
per source version, runs it on a file and reads its dump back into a tree.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
from pathlib import Path

SOURCE = Path(__file__).resolve().parent / "bbolt_check" / "main.go"
GOPATH = Path("/usr/share/gocode")
BBOLT_SRC = GOPATH / "src" / "go.etcd.io" / "bbolt"
PACKAGES = "golang-go golang-github-coreos-bbolt-dev"


def build(out_dir: Path) -> Path:
    """The checker binary under `out_dir`, named by the hash of its source (built if absent)."""
    go = shutil.which("go")
    if not go or not BBOLT_SRC.is_dir():
        raise RuntimeError(f"Go's bbolt is missing (go: {go}, {BBOLT_SRC}): "
                           f"apt-get install -y {PACKAGES} (lab/setup-system.sh does)")
    digest = hashlib.sha256(SOURCE.read_bytes()).hexdigest()[:16]
    binary = Path(out_dir) / f"bbolt_check-{digest}"
    if binary.is_file():
        return binary
    binary.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ, GO111MODULE="off", GOPATH=str(GOPATH), GOFLAGS="-mod=mod",
               GOCACHE=str(Path(out_dir) / "go-build-cache"), CGO_ENABLED="0")
    tmp = binary.with_name(binary.name + ".tmp")
    subprocess.run([go, "build", "-o", str(tmp), str(SOURCE)], env=env, check=True,
                   cwd=SOURCE.parent, capture_output=True, text=True)
    os.replace(tmp, binary)
    return binary


def check(binary: Path, db: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(binary), str(db)], capture_output=True, text=True, check=False,
                          timeout=120)


def parse_dump(text: str) -> dict:
    """The tree the checker's dump describes (bytes keys; dict buckets, bytes values)."""
    tree: dict = {}

    def bucket(path: str) -> dict:
        node = tree
        for part in path.split("/") if path else []:
            node = node.setdefault(bytes.fromhex(part), {})
        return node

    for line in text.splitlines():
        kind, _sep, rest = line.partition(" ")
        if kind == "B":
            bucket(rest)
        elif kind == "K":
            path, key, value = rest.split(" ")
            bucket(path)[bytes.fromhex(key)] = bytes.fromhex(value)
        else:
            raise ValueError(f"bbolt_check: unexpected line {line!r}")
    return tree
