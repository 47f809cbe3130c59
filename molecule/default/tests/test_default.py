"""The shared installer put real, working binaries on the node."""
import os

# the cosign release the lab mirror serves (what Debian sid had; lab/lab.py records it)
COSIGN = os.environ.get("BULWARK_LAB_COSIGN_VERSION", "3.1.1")


def test_cosign_installed_versioned_and_linked(host):
    target = host.file(f"/opt/bulwark/tools/cosign/{COSIGN}/cosign")
    assert target.is_file
    assert target.user == "root"
    assert target.mode == 0o755
    link = host.file("/usr/local/bin/cosign")
    assert link.is_symlink
    assert link.linked_to == f"/opt/bulwark/tools/cosign/{COSIGN}/cosign"


def test_cosign_really_runs(host):
    out = host.run("cosign version")
    assert out.rc == 0, out.stderr
    assert "GitVersion" in out.stdout


def test_syft_installed_from_tarball(host):
    assert host.file("/opt/bulwark/tools/syft/1.18.1/syft").mode == 0o755
    out = host.run("/usr/local/bin/syft version")
    assert out.rc == 0, out.stderr
    assert "1.18.1" in out.stdout


def test_no_staging_left_behind(host):
    leftovers = host.run("ls -A /opt/bulwark/tools | grep -c '^.staging' || true")
    assert leftovers.stdout.strip() == "0"


def test_downloads_kept_once_in_the_root_only_cache(host):
    cache = host.file("/var/cache/bulwark/release-artifacts")
    assert cache.is_directory and cache.user == "root" and cache.mode == 0o700
    assert host.file(f"/var/cache/bulwark/release-artifacts/cosign/{COSIGN}").listdir() == [
        "cosign-linux-amd64"]
    assert host.file("/var/cache/bulwark/release-artifacts/syft/1.18.1").listdir() == [
        "syft_1.18.1_linux_amd64.tar.gz"]
