# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The gate steps of docs/ci/github-actions.yml and docs/ci/gitlab-ci.yml run exactly as the
files write them: the YAML is parsed, the gate step's `run` (GitHub, under bash -eo pipefail
as the runner starts it) or the gate job's `script` lines (GitLab) run in a scratch working
directory, with the file's own variables, against a real report the lab's Trivy 0.76.0 wrote
for the lab's Debian 12 rootfs (lab DB, lab/trivy_db/). Only the installs are left out: the
collection comes from this checkout (ANSIBLE_COLLECTIONS_PATH), ansible-playbook from the venv.

Ansible runs modules from the collection's playbooks/ directory: relative report, policy and
VEX paths must be taken from the job's directory (scan.yml's bulwark_workdir)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import trivy_lab  # lab/trivy_lab.py
import yaml
from conftest import COLLECTIONS, ROOT
from trivy_db import build  # lab/trivy_db/
from trivy_lab_target import EXPECTED, findings, make_rootfs

DOCS = ROOT / "docs" / "ci"


def github_gate():
    workflow = yaml.safe_load((DOCS / "github-actions.yml").read_text())
    [step] = [s for s in workflow["jobs"]["build-scan-gate-sign"]["steps"] if s.get("id") == "gate"]
    env = {**workflow.get("env", {}), **step.get("env", {})}
    return ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", step["run"]], env


def gitlab_gate():
    pipeline = yaml.safe_load((DOCS / "gitlab-ci.yml").read_text())
    job = pipeline["gate"]
    env = {**pipeline.get("variables", {}), **job.get("variables", {})}
    return ["bash", "-eo", "pipefail", "-c", "\n".join(job["script"])], env


@pytest.fixture(scope="module")
def real_report(tmp_path_factory):
    """trivy.json as the scan step leaves it: every severity, exit code 0."""
    base = tmp_path_factory.mktemp("ci-report")
    build.build(base / "cache")
    res = subprocess.run(
        [str(trivy_lab.trivy_binary()), "rootfs", "--cache-dir", str(base / "cache"),
         "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--scanners", "vuln",
         "--format", "json", "--output", str(base / "trivy.json"), "--severity",
         "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL", "--exit-code", "0",
         str(make_rootfs(base / "rootfs"))],
        capture_output=True, text=True, check=False, timeout=120)
    assert res.returncode == 0, res.stderr
    report = json.loads((base / "trivy.json").read_text())
    assert findings(report) == EXPECTED
    return report


def openvex(report, ids):
    """not_affected for the packages of `ids`, named by the purls the real report gives."""
    purls = {v["VulnerabilityID"]: v["PkgIdentifier"]["PURL"].split("@")[0]
             for r in report["Results"] for v in r.get("Vulnerabilities") or []}
    return {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.invalid/vex/1",
            "author": "lab", "timestamp": "2026-12-01T00:00:00Z", "version": 1,
            "statements": [{"vulnerability": {"name": i}, "products": [{"@id": purls[i]}],
                            "status": "not_affected",
                            "justification": "vulnerable_code_not_in_execute_path"}
                           for i in ids]}


def run_gate(gate, workdir, report, vex_ids=()):
    workdir.mkdir()
    (workdir / "trivy.json").write_text(json.dumps(report))
    if vex_ids:
        (workdir / "vex").mkdir()
        (workdir / "vex" / "app.openvex.json").write_text(json.dumps(openvex(report, vex_ids)))
    argv, file_env = gate()
    env = {k: v for k, v in os.environ.items()
           if k not in ("ANSIBLE_CONFIG", "ANSIBLE_ROLES_PATH")}
    env.update({k: str(v) for k, v in file_env.items()})
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS), "ANSIBLE_NOCOLOR": "1",
                "PWD": str(workdir),
                "PATH": f"{Path(sys.executable).parent}:{os.environ.get('PATH', '')}"})
    return subprocess.run(argv, cwd=workdir, env=env, capture_output=True, text=True,
                          check=False, timeout=300)


def test_github_gate_step_as_written_blocks_on_the_real_report(real_report, tmp_path):
    blocked = run_gate(github_gate, tmp_path / "job", real_report)
    out = blocked.stdout + blocked.stderr
    assert blocked.returncode != 0
    assert "cannot read" not in out, out[-3000:]
    assert "trivy gate FAILED for" in out and "CRITICAL CVE-2099-0001 libssl3" in out, out[-3000:]
    junit = ET.parse(tmp_path / "job" / "gate" / "build-gate.junit.xml").getroot()
    assert junit.get("failures") == "3"   # CRITICAL 0001, HIGH 0003 (unfixed) and 0101
    sarif = json.loads((tmp_path / "job" / "gate" / "build-gate.sarif").read_text())
    assert {r["ruleId"] for r in sarif["runs"][0]["results"]} >= {"CVE-2099-0001"}


def test_gitlab_gate_job_as_written_passes_with_the_repositorys_vex(real_report, tmp_path):
    passed = run_gate(gitlab_gate, tmp_path / "job", real_report,
                      vex_ids=("CVE-2099-0001", "CVE-2099-0003", "CVE-2099-0101"))
    assert passed.returncode == 0, (passed.stdout + passed.stderr)[-3000:]
    assert "trivy gate PASSED for" in passed.stdout
    junit = ET.parse(tmp_path / "job" / "gate" / "build-gate.junit.xml").getroot()
    assert junit.get("failures") == "0"
    predicate = json.loads((tmp_path / "job" / "gate" / "trivy.vuln.json").read_text())
    assert predicate["scanner"]["result"]["ArtifactName"] == real_report["ArtifactName"]
