# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Faults, counted: each row provokes one fault for real and states what is checked afterwards.

The installer, the falco rules rollout and the seccomp role run on the controller (connection
local, every path under tmp_path), the cosign rows against the real lab registry (or a port
that refuses or resets) with the real cosign: no node is needed, so the table costs only the
playbook runs themselves. Rows marked "moved" replace the integration test that proved the
same fault before (deleted there).
"""
from __future__ import annotations

import hashlib
import json
import os
import signal
import socket
import struct
import subprocess
import sys
import threading
import time
import urllib.request
import uuid
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    flows as cosign_flows,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    module as cosign_module,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    runner as cosign_runner,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    errors as cosign_errors,
)
from conftest import ansible_env, lab_mirror_trust, require_tool, run_playbook

import lab

from .support import ROOT

INTEGRATION = ROOT / "tests" / "integration"
INSTALL = str(INTEGRATION / "installer" / "install.yml")
ROLLOUT = str(ROOT / "tests" / "reliability" / "falco_rollout.yml")
DISTRIBUTE = str(INTEGRATION / "seccomp_role" / "distribute.yml")
DEVEL = r"GitVersion:\s+devel"  # Debian's cosign build does not stamp its version

FAULTS: dict[str, tuple[str, object]] = {}


def fault(row_id: str, checked: str):
    """Register a row: its id, and what is checked afterwards (shown in the test's docstring)."""
    def register(func):
        FAULTS[row_id] = (checked, func)
        return func
    return register


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def play(playbook, work: Path, variables: dict, *args, **kw) -> subprocess.CompletedProcess:
    varfile = work / f"vars-{uuid.uuid4().hex[:6]}.json"
    varfile.write_text(json.dumps(variables))
    return run_playbook([playbook, "-e", f"@{varfile}", *args], timeout=kw.pop("timeout", 600),
                        **kw)


# ---------------------------------------------------------------------------- installer
def _installer_vars(root: Path, **extra) -> dict:
    return {"release_artifact_install_root": str(root / "opt"),
            "release_artifact_bin_dir": str(root / "bin"),
            "release_artifact_cache_dir": str(root / "cache"), **extra}


@pytest.fixture(scope="module")
def installed_cosign(tmp_path_factory, lab_mirror):
    """cosign from the lab mirror installed under a tmpfs (the disk the disk-full row fills; an
    install needs twice the binary: staging, then the versioned copy); yields (root, live
    binary, its sha256)."""
    root = tmp_path_factory.mktemp("installed-cosign")
    (root / "opt").mkdir()
    (root / "bin").mkdir()
    version = lab.tool_version("cosign")
    subprocess.run(["mount", "-t", "tmpfs", "-o", "size=300m", "bulwark-reliab-staging",
                    str(root / "opt")], check=True)
    try:
        res = play(INSTALL, root, _installer_vars(
            root, release_artifact_tool="cosign", release_artifact_version=version,
            release_artifact_mirror_url=lab_mirror, release_artifact_version_pattern=DEVEL,
            **lab_mirror_trust()))
        assert res.returncode == 0, res.stdout[-3000:]
        live = root / f"opt/cosign/{version}/cosign"
        yield root, live, sha256(live)
    finally:
        subprocess.run(["umount", str(root / "opt")], check=False)


def _old_state_intact(root: Path, live: Path, digest: str) -> None:
    assert (root / "bin/cosign").resolve() == live
    assert sha256(live) == digest
    assert not (root / "opt/cosign/2.5.0").exists()
    assert not list((root / "opt").glob(".staging-*"))


@fault("checksum-mismatch", "moved; refused against the pin though the mirror's checksums "
                            "file matches the tampered binary; the old binary is intact and "
                            "still linked, nothing staged")
def _checksum_mismatch(request, tmp_path):
    root, live, digest = request.getfixturevalue("installed_cosign")
    tools = request.getfixturevalue("lab_tools")
    # the pins are taken from the good 2.5.0 binary; then the mirror's copy is tampered with,
    # and its checksums file rewritten to match (whoever replaces the asset replaces that too)
    mirror = tmp_path / "bad-mirror"
    release = mirror / "sigstore/cosign/releases/download/v2.5.0"
    release.mkdir(parents=True)
    asset = release / "cosign-linux-amd64"
    asset.write_bytes(Path(tools["cosign-2.5.0"]).read_bytes())
    good = sha256(asset)
    trust = lab_mirror_trust(pins=lab.mirror_pins(mirror))
    assert trust["release_artifact_pins"]["cosign"]["2.5.0"]["x86_64"] == good
    with asset.open("ab") as f:
        f.write(b"tampered")
    (release / "cosign_checksums.txt").write_text(f"{sha256(asset)}  cosign-linux-amd64\n")
    srv = _serve(mirror)
    res = play(INSTALL, root, _installer_vars(
        root, release_artifact_tool="cosign", release_artifact_version="2.5.0",
        release_artifact_mirror_url=srv, release_artifact_version_pattern=DEVEL, **trust))
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "did not match" in out and good in out
    assert f"{srv}/sigstore/cosign/releases/download/v2.5.0/cosign-linux-amd64" in out
    assert "previously installed version stays active" in out
    _old_state_intact(root, live, digest)


@fault("staging-disk-full", "the old binary is intact and still linked, no staging left")
def _staging_disk_full(request, tmp_path):
    root, live, digest = request.getfixturevalue("installed_cosign")
    mirror = request.getfixturevalue("lab_mirror")
    used = os.statvfs(root / "opt")
    used_bytes = (used.f_blocks - used.f_bfree) * used.f_frsize
    # leave 8 MiB free: the 2.5.0 binary (about 70 MiB) cannot be staged and copied
    subprocess.run(["mount", "-o", f"remount,size={used_bytes + (8 << 20)}",
                    str(root / "opt")], check=True)
    res = play(INSTALL, root, _installer_vars(
        root, release_artifact_tool="cosign", release_artifact_version="2.5.0",
        release_artifact_mirror_url=mirror, release_artifact_version_pattern=DEVEL,
        release_artifact_cache_dir=str(tmp_path / "cache"), **lab_mirror_trust()))
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert "No space left on device" in out or "ENOSPC" in out, out[-3000:]
    _old_state_intact(root, live, digest)


# A plain-HTTP mirror that serves nothing (closed or stalled port): opted in, and a
# placeholder sha256 pin the download never reaches (syft has no catalog pin).
NOTHING_SERVED = {**lab_mirror_trust(pins={}), "release_artifact_sha256": "0" * 64}


@fault("mirror-unreachable", "moved; the failure names the URL, nothing installed")
def _mirror_unreachable(request, tmp_path):
    url = "http://127.0.0.1:9"  # discard port: nothing listens on loopback there
    res = play(INSTALL, tmp_path, _installer_vars(
        tmp_path, release_artifact_tool="syft", release_artifact_version="1.18.1",
        release_artifact_mirror_url=url, release_artifact_timeout=5, **NOTHING_SERVED))
    assert res.returncode != 0
    assert f"{url}/anchore/syft/releases/download/v1.18.1/" in res.stdout + res.stderr
    assert not (tmp_path / "bin/syft").exists()


@fault("mirror-stalls", "the download gives up within the timeout, naming the URL; nothing "
                        "installed")
def _mirror_stalls(request, tmp_path):
    stalled = socket.socket()
    stalled.bind(("127.0.0.1", 0))
    stalled.listen(16)  # accepts (the kernel does), never answers
    url = f"http://127.0.0.1:{stalled.getsockname()[1]}"
    started = time.monotonic()
    try:
        res = play(INSTALL, tmp_path, _installer_vars(
            tmp_path, release_artifact_tool="syft", release_artifact_version="1.18.1",
            release_artifact_mirror_url=url, release_artifact_timeout=3, **NOTHING_SERVED),
            timeout=300)
    finally:
        stalled.close()
    out = res.stdout + res.stderr
    assert res.returncode != 0
    assert f"{url}/anchore/syft/releases/download/v1.18.1/" in out
    assert "timed out" in out.lower(), out[-2000:]
    assert time.monotonic() - started < 120  # bounded: a few 3 s timeouts, not a hang
    assert not (tmp_path / "bin/syft").exists()


# ---------------------------------------------------------------------------- cosign signing
def _serve(directory: Path) -> str:
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    handler.log_message = lambda *a: None
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    return f"http://127.0.0.1:{httpd.server_address[1]}"


def _resetting_port() -> socket.socket:
    """A port that accepts and resets every connection (SO_LINGER 0), like a broken proxy."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)

    def loop():
        while True:
            try:
                conn = server.accept()[0]
            except OSError:
                return
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            conn.close()
    threading.Thread(target=loop, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def signing(tmp_path_factory, lab_tools, lab_image_factory, lab_registry):
    """A real key pair, a fresh image in the lab registry, and the cosign runner the modules use."""
    d = tmp_path_factory.mktemp("faults-cosign")
    password = f"pw-{uuid.uuid4().hex}"
    subprocess.run([lab_tools["cosign"], "generate-key-pair"], cwd=d, check=True,
                   capture_output=True, env=dict(os.environ, COSIGN_PASSWORD=password))
    ref = lab_image_factory(f"bulwark-reliab/faults-{uuid.uuid4().hex[:8]}:v1", uuid.uuid4().hex)
    runner = cosign_runner.Cosign(lab_tools["cosign"], insecure_registry=True, offline=True,
                                  crane=lab_tools["crane"],
                                  registry_get=cosign_module.registry_getter())
    return {"key": str(d / "cosign.key"), "password": password, "ref": ref, "runner": runner,
            "registry": lab_registry}


def _tags(registry: str, repo: str) -> list[str]:
    with urllib.request.urlopen(f"http://{registry}/v2/{repo}/tags/list") as r:
        return sorted(json.load(r)["tags"] or [])


def _sign_fails_unreachable(signing, host: str, detail: str):
    repo, digest = signing["ref"].split("@")
    repo_path = repo.split("/", 1)[1]
    before = _tags(signing["registry"], repo_path)
    tmp_before = set(os.listdir("/tmp"))
    for target in (f"{host}/{repo_path}:v1", f"{host}/{repo_path}@{digest}"):
        with pytest.raises(cosign_errors.CosignError) as err:
            cosign_flows.sign_image(signing["runner"], target, signing["key"],
                                    password=signing["password"])
        assert err.value.reason == "registry_unreachable"
        assert "registry could not be reached" in err.value.message
        assert detail in err.value.message, err.value.message
    # no partial signature: the real repository has the same tags, no .sig appeared
    assert _tags(signing["registry"], repo_path) == before
    leaked = {n for n in set(os.listdir("/tmp")) - tmp_before if n.startswith("bulwark-cosign")}
    assert not leaked


@fault("registry-down-during-sign", "moved; registry_unreachable, no signature tag in the "
                                    "registry, no temporary files left")
def _registry_down(request, tmp_path):
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    host = f"127.0.0.1:{closed.getsockname()[1]}"
    closed.close()
    _sign_fails_unreachable(request.getfixturevalue("signing"), host, "connection refused")


@fault("registry-resets-connections", "registry_unreachable, no signature tag in the registry, "
                                      "no temporary files left")
def _registry_resets(request, tmp_path):
    server = _resetting_port()
    try:
        _sign_fails_unreachable(request.getfixturevalue("signing"),
                                f"127.0.0.1:{server.getsockname()[1]}", "connection reset")
    finally:
        server.close()


# ---------------------------------------------------------------------------- falco, seccomp
def _falco_vars(root: Path, fixtures: Path, **extra) -> dict:
    return {"falco_install_method": "none", "falco_service_manage": False,
            "falco_config_dir": str(root / "etc/falco/config.d"),
            "falco_rules_dir": str(root / "etc/falco/rules.d"),
            "falco_rules_staging_dir": str(root / "staging"),
            "falco_rules_validate_command": [sys.executable,
                                             str(ROOT / "bin/falco_rules_lint.py")],
            "falco_rules_validate_file_option": "",
            "falco_rules_validate_base_files": [str(fixtures / "falco/falco_rules.yaml")], **extra}


def _snapshot(directory: Path) -> dict:
    return {p.name: sha256(p) for p in sorted(directory.iterdir())}


@fault("broken-falco-rules", "moved; live rules byte for byte as before, no handler ran (no "
                             "reload), no staging left")
def _broken_falco_rules(request, tmp_path):
    fixtures = request.getfixturevalue("shared_fixtures")
    assert play(ROLLOUT, tmp_path, _falco_vars(tmp_path, fixtures)).returncode == 0
    rules = tmp_path / "etc/falco/rules.d"
    before = _snapshot(rules)
    # the seed's rule as written: `evt.dir </> "SA"` is not Falco's language
    seed_rule = (fixtures / "falco/broken/01_seed_write_protected_dir.yaml").read_text()
    broken = play(ROLLOUT, tmp_path, _falco_vars(
        tmp_path, fixtures, falco_rules_extra=[{"name": "seed", "content": seed_rule}]))
    out = broken.stdout + broken.stderr
    assert broken.returncode != 0
    assert "Falco rules were NOT deployed" in out
    assert "rule 'Write to Protected Directory'" in out and "syntax error at '/> \"SA\"" in out
    assert "RUNNING HANDLER" not in out
    assert _snapshot(rules) == before
    assert not (tmp_path / "staging").exists()


@fault("sigkill-mid-run", "after SIGKILL of the play mid-rollout (rules staged, not live) the "
                          "next run converges: rules live, staging gone")
def _sigkill_mid_run(request, tmp_path):
    fixtures = request.getfixturevalue("shared_fixtures")
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps(_falco_vars(tmp_path, fixtures)))
    exe = Path(sys.executable).parent / "ansible-playbook"
    proc = subprocess.Popen([str(exe), ROLLOUT, "-e", f"@{varfile}"], env=ansible_env(),
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            cwd=ROOT, start_new_session=True)
    seen = []
    for line in proc.stdout:  # kill once the rules are being staged: half the work done
        seen.append(line)
        if "TASK [" in line and "Validate the staged rules" in line:
            break
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL, "".join(seen)[-2000:]
    assert not (tmp_path / "etc/falco/rules.d/bulwark_10_library.yaml").exists(), \
        "killed too late: the rules were already live"
    again = play(ROLLOUT, tmp_path, _falco_vars(tmp_path, fixtures))
    assert again.returncode == 0, again.stdout[-3000:]
    assert (tmp_path / "etc/falco/rules.d/bulwark_10_library.yaml").is_file()
    assert not (tmp_path / "staging").exists()


@fault("invalid-seccomp-profile", "moved; the syscall is named and nothing was copied (the "
                                  "profiles directory does not exist)")
def _invalid_seccomp(request, tmp_path):
    require_tool("scmp_sys_resolver", "Debian package seccomp")
    res = play(DISTRIBUTE, tmp_path, {
        "seccomp_profiles_dir": str(tmp_path / "seccomp"), "seccomp_profiles_owner": "root",
        "seccomp_profiles_group": "root",
        "seccomp_profiles_extra": [{"name": "typo", "content": {
            "defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
                {"names": ["read", "write", "exit_group", "clock_gettiem"],
                 "action": "SCMP_ACT_ALLOW"}]}}]})
    assert res.returncode != 0
    assert "syscall 'clock_gettiem' is unknown to libseccomp" in res.stdout
    assert not (tmp_path / "seccomp").exists()


# ---------------------------------------------------------------------------- policy.json
# The cosign role's enforce.yml on the controller, every path under tmp_path, started at its
# trust-store listing (the apt install of skopeo and the sigstore probe before it are the
# cosign_role integration test's; here they would touch the controller's packages).
ENFORCE_PLAY = [{
    "name": "The cosign role's enforcement on localhost", "hosts": "localhost",
    "connection": "local", "gather_facts": True,
    "vars": {"ansible_python_interpreter": "{{ ansible_playbook_python }}"},
    "tasks": [{"ansible.builtin.import_role": {
        "name": "bulwark.container_security.cosign", "tasks_from": "enforce"}}]}]
ENFORCE_START = "bulwark.container_security.cosign : List the keys in the trust store"


@fault("policy-json-rejected", "a policy.json whose key file is missing on the node (containers/"
                               "image would refuse every image it covers) is not written: the "
                               "previous file byte for byte, the key file named")
def _policy_json_rejected(request, tmp_path):
    playbook = tmp_path / "enforce.yml"
    playbook.write_text(json.dumps(ENFORCE_PLAY))
    policy = tmp_path / "containers/policy.json"
    policy.parent.mkdir()
    paths = {"cosign_policy_path": str(policy),
             "cosign_registries_d_dir": str(tmp_path / "containers/registries.d"),
             "cosign_trusted_keys_dir": str(tmp_path / "trusted-keys")}
    (tmp_path / "trusted-keys").mkdir()
    first = play(str(playbook), tmp_path, paths, "--start-at-task", ENFORCE_START)
    assert first.returncode == 0, first.stdout[-3000:]
    assert "Install the container tools" not in first.stdout  # no apt on the controller
    before = sha256(policy)
    assert json.loads(policy.read_text())["default"] == [{"type": "insecureAcceptAnything"}]
    # the inventory still names the key, its file is gone from the node's trust store
    broken = play(str(playbook), tmp_path, dict(
        paths, cosign_trusted_keys=[{"name": "reliab-gone"}],
        cosign_policy_requirements=[{"name": "reliab", "scope": "127.0.0.1:15000/reliab",
                                     "keys": ["reliab-gone"]}]), "--start-at-task", ENFORCE_START)
    out = broken.stdout + broken.stderr
    assert broken.returncode != 0, out[-3000:]
    missing = tmp_path / "trusted-keys/reliab-gone.pub"
    assert f"policy.json names missing key files: {missing}" in out, out[-3000:]
    assert sha256(policy) == before
    # the check runs before the write: no backup copy of the kept file either
    assert sorted(x.name for x in policy.parent.iterdir()) == ["policy.json", "registries.d"]


@pytest.mark.parametrize("row_id", list(FAULTS))
def test_faults_row(request, tmp_path, row_id):
    checked, func = FAULTS[row_id]
    request.node.user_properties.append(("checked afterwards", checked))
    func(request, tmp_path)
