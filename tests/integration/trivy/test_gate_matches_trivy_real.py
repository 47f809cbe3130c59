# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The gate decides as Trivy itself does: on the lab's Debian 12 rootfs (lab DB), for every
combination of a severity threshold, ignore-unfixed and an ignore file, the findings the gate
blocks on the whole report are exactly those the real Trivy 0.76.0 still reports with
`--severity <threshold and up> [--ignore-unfixed] --ignorefile <file>`, and the gate passes
exactly when `--exit-code 1` exits 0."""
from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess

import pytest
import trivy_lab  # lab/trivy_lab.py
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.gate import gate
from trivy_db import build  # lab/trivy_db/
from trivy_lab_target import EXPECTED, findings, make_rootfs

THRESHOLDS = {"LOW": "LOW,MEDIUM,HIGH,CRITICAL", "HIGH": "HIGH,CRITICAL", "CRITICAL": "CRITICAL"}
IGNORED_IDS = {"none": (), "libssl": ("CVE-2099-0001",),
               "jar+zlib": ("CVE-2099-0101", "CVE-2099-0003")}


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    base = tmp_path_factory.mktemp("gate-matrix")
    build.build(base / "cache")
    return {"base": base, "cache": base / "cache", "rootfs": make_rootfs(base / "rootfs"),
            "trivy": str(trivy_lab.trivy_binary())}


def trivy(target, *flags):
    return subprocess.run(
        [target["trivy"], "rootfs", "--cache-dir", str(target["cache"]), "--skip-db-update",
         "--skip-java-db-update", "--offline-scan", "--scanners", "vuln", "--format", "json",
         "--quiet", *flags, str(target["rootfs"])],
        capture_output=True, text=True, check=False, timeout=120, cwd=target["base"])


def test_gate_decisions_equal_trivys_own(target):
    today = dt.datetime.now(dt.timezone.utc).date()
    until = (today + dt.timedelta(days=30)).isoformat()
    whole = trivy(target, "--severity", "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL", "--exit-code", "0",
                  "--ignorefile=")
    assert whole.returncode == 0, whole.stderr
    report = json.loads(whole.stdout)
    assert findings(report) == EXPECTED
    compared = []
    for (threshold, listed), unfixed, (name, ids) in itertools.product(
            THRESHOLDS.items(), (False, True), IGNORED_IDS.items()):
        entries = [{"id": i, "statement": "lab", "expired_at": until} for i in ids]
        ignorefile = target["base"] / f"{name}.trivyignore.yaml"
        # Trivy reads expired_at as a YAML date (a quoted string fails to parse)
        ignorefile.write_text(yaml.safe_dump({"vulnerabilities": [
            dict(e, expired_at=today + dt.timedelta(days=30)) for e in entries]}))
        res = trivy(target, "--severity", listed, "--exit-code", "1", "--ignorefile",
                    str(ignorefile), *(["--ignore-unfixed"] if unfixed else []))
        assert res.returncode in (0, 1) and res.stdout.startswith("{"), res.stderr
        by_trivy = {f[0] for f in findings(json.loads(res.stdout))}
        result = gate(report, severity=threshold, ignore_unfixed=unfixed,
                      ignores=entries or None, today=today.isoformat())
        by_gate = {f["id"] for f in result["blocking"]}
        compared.append(((threshold, unfixed, name), by_gate, by_trivy,
                         result["passed"], res.returncode == 0))
    mismatches = [c for c in compared if c[1] != c[2] or c[3] != c[4]]
    assert mismatches == []
    # The matrix can tell decisions apart: it holds passes and blocks, and several outcomes.
    assert {c[3] for c in compared} == {True, False}
    assert len({frozenset(c[1]) for c in compared}) >= 5
