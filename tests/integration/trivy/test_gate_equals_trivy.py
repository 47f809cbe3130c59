# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The gate decides as the real Trivy 0.76.0 does, on the same real report.

Trivy scans a small Debian 12 rootfs (lab/trivy_lab.py write_debian12_rootfs) with the lab's DB:
a CRITICAL fixed, a HIGH affected, a LOW will_not_fix and a HIGH fixed jar finding. For every
setting of the matrix (minimum severity x ignore-unfixed x ignore file), Trivy itself runs with
`--severity`, `--ignore-unfixed`, `--ignorefile` and `--exit-code 1`, and the gate gates the raw
report of one unfiltered run with the same settings. The gate must block exactly the findings
Trivy still reports, and pass exactly when Trivy exits 0.
"""
from __future__ import annotations

import datetime as dt
import itertools
import json
import subprocess

import pytest
import trivy_lab  # lab/trivy_lab.py
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    gate as trivy_gate,
)
from trivy_db import build  # lab/trivy_db/

SEVERITIES = ["UNKNOWN", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
TODAY = dt.datetime.now(dt.timezone.utc).date()
IGNORE_FILES = {
    "none": None,
    "fixed-critical": {"vulnerabilities": [
        {"id": "CVE-2099-0001", "statement": "lab: patched by the next base image",
         "expired_at": TODAY + dt.timedelta(days=30)}]},
    "expired-jar": {"vulnerabilities": [
        {"id": "CVE-2099-0101", "statement": "lab: accepted until yesterday",
         "expired_at": TODAY - dt.timedelta(days=1)},
        {"id": "CVE-2099-0003", "statement": "lab: no fix upstream yet",
         "expired_at": TODAY + dt.timedelta(days=30)}]},
}
MATRIX = list(itertools.product(("CRITICAL", "HIGH", "LOW"), (False, True), IGNORE_FILES))


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    cache = tmp_path_factory.mktemp("trivy-cache")
    build.build(cache)
    root = trivy_lab.write_debian12_rootfs(tmp_path_factory.mktemp("rootfs"))
    return str(trivy_lab.trivy_binary()), cache, root


def trivy(target, *flags) -> subprocess.CompletedProcess:
    binary, cache, root = target
    return subprocess.run([binary, "rootfs", "--cache-dir", str(cache), "--scanners", "vuln",
                           "--format", "json", "--quiet", "--skip-db-update",
                           "--skip-java-db-update", "--offline-scan", *flags, str(root)],
                          capture_output=True, text=True, check=False, timeout=300)


def ids(report: dict) -> list[str]:
    return sorted(v["VulnerabilityID"] for r in report.get("Results", [])
                  for v in r.get("Vulnerabilities") or [])


@pytest.fixture(scope="module")
def raw_report(target):
    proc = trivy(target)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    assert ids(report) == ["CVE-2099-0001", "CVE-2099-0003", "CVE-2099-0005", "CVE-2099-0101"]
    return report


@pytest.mark.parametrize(("severity", "ignore_unfixed", "ignore_file"), MATRIX,
                         ids=[f"{s}-{'unfixed' if u else 'all'}-{i}" for s, u, i in MATRIX])
def test_gate_blocks_what_trivy_reports(target, raw_report, tmp_path, severity, ignore_unfixed,
                                        ignore_file):
    flags = ["--severity", ",".join(SEVERITIES[SEVERITIES.index(severity):]), "--exit-code", "1"]
    if ignore_unfixed:
        flags.append("--ignore-unfixed")
    ignores = IGNORE_FILES[ignore_file]
    if ignores:
        path = tmp_path / ".trivyignore.yaml"
        path.write_text(yaml.safe_dump(ignores))  # dates unquoted: Trivy refuses a quoted one
        flags += ["--ignorefile", str(path)]
    proc = trivy(target, *flags)
    assert proc.returncode in (0, 1) and proc.stdout, proc.stderr
    trivy_reports = ids(json.loads(proc.stdout))

    result = trivy_gate.gate(json.loads(json.dumps(raw_report)), severity=severity,
                             ignore_unfixed=ignore_unfixed, ignores=ignores, today=TODAY)
    assert sorted(f["id"] for f in result["blocking"]) == trivy_reports
    assert result["passed"] is (proc.returncode == 0)
