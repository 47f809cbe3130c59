# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The real Trivy 0.76.0 (from the pinned wheel, as the lab's mirror lays it out) scans with the
DB the lab builds: exactly the lab's CVE-2099 findings on a small Debian 12 rootfs, from the
cache directory and pulled from the lab registry as Trivy's OCI artifacts."""
from __future__ import annotations

import json
import subprocess
import tarfile

import pytest
import trivy_lab  # lab/trivy_lab.py
from trivy_db import bbolt, build  # lab/trivy_db/

import lab

# (id, package, installed, fixed, status, severity): lab/trivy_db/lab-advisories.yaml says why
EXPECTED = {
    ("CVE-2099-0001", "libssl3", "3.0.15-1~deb12u1", "3.0.99-1~deb12u1", "fixed", "CRITICAL"),
    ("CVE-2099-0003", "zlib1g", "1:1.2.13.dfsg-1", "", "affected", "HIGH"),
    ("CVE-2099-0005", "zlib1g", "1:1.2.13.dfsg-1", "", "will_not_fix", "LOW"),
    ("CVE-2099-0101", "org.bulwark.lab:lab-greeter", "1.0.0", "1.1.0", "fixed", "HIGH"),
}
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


@pytest.fixture(scope="session")
def trivy() -> str:
    return str(trivy_lab.trivy_binary())


@pytest.fixture(scope="session")
def trivy_cache(tmp_path_factory):
    """Both DBs, built once per session, as Trivy's --cache-dir."""
    out = tmp_path_factory.mktemp("trivy-cache")
    build.build(out)
    return out


@pytest.fixture(scope="session")
def debian12_rootfs(tmp_path_factory):
    """A small Debian 12 rootfs: os-release, dpkg status (openssl, zlib), two lab jars."""
    root = tmp_path_factory.mktemp("rootfs")
    (root / "etc").mkdir()
    (root / "etc/os-release").write_text('ID=debian\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\n'
                                         'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\n')
    (root / "etc/debian_version").write_text("12.8\n")
    (root / "var/lib/dpkg").mkdir(parents=True)
    (root / "var/lib/dpkg/status").write_text(DPKG_STATUS)
    (root / "opt/app").mkdir(parents=True)
    greeter_1_0, _greeter_1_1, logging_2_0 = build.JAVA_LAB_ARTIFACTS
    for group, artifact, version, _kind in (greeter_1_0, logging_2_0):
        (root / "opt/app" / f"{artifact}.jar").write_bytes(build.lab_jar(group, artifact, version))
    return root


def findings(report: dict) -> set:
    return {(v["VulnerabilityID"], v["PkgName"], v["InstalledVersion"], v.get("FixedVersion", ""),
             v["Status"], v["Severity"])
            for result in report.get("Results", []) for v in result.get("Vulnerabilities", [])}


def scan(trivy, rootfs, cache, *flags) -> subprocess.CompletedProcess:
    return subprocess.run([trivy, "rootfs", "--cache-dir", str(cache), "--scanners", "vuln",
                           "--format", "json", "--quiet", *flags, str(rootfs)],
                          capture_output=True, text=True, check=False, timeout=300)


def test_the_lab_trivy_is_0_76_0_out_of_the_wheel_checked_against_its_record(trivy):
    out = subprocess.run([trivy, "--version"], capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[0] == "Version: 0.76.0"
    stamp = (lab.STATE / "tools" / "bin" / "trivy.sha256").read_text().strip()
    assert lab.sha256_file(trivy) == stamp


def test_real_trivy_reports_exactly_the_lab_findings(trivy, trivy_cache, debian12_rootfs):
    res = scan(trivy, debian12_rootfs, trivy_cache, "--skip-db-update", "--skip-java-db-update",
               "--offline-scan")
    assert res.returncode == 0, res.stderr
    report = json.loads(res.stdout)
    assert report["Metadata"]["OS"] == {"Family": "debian", "Name": "12.8"}
    assert findings(report) == EXPECTED


def test_real_trivy_ignore_unfixed_keeps_only_the_fixed_findings(trivy, trivy_cache,
                                                                 debian12_rootfs):
    res = scan(trivy, debian12_rootfs, trivy_cache, "--skip-db-update", "--skip-java-db-update",
               "--offline-scan", "--ignore-unfixed")
    assert res.returncode == 0, res.stderr
    assert findings(json.loads(res.stdout)) == {f for f in EXPECTED if f[4] == "fixed"}


def test_real_trivy_refuses_a_db_with_meta_checksum_zero(trivy, tmp_path, debian12_rootfs):
    """What PyPI boltdb 0.0.2 writes (and Debian's older bbolt still reads): Trivy 0.76 refuses."""
    build.build(tmp_path)
    db = tmp_path / "db" / "trivy.db"
    data = bytearray(db.read_bytes())
    for meta in (0, 1):
        data[meta * 4096 + 72:meta * 4096 + 80] = bytes(8)
    db.write_bytes(bytes(data))
    res = scan(trivy, debian12_rootfs, tmp_path, "--skip-db-update", "--skip-java-db-update",
               "--offline-scan")
    assert res.returncode != 0
    assert "checksum" in res.stderr


def test_real_trivy_pulls_both_dbs_from_the_lab_registry(trivy, lab_registry, tmp_path,
                                                         debian12_rootfs, lab_tools):
    pushed = trivy_lab.push_dbs(lab_registry, out=tmp_path / "artifacts",
                                oras=lab.fetch_debian_tool("oras"))
    assert set(pushed) == {"trivy-db:2", "trivy-java-db:1"}
    manifest = json.loads(subprocess.run(
        [lab_tools["crane"], "manifest", "--insecure", f"{lab_registry}/trivy-db:2"],
        capture_output=True, text=True, check=True).stdout)
    assert manifest["config"]["mediaType"] == "application/vnd.aquasec.trivy.config.v1+json"
    [layer] = manifest["layers"]
    assert layer["mediaType"] == "application/vnd.aquasec.trivy.db.layer.v1.tar+gzip"
    assert layer["annotations"]["org.opencontainers.image.title"] == "db.tar.gz"
    cache = tmp_path / "cache"
    res = scan(trivy, debian12_rootfs, cache, "--db-repository", f"{lab_registry}/trivy-db:2",
               "--java-db-repository", f"{lab_registry}/trivy-java-db:1", "--insecure")
    assert res.returncode == 0, res.stderr
    assert findings(json.loads(res.stdout)) == EXPECTED
    with tarfile.open(tmp_path / "artifacts" / "db.tar.gz") as tar:
        served = tar.extractfile("trivy.db").read()
    assert (cache / "db" / "trivy.db").read_bytes() == served
    assert served == bbolt.encode(build.db_tree())
