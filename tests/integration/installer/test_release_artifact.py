"""The shared installer against a real host: the happy path and the denylists. Its bad inputs
and faults (checksum mismatch, unreachable or stalling mirror, full disk) are rows of
tests/reliability/.

Runs ansible-playbook on the controller (connection local) with the install root and bin
directory under pytest's tmp_path; artifacts come from the real lab mirror, or from a
throw-away HTTP server laid out the same way when a test needs a corrupted artifact.
"""
from __future__ import annotations

import subprocess

import pytest
from conftest import lab_mirror_trust
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
    first = install(tmp_path, **lab_mirror_trust(), release_artifact_tool="cosign",
                    release_artifact_version=cosign_version,
                    release_artifact_mirror_url=lab_mirror,
                    release_artifact_version_pattern=COSIGN_DEVEL)
    assert first.returncode == 0, first.stdout + first.stderr
    binary = tmp_path / f"opt/cosign/{cosign_version}/cosign"
    assert binary.stat().st_mode & 0o777 == 0o755
    assert (tmp_path / "bin/cosign").resolve() == binary
    assert not list((tmp_path / "opt").glob(".staging-*"))
    second = install(tmp_path, **lab_mirror_trust(), release_artifact_tool="cosign",
                     release_artifact_version=cosign_version,
                     release_artifact_mirror_url=lab_mirror,
                     release_artifact_version_pattern=COSIGN_DEVEL)
    assert second.returncode == 0, second.stdout
    assert changed_count(second) == 0
    # (what the molecule scenario `default` proved on a node, folded in here: this is the
    # installer's one end-to-end harness; the fleet installs through it on every node)
    runs = subprocess.run([str(tmp_path / "bin/cosign"), "version"], capture_output=True,
                          text=True, check=False)
    assert runs.returncode == 0 and "GitVersion" in runs.stdout, runs.stderr
    cache = tmp_path / "cache"
    assert cache.stat().st_mode & 0o777 == 0o700
    assert [p.name for p in (cache / "cosign" / cosign_version).iterdir()] == ["cosign-linux-amd64"]


@pytest.mark.lab
def test_syft_from_its_release_tarball(tmp_path, lab_mirror):
    res = install(tmp_path, **lab_mirror_trust(), release_artifact_tool="syft",
                  release_artifact_version="1.18.1", release_artifact_mirror_url=lab_mirror)
    assert res.returncode == 0, res.stdout + res.stderr
    binary = tmp_path / "opt/syft/1.18.1/syft"
    assert binary.stat().st_mode & 0o777 == 0o755 and (tmp_path / "bin/syft").resolve() == binary
    version = subprocess.run([str(tmp_path / "bin/syft"), "version"], capture_output=True,
                             text=True, check=False)
    assert version.returncode == 0 and "1.18.1" in version.stdout, version.stderr
    assert not list((tmp_path / "opt").glob(".staging*"))
    assert [p.name for p in (tmp_path / "cache/syft/1.18.1").iterdir()] == [
        "syft_1.18.1_linux_amd64.tar.gz"]


def test_denylisted_version_refused_before_download(tmp_path, recording_mirror):
    srv = recording_mirror(tmp_path)
    res = install(tmp_path, release_artifact_tool="trivy", release_artifact_version="0.69.4",
                  release_artifact_mirror_url=srv.url, **srv.trust)
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "trivy 0.69.4 is refused" in out and "CVE-2026-33634" in out
    assert srv.requests == []
    assert not (tmp_path / "opt").exists()


def test_user_denylist_extends_the_catalog(tmp_path, recording_mirror):
    srv = recording_mirror(tmp_path)
    res = install(tmp_path, release_artifact_tool="syft", release_artifact_version="1.18.1",
                  release_artifact_mirror_url=srv.url, **srv.trust,
                  release_artifact_denylist={"1.18.1": "site policy: known bad SBOMs"})
    assert res.returncode != 0
    assert "site policy: known bad SBOMs" in res.stdout
    assert srv.requests == []
