"""The artifact catalog: URLs, checksum sources, denylist and architecture handling."""
import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
    CATALOG,
    ArtifactError,
    parse_checksums,
    plan,
    verification_plan,
)


def test_upstream_cosign_binary():
    p = plan("cosign", "v3.1.1", "x86_64")
    assert p["url"] == ("https://github.com/sigstore/cosign/releases/download/v3.1.1/"
                        "cosign-linux-amd64")
    # stricter than before: the catalog's pin, no longer the checksums file next to the asset
    assert p["checksum"] == ("sha256:ae1ecd212663f3693ad9edf8b1a183900c9a52d3155ba6e354237f9a"
                             "0f6463fc")
    assert p["checksum_source"] == "catalog"
    assert p["format"] == "binary"


def test_mirror_keeps_the_upstream_layout():
    # stricter than before: a plain-HTTP mirror needs the explicit opt-in, and a pin
    with pytest.raises(ArtifactError, match="plain HTTP.*_allow_insecure_mirror"):
        plan("trivy", "0.67.2", "aarch64", mirror_url="http://mirror.internal/gh/",
             sha256="d" * 64)
    with pytest.raises(ArtifactError, match="no pinned sha256.*set trivy_sha256"):
        plan("trivy", "0.67.2", "aarch64", mirror_url="http://mirror.internal/gh/",
             allow_insecure_mirror=True)
    p = plan("trivy", "0.67.2", "aarch64", mirror_url="http://mirror.internal/gh/",
             sha256="d" * 64, allow_insecure_mirror=True)
    assert p["url"] == ("http://mirror.internal/gh/aquasecurity/trivy/releases/download/"
                        "v0.67.2/trivy_0.67.2_Linux-ARM64.tar.gz")
    assert p["member"] == "trivy"


def test_kyverno_asset_names():
    # stricter than before: a version the catalog does not pin is refused, naming the variable
    with pytest.raises(ArtifactError, match="kyverno 1.16.1 for x86_64 has no pinned sha256.*"
                                            "set kyverno_sha256"):
        plan("kyverno", "1.16.1", "x86_64")
    p = plan("kyverno", "1.16.1", "x86_64", sha256="e" * 64)
    assert p["asset"] == "kyverno-cli_v1.16.1_linux_x86_64.tar.gz"
    assert p["checksum"] == "sha256:" + "e" * 64


def test_pinned_sha256_wins_and_is_checked():
    digest = "a" * 64
    assert plan("syft", "1.18.1", "x86_64", sha256=digest)["checksum"] == f"sha256:{digest}"
    with pytest.raises(ArtifactError, match="not 64 hex digits"):
        plan("syft", "1.18.1", "x86_64", sha256="abc")


def test_falco_needs_a_pinned_checksum():
    with pytest.raises(ArtifactError, match="no pinned sha256.*set falco_tarball_sha256"):
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
    with pytest.raises(ArtifactError, match="known: cosign, falco, kyverno, notation, syft, trivy"):
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


TRIVY_URL = ("https://github.com/aquasecurity/trivy/releases/download/v0.75.0/"
             "trivy_0.75.0_Linux-64bit.tar.gz")


def test_no_verification_by_default():
    assert plan("trivy", "0.75.0", "x86_64")["verification"] == {}
    assert verification_plan({}, TRIVY_URL) == {}


def test_sigstore_keyless_names_bundle_identity_and_issuer():
    v = plan("trivy", "0.75.0", "x86_64", verification={
        "kind": "sigstore", "setting": "trivy_verify_signature",
        "certificate_identity": "https://github.com/aquasecurity/trivy/.github/workflows/"
                                "reusable-release.yaml@refs/tags/v0.75.0",
        "certificate_oidc_issuer": "https://token.actions.githubusercontent.com"})["verification"]
    assert v["signature_url"] == TRIVY_URL + ".sigstore.json"
    assert v["signature_asset"] == "trivy_0.75.0_Linux-64bit.tar.gz.sigstore.json"
    assert v["command"] == "cosign" and v["setting"] == "trivy_verify_signature"
    assert v["cosign_args"] == [
        "--certificate-identity", "https://github.com/aquasecurity/trivy/.github/workflows/"
                                  "reusable-release.yaml@refs/tags/v0.75.0",
        "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com"]


def test_sigstore_key_form_for_offline_bundles():
    v = verification_plan({"kind": "sigstore", "key": "/etc/k.pub", "ignore_tlog": True,
                           "cosign": "/usr/local/bin/cosign"}, TRIVY_URL)
    assert v["cosign_args"] == ["--key", "/etc/k.pub", "--insecure-ignore-tlog=true"]
    assert v["command"] == "/usr/local/bin/cosign"
    regexp = verification_plan({"kind": "sigstore", "certificate_identity_regexp": "^https://x/",
                                "certificate_oidc_issuer": "https://i"}, TRIVY_URL)
    assert regexp["cosign_args"][:2] == ["--certificate-identity-regexp", "^https://x/"]


@pytest.mark.parametrize(("verification", "message"), [
    ({"kind": "minisign"}, "kind 'minisign' is not one of sigstore, gpg"),
    ({"kind": "sigstore"}, "needs a public key, or exactly one of certificate_identity"),
    ({"kind": "sigstore", "certificate_identity": "a", "certificate_identity_regexp": "b",
      "certificate_oidc_issuer": "i"}, "exactly one of"),
    ({"kind": "sigstore", "certificate_identity": "a"}, "certificate_oidc_issuer"),
    ({"kind": "sigstore", "key": "/k.pub", "certificate_identity": "a"}, "not both"),
    ({"kind": "gpg", "keyring": "/k.asc", "fingerprint": "1234"}, "40 hex digit fingerprint"),
    ({"kind": "gpg", "fingerprint": "A" * 40}, "needs the keyring file"),
    ({"kind": "gpg", "fingerprnt": "A" * 40}, "unknown verification keys fingerprnt"),
    ("sigstore", "must be a dict"),
])
def test_bad_verification_refused_with_the_setting_named(verification, message):
    if isinstance(verification, dict):
        verification = dict(verification, setting="my_switch")
    with pytest.raises(ArtifactError, match=message) as err:
        plan("falco", "0.44.1", "x86_64", sha256="f" * 64, verification=verification)
    if isinstance(verification, dict):
        assert str(err.value).startswith("my_switch: ")


def test_gpg_fingerprint_normalized_and_falco_root_planned():
    p = plan("falco", "0.44.1", "aarch64", sha256="f" * 64, verification={
        "kind": "gpg", "keyring": "/etc/apt/keyrings/falcosecurity.asc",
        "fingerprint": "478b 2fbb c75f 4237 b731 da43 6510 6822 b35b 1b1f"})
    assert p["root"] == "falco-0.44.1-aarch64"
    v = p["verification"]
    assert v["fingerprint"] == "478B2FBBC75F4237B731DA4365106822B35B1B1F"
    assert v["signature_url"] == p["url"] + ".asc" and v["command"] == "gpg"


@pytest.mark.parametrize(("setting", "url"), [
    ("mirror_url", "file:///etc"), ("mirror_url", "ftp://mirror.internal/gh"),
    ("mirror_url", "http://"), ("base_url", "/srv/releases")])
def test_mirror_and_base_urls_must_be_http_with_a_host(setting, url):
    with pytest.raises(ArtifactError, match=f"release_artifact_{setting} .* must be an http"):
        plan("cosign", "3.1.1", "x86_64", **{setting: url})
