# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The trivy role's air-gap seed (tasks/db_seed.yml) with the lab's DB and Java DB archives
(what `oras pull` of trivy-db:2 and trivy-java-db:1 gives, lab/trivy_db/build.py): the DB
lands in the scans' and the server's cache directories, the Java DB in <cache>/java-db, and
the real Trivy 0.76.0 scans the lab rootfs (jars included) from the seeded cache offline."""
from __future__ import annotations

import json
import subprocess

import trivy_lab  # lab/trivy_lab.py
import yaml
from conftest import run_playbook
from trivy_db import build  # lab/trivy_db/
from trivy_lab_target import EXPECTED, findings, make_rootfs


def test_seed_fills_db_and_java_db_and_trivy_scans_from_it(tmp_path):
    archives = build.build(tmp_path / "built")
    built = archives["db"].parent.parent
    (tmp_path / "play.yml").write_text(yaml.safe_dump([{
        "name": "Seed the DBs", "hosts": "localhost", "gather_facts": False,
        "tasks": [{"name": "The role's seed", "ansible.builtin.include_role": {
            "name": "bulwark.container_security.trivy", "tasks_from": "db_seed.yml"}}]}]))
    (tmp_path / "vars.json").write_text(json.dumps({
        "trivy_cache_dir": str(tmp_path / "cache"), "trivy_server_enabled": True,
        "trivy_server_cache_dir": str(tmp_path / "server-cache"),
        "trivy_db_seed_archive": str(built / "db.tar.gz"),
        "trivy_java_db_seed_archive": str(built / "javadb.tar.gz")}))
    proc = run_playbook([str(tmp_path / "play.yml"), "-e", f"@{tmp_path / 'vars.json'}"],
                        timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-2000:]
    for path in ("cache/db/trivy.db", "server-cache/db/trivy.db", "cache/java-db/trivy-java.db"):
        assert (tmp_path / path).is_file(), path
    assert not (tmp_path / "server-cache" / "java-db").exists()
    res = subprocess.run(
        [str(trivy_lab.trivy_binary()), "rootfs", "--cache-dir", str(tmp_path / "cache"),
         "--skip-db-update", "--skip-java-db-update", "--offline-scan", "--scanners", "vuln",
         "--format", "json", "--quiet", str(make_rootfs(tmp_path / "rootfs"))],
        capture_output=True, text=True, check=False, timeout=120)
    assert res.returncode == 0, res.stderr
    assert findings(json.loads(res.stdout)) == EXPECTED
