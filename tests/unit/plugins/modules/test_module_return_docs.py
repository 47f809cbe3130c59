# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""trivy_gate and trivy_scan document every key they return (RETURN), the bounded lists'
``<list>_omitted`` counts included. Trivy itself is replaced at the process boundary only:
run_command writes upstream's recorded report (fixtures/trivy/alpine-39.json)."""
from __future__ import annotations

import json

import pytest
import yaml
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.module import (
    FINDING_LISTS,
    MAX_RESULT_FINDINGS,
)
from ansible_collections.bulwark.container_security.plugins.modules import (
    trivy_gate as gate_module,
)
from ansible_collections.bulwark.container_security.plugins.modules import (
    trivy_scan as scan_module,
)

STANDARD = {"changed", "failed", "msg", "invocation", "warnings", "deprecations"}


def run(module, args, capsys):
    with patch_module_args(args), pytest.raises(SystemExit):
        module.main()
    return json.loads(capsys.readouterr().out)


@pytest.mark.parametrize("module", [gate_module, scan_module], ids=["trivy_gate", "trivy_scan"])
def test_the_omitted_counts_are_documented(module):
    documented = yaml.safe_load(module.RETURN)
    for key in FINDING_LISTS:
        doc = documented[f"{key}_omitted"]
        assert doc["type"] == "int"
        assert f"RV({key})" in doc["description"] and str(MAX_RESULT_FINDINGS) in doc["description"]


def test_every_key_the_modules_return_is_documented(shared_fixtures, capsys, monkeypatch):
    report = shared_fixtures / "trivy" / "alpine-39.json"

    def run_command(self, argv, environ_update=None, **_kw):
        with open(argv[argv.index("--output") + 1], "w", encoding="utf-8") as handle:
            handle.write(report.read_text())
        return 0, "", ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: "/usr/bin/trivy")
    gated = run(gate_module, {"path": str(report), "fail_on_blocking": False}, capsys)
    scanned = run(scan_module, {"target": "alpine:3.9", "fail_on_blocking": False}, capsys)
    for module, out in ((gate_module, gated), (scan_module, scanned)):
        assert out["blocking"], out       # the recorded report has blocking findings
        missing = set(out) - STANDARD - set(yaml.safe_load(module.RETURN))
        assert not missing, f"{module.__name__} returns undocumented keys {sorted(missing)}"
