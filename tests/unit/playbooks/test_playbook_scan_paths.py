# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""playbooks/scan.yml takes relative paths from bulwark_workdir: every path variable the
modules and output files see goes through its pattern (tests/properties/test_scan_playbook_paths.py
holds the pattern's property)."""
from __future__ import annotations

from pathlib import Path

import yaml

SCAN_YML = Path(__file__).resolve().parents[3] / "playbooks" / "scan.yml"
PLAY = yaml.safe_load(SCAN_YML.read_text())[0]


def test_every_path_option_uses_a_resolved_variable():
    tasks = {t["name"]: t for t in PLAY["tasks"]}
    gate = tasks["Gate each existing report"]["bulwark.container_security.trivy_gate"]
    scan = tasks["Scan and gate each image, each with its own cache directory"][
        "bulwark.container_security.trivy_scan"]
    for args in (gate, scan):
        assert args["policies"] == "{{ scan_policy_paths }}"
        assert args["vex"] == "{{ scan_vex_paths }}"
        assert args["ignore_file"] == "{{ scan_ignore_file_path or omit }}"
        assert args["predicate_path"].startswith("{{ (scan_predicate_out ~ '/'")
    assert tasks["Gate each existing report"]["loop"] == "{{ scan_report_paths }}"
    assert scan["report_path"].startswith("{{ (scan_report_dir_path ~ '/'")
    assert scan["cache_dir"].startswith("{{ (scan_cache_dir_path ~ '/scan-'")
    dests = [t["ansible.builtin.copy"]["dest"] for t in PLAY["tasks"]
             if "ansible.builtin.copy" in t]
    assert dests == ["{{ scan_junit_file }}", "{{ scan_sarif_file }}"]
    for name in ("scan_report_paths", "scan_policy_paths", "scan_vex_paths",
                 "scan_ignore_file_path", "scan_junit_file", "scan_sarif_file",
                 "scan_report_dir_path", "scan_predicate_out", "scan_cache_dir_path"):
        assert "scan_relative, bulwark_workdir ~ '/'" in PLAY["vars"][name], name
