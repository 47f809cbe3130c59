# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The gate's SARIF against the real Trivy 0.76.0's own `--format sarif` of the same scan.

Trivy scans the lab's Debian 12 rootfs (tests/unit/support/trivy_lab_target.py) with the lab
DB twice, once as JSON (what the gate reads) and once as SARIF. The rules must be Trivy's: the
same ids, default levels, `security-severity` scores and tags. The results must name the same
rules. Where they differ, by design:
- level: Trivy knows no threshold and gives every CRITICAL/HIGH `error`; the gate gives `error`
  to what blocks and `warning` to a CRITICAL/HIGH finding that does not (below the gate's
  severity), so code scanning shows what failed the build. MEDIUM, LOW and UNKNOWN keep Trivy's
  `warning`/`note`.
- location: Trivy writes the scanned root's absolute path for OS packages; the gate writes it
  relative (no leading `/`), as SARIF's `artifactLocation.uri` without a `uriBaseId` and GitHub's
  upload require. Language packages (the jar) are the same relative path in both.
"""
from __future__ import annotations

import json
import subprocess

import pytest
import trivy_lab  # lab/trivy_lab.py
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import build_gate
from trivy_db import build  # lab/trivy_db/
from trivy_lab_target import make_rootfs


@pytest.fixture(scope="module")
def scans(tmp_path_factory):
    cache = tmp_path_factory.mktemp("trivy-cache")
    build.build(cache)
    root = make_rootfs(tmp_path_factory.mktemp("rootfs"))
    out = {}
    for fmt in ("json", "sarif"):
        proc = subprocess.run([str(trivy_lab.trivy_binary()), "rootfs", "--cache-dir", str(cache),
                               "--scanners", "vuln", "--format", fmt, "--quiet",
                               "--skip-db-update", "--skip-java-db-update", "--offline-scan",
                               str(root)], capture_output=True, text=True, check=False,
                              timeout=300)
        assert proc.returncode == 0, proc.stderr
        out[fmt] = json.loads(proc.stdout)
    return out


def _rules(log):
    return {r["id"]: (r["defaultConfiguration"]["level"], r["properties"]["security-severity"],
                      r["properties"]["tags"]) for r in log["runs"][0]["tool"]["driver"]["rules"]}


def _results(log):
    return sorted((r["ruleId"], r["level"],
                   r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"])
                  for r in log["runs"][0]["results"])


@pytest.mark.parametrize("severity", ["CRITICAL", "HIGH", "LOW"])
def test_the_gates_sarif_has_trivys_rules_and_results(scans, severity, tmp_path):
    target = str(tmp_path / "gate.sarif")
    result, outputs = build_gate.gate_task(scans["json"], {"severity": severity,
                                                           "sarif_path": target})
    ours = json.loads("".join(outputs[target]))
    trivy = scans["sarif"]
    assert _rules(ours) == _rules(trivy)
    assert len(_rules(ours)) == 4
    blocking = {f["id"] for f in result["blocking"]}
    assert blocking  # each setting blocks something: the level rule below is exercised
    expected = []
    for rule, level, uri in _results(trivy):
        if rule in blocking:
            level = "error"
        elif level == "error":
            level = "warning"
        expected.append((rule, level, uri.lstrip("/")))
    assert _results(ours) == sorted(expected)
