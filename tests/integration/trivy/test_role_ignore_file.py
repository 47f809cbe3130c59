# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The .trivyignore.yaml the trivy role writes is what trivy_scan ignore_file= reads.

One ansible-playbook run: the role's own validate.yml and configure.yml write the file, then
trivy_scan gates a report with it. Trivy cannot be installed here, so trivy_path is a
stand-in at the process boundary that writes upstream's REAL recorded alpine-3.9 report
(fixtures/trivy/alpine-39.json) to --output, as trivy would; the ignore file, the role and the
module are the real ones.
"""
from __future__ import annotations

import datetime as dt
import json
import sys

import yaml
from conftest import run_playbook

PLAY = """
- name: The trivy role writes .trivyignore.yaml, trivy_scan reads it
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The role's checks, then its configuration files
      ansible.builtin.include_role:
        name: bulwark.container_security.trivy
        tasks_from: "{{ item }}"
      loop: [validate.yml, configure.yml]

    - name: Scan with the file the role wrote
      bulwark.container_security.trivy_scan:
        target: alpine:3.9
        trivy_path: "{{ stand_in }}"
        ignore_file: "{{ trivy_config_dir }}/.trivyignore.yaml"
        fail_on_blocking: false
      register: scan

    - name: Keep the module result for the test
      ansible.builtin.copy:
        content: "{{ scan | to_json }}"
        dest: "{{ result_file }}"
        mode: "0600"
"""

STAND_IN = """#!{python}
import shutil, sys
shutil.copy({report!r}, sys.argv[sys.argv.index("--output") + 1])
"""


def scan_with_role_file(tmp_path, shared_fixtures, entries):
    stand_in = tmp_path / "trivy"
    stand_in.write_text(STAND_IN.format(python=sys.executable,
                                        report=str(shared_fixtures / "trivy" / "alpine-39.json")))
    stand_in.chmod(0o755)
    (tmp_path / "play.yml").write_text(PLAY)
    (tmp_path / "vars.json").write_text(json.dumps({
        "trivy_config_dir": str(tmp_path / "etc"), "trivy_cache_dir": str(tmp_path / "cache"),
        "trivy_ignore_entries": entries, "stand_in": str(stand_in),
        "result_file": str(tmp_path / "result.json")}))
    proc = run_playbook([str(tmp_path / "play.yml"), "-e", f"@{tmp_path / 'vars.json'}"],
                        timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    result = json.loads((tmp_path / "result.json").read_text())
    written = yaml.safe_load((tmp_path / "etc" / ".trivyignore.yaml").read_text())
    return result, written, proc.stdout


def test_every_kind_the_role_writes_loads_in_trivy_scan(tmp_path, shared_fixtures):
    """License entries too; the purl-narrowed entry hides exactly the two musl findings."""
    until = (dt.datetime.now(dt.timezone.utc).date() + dt.timedelta(days=30)).isoformat()
    entries = [
        {"id": "CVE-2019-14697", "statement": "musl not reachable", "expired_at": until,
         "purls": ["pkg:apk/alpine/musl", "pkg:apk/alpine/musl-utils"]},
        {"id": "GPL-3.0", "kind": "license", "statement": "tooling only", "expired_at": until,
         "paths": ["usr/share/gcc/**"]},
        {"id": "aws-access-key-id", "kind": "secret", "statement": "test key",
         "expired_at": until, "paths": ["tests/**"]},
        {"id": "AVD-DS-0002", "kind": "misconfiguration", "statement": "root on purpose",
         "expired_at": until},
    ]
    result, written, _ = scan_with_role_file(tmp_path, shared_fixtures, entries)
    assert sorted(written) == ["licenses", "misconfigurations", "secrets", "vulnerabilities"]
    assert result["passed"] is True, result["summary"]
    assert sorted(f["package"] for f in result["ignored"]) == ["musl", "musl-utils"]
    assert all(f["reason"] == f"ignored until {until}: musl not reachable"
               for f in result["ignored"])


def test_an_entry_expiring_today_utc_is_expired_for_the_role_and_the_module(tmp_path,
                                                                          shared_fixtures):
    """Trivy's rule (expired once midnight UTC of expired_at has passed), in both places."""
    today = dt.datetime.now(dt.timezone.utc).date().isoformat()
    result, _, output = scan_with_role_file(tmp_path, shared_fixtures, [
        {"id": "CVE-2019-14697", "statement": "musl not reachable", "expired_at": today}])
    assert f"ignore CVE-2019-14697 expired on {today}" in output     # the role's warning
    assert result["passed"] is False and result["ignored"] == []
    assert any(f"CVE-2019-14697 expired on {today}" in w for w in result["gate_warnings"])
