# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The glue of the trivy_gate and trivy_scan modules, written once.

The only file of this package that imports Ansible (through module_helper.py): modules import
it, nothing else does. It lives in scan/, the build gate over trivy's report model, so that
scan/ imports trivy/ and never the reverse.
GateModule gates a report with the shared gate options (the Trivy gate's plus the build
gate's VEX, Rego policies and SARIF, build_gate.py), writes the outputs, warns and exits
(or fails on blocking findings); ScanModule first runs Trivy for the report.
"""
from __future__ import annotations

import os
import shutil
import tempfile

from ansible_collections.bulwark.container_security.plugins.module_utils.module_files import (
    read_yaml_option,
    write_if_changed,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.module_helper import (
    ModuleHelper,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
    safe_message,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
    check_plain,
    load_json,
    read_text,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_output import (
    OutputError,
    append_text,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    BUILD_GATE_ARGUMENT_SPEC,
    gate_task,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.job_summary import (
    step_summary_path,
    to_markdown,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.config import (
    ignore_pair_error,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.scan import (
    SCAN_ARGUMENT_SPEC,
    check_scan_options,
    scan_command_from_params,
    scan_environment,
)

# The module result is bounded: at most this many findings per list (blocking, ignored,
# tolerated) and this many characters per text field; the output files keep every finding.
MAX_RESULT_FINDINGS = 100
MAX_RESULT_TEXT = 1000
FINDING_LISTS = ("blocking", "ignored", "tolerated")


def _bounded_finding(finding):
    return {key: value[:MAX_RESULT_TEXT] + "..." if isinstance(value, str) and
            len(value) > MAX_RESULT_TEXT else value for key, value in finding.items()}


def bounded_result(result, limit=MAX_RESULT_FINDINGS):
    """``result`` with each finding list cut to ``limit`` entries (``<list>_omitted`` says how
    many were left out; the JUnit and SARIF files have them all) and long texts shortened, so
    that a 50,000-finding report does not print 50 MB."""
    out = dict(result)
    for key in FINDING_LISTS:
        items = result.get(key) or []
        out[key] = [_bounded_finding(f) for f in items[:limit]]
        out[f"{key}_omitted"] = max(len(items) - limit, 0)
    denials = result.get("policy_denials") or []
    out["policy_denials"] = [one_line(m)[:MAX_RESULT_TEXT] for m in denials[:limit]]
    warnings = result.get("warnings") or []
    out["warnings"] = [one_line(w)[:MAX_RESULT_TEXT] for w in warnings[:limit]]
    if len(warnings) > limit:
        out["warnings"].append(f"... and {len(warnings) - limit} more warning(s)")
    return out


class GateModule(ModuleHelper):
    """An AnsibleModule with the gate options; ``gate(report)`` exits the module."""

    common_argument_spec = BUILD_GATE_ARGUMENT_SPEC

    def __init__(self, argument_spec: dict, **module_kwargs):
        super().__init__(argument_spec, **module_kwargs)
        ignores = self.params["ignores"]
        try:
            if isinstance(ignores, str):        # a JSON string from a template
                self.params["ignores"] = load_json(ignores, "ignores") if ignores.strip() \
                    else None
            elif ignores is not None:
                check_plain(ignores, "ignores")
        except InputError as exc:
            self.fail(exc)

    def gate(self, report, written=None, **extra):
        """Gate ``report``; write ``written`` ({path: text}) and the gate's outputs; exit."""
        try:
            result, outputs = gate_task(report, self.params,
                                        read_yaml_option(self.module, "ignore_file"),
                                        self.module.no_log_values)
            step_summary = step_summary_path()
        except ValueError as exc:
            self.fail(exc, **extra)
        changed = False
        for path, content in dict(written or {}, **outputs).items():
            changed = write_if_changed(self.module, path, content) or changed
        if step_summary and not self.module.check_mode:
            # The job summary is the CI's page, not a managed file: appended, never "changed".
            try:
                append_text(step_summary, to_markdown(result, self.module.no_log_values),
                            "GITHUB_STEP_SUMMARY")
            except OutputError as exc:
                self.fail(exc, **extra)
        out = dict(bounded_result(result), changed=changed, step_summary=step_summary or "",
                   **extra)
        out["gate_warnings"] = out.pop("warnings")
        for warning in out["gate_warnings"]:
            self.module.warn(warning)
        out["summary"] = safe_message(result["summary"], self.module.no_log_values)
        if not result["passed"] and self.params["fail_on_blocking"]:
            self.module.fail_json(msg=out["summary"], **out)
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
        if self.params["config_file"]:
            # The scan switches the file's filters off (WHOLE_REPORT_FLAGS), but a file that
            # says more than Trivy does is refused here as the role refuses it.
            pair = ignore_pair_error(read_yaml_option(self.module, "config_file"),
                                     f"config_file {self.params['config_file']}")
            if pair:
                self.fail(pair)
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
            text = read_text(partial, "trivy's report")
            report = load_json(text, "trivy's report")
        except InputError as exc:
            self.fail(f"trivy wrote no readable JSON report: {exc}",
                      command=shown, stderr=stderr)
        self.gate(report, {p["report_path"]: text} if p["report_path"] else None,
                  command=shown, report_path=p["report_path"] or "")
