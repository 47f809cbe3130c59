"""The shared installer against a real host: the happy path and every failure it must name.

Runs ansible-playbook on the controller (connection local) with the install root and bin
directory under pytest's tmp_path; artifacts come from the real lab mirror, or from a
throw-away HTTP server laid out the same way when a test needs a corrupted artifact.
"""
from __future__ import annotations

import hashlib
import shutil

import pytest
from installer_helpers import changed_count, install, serve_directories

import lab

_recording_mirror = pytest.fixture(name="recording_mirror")(serve_directories)
COSIGN_DEVEL = r"GitVersion:\s+devel"  # Debian's cosign build does not stamp its version


@pytest.fixture(name="cosign_version")
def _cosign_version(lab_tools) -> str:
    """The cosign release the lab mirror serves: what Debian sid had when the lab fetched it."""
    return lab.tool_version("cosign")


@pytest.mark.lab
def test_install_from_mirror_then_nothing_to_do(tmp_path, lab_mirror, cosign_version):
    first = install(tmp_path, release_artifact_tool="cosign",
                    release_artifact_version=cosign_version,
                    release_artifact_mirror_url=lab_mirror,
                    release_artifact_version_pattern=COSIGN_DEVEL)
    assert first.returncode == 0, first.stdout + first.stderr
    binary = tmp_path / f"opt/cosign/{cosign_version}/cosign"
    assert binary.stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "bin/cosign").resolve() == binary
    assert not list((tmp_path / "opt").glob(".staging-*"))
    second = install(tmp_path, release_artifact_tool="cosign",
                     release_artifact_version=cosign_version,
                     release_artifact_mirror_url=lab_mirror,
                     release_artifact_version_pattern=COSIGN_DEVEL)
    assert second.returncode == 0, second.stdout
    assert changed_count(second) == 0


@pytest.mark.lab
def test_checksum_mismatch_fails_and_keeps_previous_binary(tmp_path, lab_mirror, cosign_version,
                                                           recording_mirror, lab_tools):
    ok = install(tmp_path, release_artifact_tool="cosign", release_artifact_version=cosign_version,
                 release_artifact_mirror_url=lab_mirror,
                 release_artifact_version_pattern=COSIGN_DEVEL)
    assert ok.returncode == 0, ok.stdout
    live = tmp_path / f"opt/cosign/{cosign_version}/cosign"
    before = hashlib.sha256(live.read_bytes()).hexdigest()

    # A mirror whose 2.5.0 binary was tampered with after its checksums file was written.
    release = tmp_path / "bad-mirror/sigstore/cosign/releases/download/v2.5.0"
    release.mkdir(parents=True)
    asset = release / "cosign-linux-amd64"
    shutil.copy(lab_tools["cosign-2.5.0"], asset)
    digest = hashlib.sha256(asset.read_bytes()).hexdigest()
    (release / "cosign_checksums.txt").write_text(f"{digest}  cosign-linux-amd64\n")
    with asset.open("ab") as f:
        f.write(b"tampered")
    srv = recording_mirror(tmp_path / "bad-mirror")

    bad = install(tmp_path, release_artifact_tool="cosign", release_artifact_version="2.5.0",
                  release_artifact_mirror_url=srv.url,
                  release_artifact_version_pattern=COSIGN_DEVEL)
    out = bad.stdout + bad.stderr
    assert bad.returncode != 0
    assert "did not match" in out and digest in out
    assert f"{srv.url}/sigstore/cosign/releases/download/v2.5.0/cosign-linux-amd64" in out
    assert "previously installed version stays active" in out
    assert (tmp_path / "bin/cosign").resolve() == live
    assert hashlib.sha256(live.read_bytes()).hexdigest() == before
    assert not (tmp_path / "opt/cosign/2.5.0/cosign").exists()
    assert not list((tmp_path / "opt").glob(".staging-*"))


def test_unreachable_mirror_names_the_url(tmp_path):
    url = "http://127.0.0.1:9"  # discard port: nothing listens on loopback there
    res = install(tmp_path, release_artifact_tool="syft", release_artifact_version="1.18.1",
                  release_artifact_mirror_url=url, release_artifact_timeout=5)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert f"{url}/anchore/syft/releases/download/v1.18.1/syft_1.18.1_linux_amd64.tar.gz" in out
    assert not (tmp_path / "bin/syft").exists()


def test_denylisted_version_refused_before_download(tmp_path, recording_mirror):
    srv = recording_mirror(tmp_path)
    res = install(tmp_path, release_artifact_tool="trivy", release_artifact_version="0.69.4",
                  release_artifact_mirror_url=srv.url)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "trivy 0.69.4 is refused" in out and "CVE-2026-33634" in out
    assert srv.requests == []
    assert not (tmp_path / "opt").exists()


def test_user_denylist_extends_the_catalog(tmp_path, recording_mirror):
    srv = recording_mirror(tmp_path)
    res = install(tmp_path, release_artifact_tool="syft", release_artifact_version="1.18.1",
                  release_artifact_mirror_url=srv.url,
                  release_artifact_denylist={"1.18.1": "site policy: known bad SBOMs"})
    assert res.returncode != 0
    assert "site policy: known bad SBOMs" in res.stdout
    assert srv.requests == []


def test_unknown_architecture_is_named(tmp_path, recording_mirror):
    srv = recording_mirror(tmp_path)
    res = install(tmp_path, release_artifact_tool="cosign", release_artifact_version="3.1.1",
                  release_artifact_mirror_url=srv.url, release_artifact_architecture="s390x")
    assert res.returncode != 0
    assert "architecture 's390x' is not supported for cosign" in res.stdout
    assert "aarch64, x86_64" in res.stdout
    assert srv.requests == []


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"release_artifact_denylist": "0.69.4"}, "release_artifact_denylist"),
        ({"release_artifact_timeout": "soon"}, "release_artifact_timeout"),
        ({"release_artifact_validate_certs": "maybe"}, "release_artifact_validate_certs"),
        ({"release_artifact_tool": "kubectl"}, "release_artifact_tool"),
    ],
)
def test_bad_variable_types_rejected_by_argument_specs(tmp_path, variables, message):
    base = {"release_artifact_tool": "syft", "release_artifact_version": "1.18.1",
            "release_artifact_mirror_url": "http://127.0.0.1:9"}
    base.update(variables)
    res = install(tmp_path, **base)
    assert res.returncode != 0
    assert "Validating arguments against arg spec" in res.stdout
    assert message in res.stdout
    assert not (tmp_path / "opt").exists()
