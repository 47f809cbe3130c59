# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""trivy_scan with config_file set to the trivy.yaml the trivy role writes, on the real Trivy
0.76.0 and the lab DB (lab/trivy_db/) over a small Debian 12 rootfs.

The role's file says ignore-unfixed, severity HIGH/CRITICAL and an ignorefile: Trivy alone
reports one of the rootfs' four findings with it. trivy_scan's report must hold all four, and
the gate apply the policy (its own ignore_unfixed, severity and ignores)."""
from __future__ import annotations

import datetime as dt
import json
import subprocess

import pytest
import trivy_lab  # lab/trivy_lab.py
from conftest import run_playbook
from trivy_db import build  # lab/trivy_db/
from trivy_lab_target import EXPECTED, EXPECTED_COUNTS, findings, make_rootfs

PLAY = """
- name: The trivy role writes trivy.yaml, trivy_scan scans with it
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The role's checks, then its configuration files
      ansible.builtin.include_role:
        name: bulwark.container_security.trivy
        tasks_from: "{{ item }}"
      loop: [validate.yml, configure.yml]

    - name: Scan the rootfs with the role's trivy.yaml
      bulwark.container_security.trivy_scan:
        target: "{{ rootfs }}"
        kind: rootfs
        trivy_path: "{{ trivy }}"
        config_file: "{{ trivy_config_dir }}/trivy.yaml"
        scanners: [vuln]
        skip_db_update: true
        offline_scan: true
        severity: HIGH
        ignore_unfixed: true
        fail_on_blocking: false
      register: scan

    - name: Keep the module result for the test
      ansible.builtin.copy:
        content: "{{ scan | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""


@pytest.fixture(scope="module")
def target(tmp_path_factory):
    base = tmp_path_factory.mktemp("role-config")
    build.build(base / "cache")
    return {"base": base, "rootfs": make_rootfs(base / "rootfs"), "cache": base / "cache",
            "trivy": str(trivy_lab.trivy_binary())}


def test_trivy_scan_reports_every_finding_with_the_roles_trivy_yaml(target):
    base = target["base"]
    until = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=30)).isoformat()
    (base / "play.yml").write_text(PLAY)
    (base / "vars.json").write_text(json.dumps({
        "trivy_config_dir": str(base / "etc"), "trivy_cache_dir": str(target["cache"]),
        "trivy_ignore_entries": [{"id": "CVE-2099-0001", "statement": "lab: not reachable",
                                  "expired_at": until}],
        "trivy_skip_db_update": True, "trivy_skip_java_db_update": True,
        "trivy_offline_scan": True, "rootfs": str(target["rootfs"]),
        "trivy": target["trivy"], "result_file": str(base / "result.json")}))
    proc = run_playbook([str(base / "play.yml"), "-e", f"@{base / 'vars.json'}"], timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    result = json.loads((base / "result.json").read_text())
    # The report is whole: the role's ignore-unfixed, severity and ignorefile did not apply.
    assert result["total"] == len(EXPECTED)
    assert {k: v for k, v in result["counts"].items() if v} == EXPECTED_COUNTS
    # The gate decides: HIGH and up, fixable only; CVE-2099-0001 is not in the gate's ignores.
    assert sorted(f["id"] for f in result["blocking"]) == ["CVE-2099-0001", "CVE-2099-0101"]
    assert sorted((f["id"], f["reason"].split(" ")[0]) for f in result["ignored"]) == [
        ("CVE-2099-0003", "unfixed"), ("CVE-2099-0005", "unfixed")]
    # What Trivy itself makes of the same file without trivy_scan's flags: 1 of 4.
    alone = subprocess.run(
        [target["trivy"], "rootfs", "--config", str(base / "etc" / "trivy.yaml"), "--format",
         "json", "--quiet", "--exit-code", "0", "--scanners", "vuln", str(target["rootfs"])],
        capture_output=True, text=True, check=False, timeout=120)
    assert alone.returncode == 0, alone.stderr
    assert {f[0] for f in findings(json.loads(alone.stdout))} == {"CVE-2099-0101"}
