# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What the trivy role's validation and trivy_scan refuse, and why, on the real Trivy 0.76.0:

- ignore-status with ignore-unfixed: Trivy drops ignore-unfixed with a WARN line only;
- one fs cache directory for a running `trivy server` and the scans: the scans fail on the
  server's cache lock (the role's defaults now give them separate directories);
- `trivy sbom` with a scanner other than vuln or license: Trivy refuses it.
The role's refusals run in one ansible-playbook (validate.yml only, nothing is written)."""
from __future__ import annotations

import json
import socket
import subprocess
import time

import pytest
import trivy_lab  # lab/trivy_lab.py
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.scan import (
    SBOM_SCANNERS,
    SCANNERS,
)
from conftest import run_playbook
from trivy_db import build  # lab/trivy_db/
from trivy_lab_target import findings, make_rootfs

CASES = {
    "pair": {"trivy_ignore_unfixed": True, "trivy_ignore_status": ["will_not_fix"]},
    "shared_cache": {"trivy_server_enabled": True, "trivy_cache_dir": "/var/cache/trivy",
                     "trivy_server_cache_dir": "/var/cache/trivy/"},
    "defaults_with_server": {"trivy_server_enabled": True},
    "shared_cache_memory": {"trivy_server_enabled": True, "trivy_cache_backend": "memory",
                            "trivy_server_cache_dir": "/var/cache/trivy"},
}


def case_block(name, values):
    """One block: the role's validate.yml with these variables; PASSED or the refusal."""
    def write(content):
        return {"name": "Record", "ansible.builtin.copy": {
            "content": content, "dest": f"{{{{ out_dir }}}}/{name}", "mode": "0600"}}
    return {"name": f"Validate {name}", "block": [
        {"name": "The role's checks", "ansible.builtin.include_role": {
            "name": "bulwark.container_security.trivy", "tasks_from": "validate.yml"},
         "vars": values},
        write("PASSED")],
        "rescue": [write("{{ ansible_failed_result.msg }}")]}


@pytest.fixture(scope="module")
def lab_target(tmp_path_factory):
    base = tmp_path_factory.mktemp("refusals")
    build.build(base / "cache")
    return {"base": base, "rootfs": make_rootfs(base / "rootfs"), "cache": base / "cache",
            "trivy": str(trivy_lab.trivy_binary())}


def test_role_validation_refuses_the_pair_and_a_shared_server_cache(tmp_path):
    (tmp_path / "play.yml").write_text(yaml.safe_dump([{
        "name": "The trivy role's validation, case by case", "hosts": "localhost",
        "gather_facts": False,
        "tasks": [case_block(name, values) for name, values in CASES.items()]}]))
    proc = run_playbook([str(tmp_path / "play.yml"), "-e", f"out_dir={tmp_path}"], timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    got = {name: (tmp_path / name).read_text() for name in CASES}
    assert "ignore-unfixed true with ignore-status [will_not_fix]: Trivy drops" in got["pair"]
    assert got["shared_cache"].startswith(
        "trivy_server_cache_dir and trivy_cache_dir are both /var/cache/trivy with "
        "trivy_cache_backend fs")
    assert got["defaults_with_server"] == "PASSED"
    assert got["shared_cache_memory"] == "PASSED"


def scan(target, *flags, cache=None):
    return subprocess.run(
        [target["trivy"], "rootfs", "--cache-dir", str(cache or target["cache"]),
         "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--format", "json",
         "--scanners", "vuln", "--exit-code", "0", *flags, str(target["rootfs"])],
        capture_output=True, text=True, check=False, timeout=120, cwd=target["base"])


def test_real_trivy_drops_ignore_unfixed_when_ignore_status_is_set(lab_target):
    config = lab_target["base"] / "pair.yaml"
    config.write_text(yaml.safe_dump({"vulnerability": {"ignore-unfixed": True,
                                                        "ignore-status": ["will_not_fix"]}}))
    res = scan(lab_target, "--config", str(config))
    assert res.returncode == 0, res.stderr
    assert "'--ignore-unfixed' is ignored because '--ignore-status' is specified" in res.stderr
    # CVE-2099-0003 is unfixed (affected): ignore-unfixed would have hidden it
    assert {f[0] for f in findings(json.loads(res.stdout))} == {
        "CVE-2099-0001", "CVE-2099-0003", "CVE-2099-0101"}


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_real_trivy_scan_fails_on_a_running_servers_fs_cache(lab_target):
    port = free_port()
    server = subprocess.Popen(  # pylint: disable=consider-using-with
        [lab_target["trivy"], "server", "--cache-dir", str(lab_target["cache"]),
         "--skip-db-update", "--listen", f"127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        shared = scan(lab_target, "--cache-backend", "fs")
        assert shared.returncode != 0
        assert "cache may be in use by another process" in shared.stderr
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_real_trivy_sbom_refuses_the_scanners_trivy_scan_refuses(lab_target):
    sbom = lab_target["base"] / "rootfs.cdx.json"
    made = scan(lab_target, "--format", "cyclonedx", "--output", str(sbom))
    assert made.returncode == 0, made.stderr
    base = [lab_target["trivy"], "sbom", "--cache-dir", str(lab_target["cache"]),
            "--skip-db-update", "--skip-java-db-update", "--format", "json", "--quiet"]
    for scanner in SCANNERS:   # what trivy_scan's choices offer, one at a time
        res = subprocess.run([*base, "--scanners", scanner, str(sbom)], capture_output=True,
                             text=True, check=False, timeout=120)
        assert (res.returncode == 0) == (scanner in SBOM_SCANNERS), (scanner, res.stderr)
        if scanner not in SBOM_SCANNERS:
            assert 'must be one of ["vuln" "license"]' in res.stderr
