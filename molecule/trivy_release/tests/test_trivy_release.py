# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What the trivy role leaves on a node with cosign: the real Trivy 0.76.0 (laid out by the lab
mirror as upstream's release, see molecule.yml) installed from the verified cached download,
its trivy.yaml read by a real scan, the lab DB seeded from the controller, and the server
answering clients that hold its token. Idempotence (no change, so no download, no signature
check and no server restart on the second converge) is molecule's own step."""
import json
import shlex

import pytest

VERSION = "0.76.0"
TOKEN = "bulwark-lab-trivy-token"  # noqa: S105 - converge.yml's lab value, not a secret
# A Debian 12 root whose dpkg status the lab DB judges (lab/trivy_db/lab-advisories.yaml):
# openssl 3.0.15 -> CVE-2099-0001 CRITICAL with a fix; zlib -> CVE-2099-0003 HIGH without one
# and CVE-2099-0005 LOW (will_not_fix).
DPKG = ("Package: libssl3\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\n"
        "Version: 3.0.15-1~deb12u1\nDescription: TLS\n\n"
        "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\n"
        "Version: 1:1.2.13.dfsg-1\nDescription: zlib\n\n")
ROOT = "/tmp/bulwark-scan-root"


@pytest.fixture
def scan_root(host):
    files = {"etc/os-release": 'ID=debian\nVERSION_ID="12"\n', "etc/debian_version": "12.8\n",
             "var/lib/dpkg/status": DPKG}
    host.run(f"rm -rf {ROOT} && mkdir -p {ROOT}/etc {ROOT}/var/lib/dpkg")
    for path, text in files.items():
        assert host.run(f"printf '%s' {shlex.quote(text)} > {ROOT}/{path}").rc == 0
    yield ROOT
    host.run(f"rm -rf {ROOT} /tmp/bulwark-cache-*")


def server_url(host):
    port = 14961 if host.file("/etc/debian_version").content_string.startswith("12") else 14962
    return f"http://127.0.0.1:{port}"


def ids(stdout):
    return sorted(v["VulnerabilityID"] for r in json.loads(stdout).get("Results", [])
                  for v in r.get("Vulnerabilities") or [])


ASSET = f"trivy_{VERSION}_Linux-64bit.tar.gz"
CACHE = f"/var/cache/bulwark/release-artifacts/trivy/{VERSION}"
KEY = "/etc/bulwark/cosign/trusted-keys/lab-mirror.pub"


def test_cosign_is_on_the_node(host):
    assert host.file("/usr/local/bin/cosign").is_symlink
    assert host.run("cosign version").rc == 0


def test_trivy_installed_versioned_and_linked(host):
    binary = host.file(f"/opt/bulwark/tools/trivy/{VERSION}/trivy")
    assert binary.is_file and binary.user == "root" and binary.mode == 0o755
    link = host.file("/usr/local/bin/trivy")
    assert link.is_symlink and link.linked_to == binary.path
    assert host.check_output("trivy --version").splitlines()[0] == f"Version: {VERSION}"


def test_cache_holds_the_verified_download_only(host):
    cache = host.file("/var/cache/bulwark/release-artifacts")
    assert cache.mode == 0o700 and cache.user == "root"
    assert sorted(host.file(CACHE).listdir()) == [ASSET, f"{ASSET}.sigstore.json"]
    assert host.run("ls -A /opt/bulwark/tools | grep -c '^.staging' || true").stdout.strip() == "0"


def test_cached_bundle_verifies_and_a_changed_tarball_does_not(host):
    """The bundle the installer checked is a real one: cosign on the node accepts it for the
    cached tarball and refuses it for a tarball with one byte more."""
    verify = (f"cosign verify-blob --key {KEY} --insecure-ignore-tlog=true "
              f"--bundle {CACHE}/{ASSET}.sigstore.json")
    assert host.run(f"{verify} {CACHE}/{ASSET}").rc == 0
    tampered = host.run(f"cp {CACHE}/{ASSET} /tmp/t.tgz && echo x >> /tmp/t.tgz && "
                        f"{verify} /tmp/t.tgz")
    host.run("rm -f /tmp/t.tgz")
    assert tampered.rc != 0


def test_the_lab_db_was_seeded_from_the_controller(host):
    meta = json.loads(host.file("/var/cache/trivy/db/metadata.json").content_string)
    assert meta["Version"] == 2
    assert host.file("/var/cache/trivy/db/trivy.db").size > 0


def test_a_real_scan_reads_the_roles_trivy_yaml(host, scan_root):
    """Severity HIGH,CRITICAL, ignore-unfixed and exit code 1 come from /etc/trivy/trivy.yaml
    alone: of the three lab findings only the fixed CRITICAL one is left, and the exit is 1."""
    host.run("mkdir -p /tmp/bulwark-cache-a && cp -r /var/cache/trivy/db /tmp/bulwark-cache-a/")
    run = host.run(f"trivy rootfs --config /etc/trivy/trivy.yaml --cache-dir /tmp/bulwark-cache-a "
                   f"--format json --quiet {scan_root}")
    assert run.rc == 1, run.stderr
    assert ids(run.stdout) == ["CVE-2099-0001"]


def test_the_server_answers_a_client_with_its_token_and_refuses_a_wrong_one(host, scan_root):
    assert host.service("trivy-server").is_running
    env = host.file("/etc/trivy/server.env")
    assert env.mode == 0o600 and env.user == "root"
    assert TOKEN not in host.file("/etc/trivy/trivy.yaml").content_string
    client = (f"trivy rootfs --server {server_url(host)} --cache-dir /tmp/bulwark-cache-b "
              f"--format json --quiet --scanners vuln")
    good = host.run(f"TRIVY_TOKEN={TOKEN} {client} {scan_root}")
    assert good.rc == 0, good.stderr
    assert ids(good.stdout) == ["CVE-2099-0001", "CVE-2099-0003", "CVE-2099-0005"]
    wrong = host.run(f"TRIVY_TOKEN=not-the-token {client} {scan_root}")
    assert wrong.rc != 0
    assert "unauthenticated" in wrong.stderr.lower() or "invalid token" in wrong.stderr.lower()
