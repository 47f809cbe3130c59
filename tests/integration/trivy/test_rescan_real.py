# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The trivy role's rescan script (roles/trivy/files/trivy-rescan.py) with the real Trivy 0.76.0,
the lab's DB and Java DB served by the lab registry as Trivy's OCI artifacts, and an image
holding a jar (the lab's Debian 12 rootfs as one layer in the lab registry).

The image source is the one change: the node's runtime is a stand-in `podman` at the process
boundary that lists the registry image, and the script's `--image-src podman` is pointed at the
registry (`remote`) by a wrapper that then runs the real Trivy with every other argument as
the script gave it. trivy.yaml is built by the code the role's filter runs, with the role's
severity, ignore-unfixed and an ignorefile: the reports must hold every finding anyway."""
from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import trivy_lab  # lab/trivy_lab.py
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.config import (
    build_config,
)
from trivy_db import build  # lab/trivy_db/
from trivy_lab_target import EXPECTED, EXPECTED_COUNTS, findings, layer_tar

SCRIPT = Path(__file__).resolve().parents[3] / "roles" / "trivy" / "files" / "trivy-rescan.py"
WRAPPER = """#!{python}
import os, sys
args = sys.argv[1:]
if "--image-src" in args:  # the image lives in the lab registry, not in podman's storage
    args[args.index("--image-src") + 1] = "remote"
os.execv({trivy!r}, [{trivy!r}, *args])
"""
PODMAN = """#!/bin/sh
echo '[{{"Id": "a", "Names": ["{image}"]}}]'
"""


@pytest.fixture(scope="module")
def node(lab_registry, lab_tools, tmp_path_factory):
    base = tmp_path_factory.mktemp("rescan-real")
    trivy_lab.push_dbs(lab_registry, out=base / "artifacts", oras=Path(lab_tools["oras"]))
    image = f"{lab_registry}/lab/jar-app:1"
    (base / "layer.tar").write_bytes(layer_tar())
    subprocess.run([lab_tools["crane"], "append", "-f", str(base / "layer.tar"), "-t", image,
                    "--insecure"], check=True, capture_output=True)
    bin_dir = base / "bin"
    bin_dir.mkdir()
    trivy = str(trivy_lab.trivy_binary())
    for name, body in (("trivy", WRAPPER.format(python=sys.executable, trivy=trivy)),
                       ("podman", PODMAN.format(image=image))):
        (bin_dir / name).write_text(body)
        (bin_dir / name).chmod(0o755)
    until = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=30)).isoformat()
    (base / "trivyignore.yaml").write_text(yaml.safe_dump({"vulnerabilities": [
        {"id": "CVE-2099-0001", "statement": "lab", "expired_at": until}]}))
    config = build_config({
        "severity": ["HIGH", "CRITICAL"], "exit_code": 1, "ignore_unfixed": True,
        "ignorefile": str(base / "trivyignore.yaml"), "scanners": ["vuln"],
        "db_repositories": [f"{lab_registry}/trivy-db:2"],
        "java_db_repositories": [f"{lab_registry}/trivy-java-db:1"],
        "skip_version_check": True, "disable_telemetry": True}, {"insecure": True})
    (base / "trivy.yaml").write_text(yaml.safe_dump(config))
    return {"base": base, "bin": bin_dir, "trivy": trivy, "image": image}


def rescan(node, name, **extra):
    run = node["base"] / name
    env = dict(os.environ, PATH=f"{node['bin']}:/usr/bin:/bin",
               TRIVY_RESCAN_TRIVY=str(node["bin"] / "trivy"),
               TRIVY_RESCAN_CONFIG=str(node["base"] / "trivy.yaml"),
               TRIVY_RESCAN_REPORTS=str(run / "reports"),
               TRIVY_RESCAN_SHARED_CACHE=str(run / "shared"),
               TRIVY_RESCAN_CACHE=str(run / "rescan"), TRIVY_RESCAN_RUNTIMES="podman",
               TRIVY_RESCAN_HISTORY="2", **extra)
    proc = subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                          text=True, check=False, timeout=300, cwd=run.parent)
    summary = json.loads((run / "reports" / "latest" / "summary.json").read_text())
    assert proc.returncode == 0, (proc.stderr, summary)
    [entry] = summary["images"]
    assert entry["image"] == node["image"] and "error" not in entry
    report = json.loads((run / "reports" / "latest" / entry["report"]).read_text())
    return summary, entry, report, run


def test_standalone_rescan_of_an_image_with_a_jar_reports_every_finding(node):
    summary, entry, report, run = rescan(node, "standalone")
    assert findings(report) == EXPECTED
    assert {k: v for k, v in entry["counts"].items() if v} == EXPECTED_COUNTS
    assert summary["db_update"]["exit_code"] == summary["java_db_update"]["exit_code"] == 0
    assert (run / "shared" / "java-db" / "trivy-java.db").is_file()


def free_port():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_rescan_through_a_server_brings_the_clients_own_java_db(node):
    server_cache = node["base"] / "server-cache"
    build.build(server_cache)
    port = free_port()
    server = subprocess.Popen(  # pylint: disable=consider-using-with
        [node["trivy"], "server", "--cache-dir", str(server_cache), "--skip-db-update",
         "--listen", f"127.0.0.1:{port}"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with socket.socket() as sock:
                if sock.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.2)
        summary, entry, report, run = rescan(node, "server",
                                             TRIVY_RESCAN_SERVER=f"http://127.0.0.1:{port}")
    finally:
        server.terminate()
        server.wait(timeout=30)
    assert findings(report) == EXPECTED
    assert {k: v for k, v in entry["counts"].items() if v} == EXPECTED_COUNTS
    assert "db_update" not in summary and summary["java_db_update"]["exit_code"] == 0
    assert not (run / "shared" / "db").exists()   # the server's DB answered
    assert (run / "shared" / "java-db" / "trivy-java.db").is_file()
