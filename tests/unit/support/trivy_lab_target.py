# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The lab's Trivy target: a small Debian 12 rootfs (dpkg status with openssl and zlib, two lab
jars) and the findings the real Trivy 0.76 reports on it with the lab DB (lab/trivy_db/)."""
from __future__ import annotations

import io
import tarfile
from pathlib import Path

from trivy_db import build  # lab/trivy_db/

# (id, package, installed, fixed, status, severity): lab/trivy_db/lab-advisories.yaml says why
EXPECTED = {
    ("CVE-2099-0001", "libssl3", "3.0.15-1~deb12u1", "3.0.99-1~deb12u1", "fixed", "CRITICAL"),
    ("CVE-2099-0003", "zlib1g", "1:1.2.13.dfsg-1", "", "affected", "HIGH"),
    ("CVE-2099-0005", "zlib1g", "1:1.2.13.dfsg-1", "", "will_not_fix", "LOW"),
    ("CVE-2099-0101", "org.bulwark.lab:lab-greeter", "1.0.0", "1.1.0", "fixed", "HIGH"),
}
EXPECTED_COUNTS = {"CRITICAL": 1, "HIGH": 2, "LOW": 1}
DPKG_STATUS = """\
Package: libssl3
Status: install ok installed
Architecture: amd64
Source: openssl
Version: 3.0.15-1~deb12u1
Description: Secure Sockets Layer toolkit - shared libraries

Package: zlib1g
Status: install ok installed
Architecture: amd64
Source: zlib
Version: 1:1.2.13.dfsg-1
Description: compression library - runtime

"""


def rootfs_files() -> dict[str, bytes]:
    """{path: content} of the rootfs: os-release, dpkg status (openssl, zlib), two lab jars."""
    files = {
        "etc/os-release": b'ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
                          b'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n',
        "etc/debian_version": b"12.8\n",
        "var/lib/dpkg/status": DPKG_STATUS.encode(),
    }
    greeter_1_0, _greeter_1_1, logging_2_0 = build.JAVA_LAB_ARTIFACTS
    for group, artifact, version, _kind in (greeter_1_0, logging_2_0):
        files[f"opt/app/{artifact}.jar"] = build.lab_jar(group, artifact, version)
    return files


def make_rootfs(root: Path) -> Path:
    for path, content in rootfs_files().items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_bytes(content)
    return root


def layer_tar() -> bytes:
    """The rootfs as one image layer (for `crane append`)."""
    raw = io.BytesIO()
    with tarfile.open(fileobj=raw, mode="w") as tar:
        for path, content in rootfs_files().items():
            info = tarfile.TarInfo(path)
            info.size, info.mode, info.mtime = len(content), 0o644, 1700000000
            tar.addfile(info, io.BytesIO(content))
    return raw.getvalue()


def findings(report: dict) -> set:
    return {(v["VulnerabilityID"], v["PkgName"], v["InstalledVersion"], v.get("FixedVersion", ""),
             v["Status"], v["Severity"])
            for result in report.get("Results") or [] for v in result.get("Vulnerabilities") or []}
