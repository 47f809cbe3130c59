"""The artifact catalog: URLs, checksum sources, denylist and architecture handling."""
import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
    CATALOG,
    ArtifactError,
    parse_checksums,
    plan,
)


def test_upstream_cosign_binary():
    p = plan("cosign", "v3.1.1", "x86_64")
    assert p["url"] == ("https://github.com/sigstore/cosign/releases/download/v3.1.1/"
                        "cosign-linux-amd64")
    assert p["checksum"] == ("sha256:https://github.com/sigstore/cosign/releases/download/"
                             "v3.1.1/cosign_checksums.txt")
    assert p["format"] == "binary"


def test_mirror_keeps_the_upstream_layout():
    p = plan("trivy", "0.67.2", "aarch64", mirror_url="http://mirror.internal/gh/")
    assert p["url"] == ("http://mirror.internal/gh/aquasecurity/trivy/releases/download/"
                        "v0.67.2/trivy_0.67.2_Linux-ARM64.tar.gz")
    assert p["member"] == "trivy"


def test_kyverno_asset_names():
    p = plan("kyverno", "1.16.1", "x86_64")
    assert p["asset"] == "kyverno-cli_v1.16.1_linux_x86_64.tar.gz"
    assert p["checksum"].endswith("/v1.16.1/checksums.txt")


def test_pinned_sha256_wins_and_is_checked():
    digest = "a" * 64
    assert plan("syft", "1.18.1", "x86_64", sha256=digest)["checksum"] == f"sha256:{digest}"
    with pytest.raises(ArtifactError, match="not 64 hex digits"):
        plan("syft", "1.18.1", "x86_64", sha256="abc")


def test_falco_needs_a_pinned_checksum():
    with pytest.raises(ArtifactError, match="pin the sha256"):
        plan("falco", "0.42.1", "x86_64")
    p = plan("falco", "0.42.1", "x86_64", sha256="b" * 64)
    assert p["url"] == ("https://download.falco.org/packages/bin/x86_64/"
                        "falco-0.42.1-x86_64.tar.gz")
    assert p["member"] == "falco-0.42.1-x86_64/usr/bin/falco"


@pytest.mark.parametrize("version", ["0.69.4", "v0.69.5", "0.69.6"])
def test_compromised_trivy_releases_are_refused(version):
    with pytest.raises(ArtifactError, match="CVE-2026-33634"):
        plan("trivy", version, "x86_64")


def test_unknown_tool_and_architecture_and_loose_version():
    with pytest.raises(ArtifactError, match="known: cosign, falco, kyverno, syft, trivy"):
        plan("kubectl", "1.0.0", "x86_64")
    with pytest.raises(ArtifactError, match="'riscv64' is not supported"):
        plan("cosign", "3.1.1", "riscv64")
    with pytest.raises(ArtifactError, match="exact version"):
        plan("cosign", "latest", "x86_64")


def test_every_catalog_entry_plans_for_both_architectures():
    for tool in CATALOG:
        for arch in ("x86_64", "aarch64"):
            p = plan(tool, "1.2.3", arch, sha256="c" * 64)
            assert p["url"].endswith(p["asset"])


def test_parse_checksums():
    text = f"{'d' * 64}  cosign-linux-amd64\n{'e' * 64} *cosign-linux-arm64\n"
    assert parse_checksums(text, "cosign-linux-arm64") == "e" * 64
    with pytest.raises(ArtifactError, match="not listed"):
        parse_checksums(text, "cosign-darwin-amd64")
