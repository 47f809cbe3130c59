# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The glue of the trivy_gate and trivy_scan modules, written once.

The only file of this package that imports Ansible (through module_helper.py): modules import
it, nothing else does.
GateModule gates a report with the shared gate options (the Trivy gate's plus the build
gate's VEX, Rego policies and SARIF, scan/build_gate.py), writes the outputs, warns and exits
(or fails on blocking findings); ScanModule first runs Trivy for the report.
"""
from __future__ import annotations

import json
import os
import shutil
import tempfile

from ansible.module_utils.common.text.converters import to_native
from ansible_collections.bulwark.container_security.plugins.module_utils.module_files import (
    read_yaml_option,
    write_if_changed,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.module_helper import (
    ModuleHelper,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    BUILD_GATE_ARGUMENT_SPEC,
    gate_task,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.scan import (
    SCAN_ARGUMENT_SPEC,
    check_scan_options,
    scan_command_from_params,
    scan_environment,
)


class GateModule(ModuleHelper):
    """An AnsibleModule with the gate options; ``gate(report)`` exits the module."""

    common_argument_spec = BUILD_GATE_ARGUMENT_SPEC

    def __init__(self, argument_spec: dict, **module_kwargs):
        super().__init__(argument_spec, **module_kwargs)
        ignores = self.params["ignores"]
        if isinstance(ignores, str):        # a JSON string from a template
            self.params["ignores"] = json.loads(ignores) if ignores.strip() else None

    def gate(self, report, written=None, **extra):
        """Gate ``report``; write ``written`` ({path: text}) and the gate's outputs; exit."""
        try:
            result, outputs = gate_task(report, self.params,
                                        read_yaml_option(self.module, "ignore_file"))
        except ValueError as exc:
            self.fail(exc, **extra)
        changed = False
        for path, content in dict(written or {}, **outputs).items():
            changed = write_if_changed(self.module, path, content) or changed
        out = dict(result, changed=changed, **extra)
        out["gate_warnings"] = out.pop("warnings")
        for warning in out["gate_warnings"]:
            self.module.warn(warning)
        if not result["passed"] and self.params["fail_on_blocking"]:
            self.module.fail_json(msg=result["summary"], **out)
        self.module.exit_json(**out)


class ScanModule(GateModule):
    """trivy_scan: run Trivy into a private temporary directory, then gate its report."""

    def __init__(self, **module_kwargs):
        super().__init__(SCAN_ARGUMENT_SPEC, **module_kwargs)

    def _binary(self):
        trivy = self.params["trivy_path"]
        if self.module.check_mode:
            return trivy
        binary = self.module.get_bin_path(trivy, required=False) or (
            trivy if os.path.isabs(trivy) and os.access(trivy, os.X_OK) else None)
        if not binary:
            self.fail(f"trivy_path={trivy!r}: trivy is not installed on this host (the "
                      "bulwark.container_security.trivy role installs it)")
        return binary

    def scan(self):
        try:
            check_scan_options(self.params)  # before the temporary directory or trivy
        except ValueError as exc:
            self.fail(exc)
        workdir = tempfile.mkdtemp(prefix="trivy-scan-")
        try:
            self._scan(workdir)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)

    def _scan(self, workdir):
        p = self.params
        output = p["report_path"] or os.path.join(workdir, "report.json")
        partial = os.path.join(workdir, "partial.json")
        try:
            argv = scan_command_from_params(p, self._binary(), partial)
        except ValueError as exc:
            self.fail(exc)
        shown = [output if a == partial else a for a in argv]
        if self.module.check_mode:
            self.module.exit_json(changed=False, skipped=True, passed=True, command=shown,
                                  report_path=p["report_path"] or "",
                                  msg="check mode: trivy not run")
        if p["cache_dir"]:
            os.makedirs(p["cache_dir"], mode=0o700, exist_ok=True)
        rc, stdout, stderr = self.module.run_command(
            argv, environ_update=scan_environment(p["token"]))
        if rc != 0:
            self.fail(f"trivy failed (rc={rc}): {stderr.strip() or stdout.strip()}",
                      rc=rc, stdout=stdout, stderr=stderr, command=shown)
        try:
            with open(partial, encoding="utf-8") as handle:
                text = handle.read()
            report = json.loads(text)
        except (OSError, ValueError) as exc:
            self.fail(f"trivy wrote no readable JSON report: {to_native(exc)}",
                      command=shown, stderr=stderr)
        self.gate(report, {p["report_path"]: text} if p["report_path"] else None,
                  command=shown, report_path=p["report_path"] or "")
