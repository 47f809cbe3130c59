# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What the trivy role's release install leaves on a node with cosign: the stand-in binary
(a script laid out like Trivy's release, see molecule.yml) installed from the verified cached
download. Idempotence (no change, so no download and no signature check on the second
converge) is molecule's own step."""

VERSION = "0.75.0"
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
    assert host.check_output("trivy --version") == f"Version: {VERSION}"


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
