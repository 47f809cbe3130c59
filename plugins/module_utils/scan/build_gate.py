# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The build gate around ``trivy.gate.gate``: Trivy or grype report, VEX, Rego, SARIF,
Markdown summary.

Order of decisions for one report:

1. the format is detected (or checked against ``report_format``) and the findings normalised;
2. VEX statements hide the findings they declare ``not_affected`` or ``fixed``; these are
   listed under ``ignored`` with the VEX justification and never block;
3. the gate's own rules run (severity, ignore-unfixed, ignores with expiry, budgets);
4. the Rego policies see the report, every finding with the gate's verdict and the results
   the gate did not ignore; each ``deny`` message fails the gate, ``warn`` messages become
   warnings;
5. the OS rules (``os_rules``, scan/os_rules.py) read the report's ``Metadata.OS``; each
   failed rule is an ``os_denials`` message and fails the gate.
"""
from __future__ import annotations

import contextlib
import gc

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    MAX_CONFIG_BYTES,
    InputError,
    load_json_file,
    read_text,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.grype import (
    REPORT_FORMATS,
    detect_format,
    grype_artifact,
    iter_grype_findings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.job_summary import (
    to_markdown,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.os_rules import (
    os_denials,
    parse_os_rules,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.rego import (
    RegoPolicies,
    evaluate_policies,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.sarif import (
    SARIF_FINDINGS,
    sarif_chunks,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.vex import (
    VexIndex,
    vex_reason,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.vex_documents import (
    load_vex,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.gate import (
    gate,
    iter_findings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.ignores import (
    MAX_EXPIRY_DAYS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.reports import (
    summarize,
    to_vuln_predicate,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.scan import (
    GATE_ARGUMENT_SPEC,
    merge_ignores,
    task_outputs,
)

# Options of trivy_gate and trivy_scan beyond the Trivy gate's (doc fragment trivy_gate).
# report_format is trivy_gate's own (trivy_scan always reads Trivy's JSON).
REPORT_FORMAT_SPEC = {"type": "str", "default": "auto", "choices": ["auto", *REPORT_FORMATS]}
BUILD_GATE_ARGUMENT_SPEC = dict(
    GATE_ARGUMENT_SPEC,
    policies={"type": "list", "elements": "path", "default": []},
    vex={"type": "list", "elements": "path", "default": []},
    sarif_path={"type": "path"},
    sarif_findings={"type": "str", "default": "all", "choices": list(SARIF_FINDINGS)},
    summary_markdown={"type": "path"},
    max_expiry_days={"type": "int", "default": MAX_EXPIRY_DAYS},
    os_rules={"type": "dict"},
)


def read_policies(paths):
    """{path: text} of .rego files; ValueError naming the file that cannot be read."""
    sources = {}
    for path in paths or ():
        try:
            sources[str(path)] = read_text(path, "policy", MAX_CONFIG_BYTES)
        except InputError as exc:
            raise InputError(f"policies: cannot read {path}: {exc}") from None
    return sources


def read_vex(paths):
    """A VexIndex over the statements of every VEX file (JSON), in the order given."""
    statements = []
    for path in paths or ():
        try:
            doc = load_json_file(path, "VEX document", MAX_CONFIG_BYTES)
        except InputError as exc:
            raise InputError(f"vex: cannot read {path} as JSON: {exc}") from None
        try:
            statements.extend(load_vex(doc, str(path)))   # its refusals name the file
        except ValueError as exc:
            raise ValueError(f"vex: {exc}") from exc
    return VexIndex(statements)


@contextlib.contextmanager
def _cyclic_gc_paused():
    """Pause Python's cyclic garbage collector (reference counting still frees everything).

    The gate and the policy input build only acyclic dicts and lists, but their allocations
    trigger full collections that walk every object of the freshly loaded report: ~10 million
    for a 50,000-finding one, 1 to 3 s per gate run in bench/trivy_gate.py.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def gate_report(report, report_format="auto", vex=None, policies=None, os_rules=None,
                **gate_args):
    """Gate one Trivy or grype report; ``gate_args`` are :func:`trivy.gate.gate`'s options.

    ``vex`` is a :class:`VexIndex` (or None), ``policies`` loaded :class:`RegoPolicies` (or
    None), ``os_rules`` the ``os_rules`` option (checked here). The result is the gate's, plus
    ``report_format``, ``vex_suppressed`` (count), ``policy_denials``, ``policy_warnings`` and
    ``os_denials``.
    """
    rules = parse_os_rules(os_rules)
    with _cyclic_gc_paused():
        result = _gate_report(report, report_format, vex, policies, gate_args)[0]
    return _apply_os_rules(report, rules, result)


def _apply_os_rules(report, rules, result):
    """The OS rules' denials on the gate's result: any fails it, each a line of the summary."""
    result["os_denials"] = os_denials(report, rules, result["report_format"])
    if result["os_denials"]:
        result["passed"] = False
        result["summary"] = summarize(result) + "".join(
            f"\n  os rule: {one_line(msg)}" for msg in result["os_denials"])
    return result


def _gate_report(report, report_format, vex, policies, gate_args):
    """(result, every finding of the report) of :func:`gate_report`."""
    fmt = detect_format(report, report_format)
    if vex and fmt == "trivy" and vex.graph is None:
        # decided over the report's own dependency graph (Packages[].DependsOn), as Trivy does
        vex = vex.bind(report)
    source = iter_grype_findings(report) if fmt == "grype" else iter_findings(report)
    findings, suppressed = [], []

    def feed():
        for finding in source:
            findings.append(finding)
            stmt = vex.match(finding) if vex else None
            if stmt is None:
                yield finding
            else:
                finding["reason"] = vex_reason(stmt)
                finding["vex"] = {k: stmt[k] for k in ("status", "justification", "statement",
                                                       "format", "source")}
                suppressed.append(finding)

    result = gate(report, findings=feed(), **gate_args)
    if fmt == "grype":
        result["artifact"] = grype_artifact(report)
        result["artifact_type"] = str((report.get("source") or {}).get("type") or "")
    result["report_format"] = fmt
    if suppressed:
        result["ignored"] = suppressed + result["ignored"]
        result["total"] += len(suppressed)
        for finding in suppressed:
            result["counts"][finding["severity"]] += 1
    result["vex_suppressed"] = len(suppressed)
    result["policy_denials"], result["policy_warnings"] = [], []
    if policies is not None:
        verdict = evaluate_policies(policies, report, fmt, result, findings)
        result["policy_denials"], result["policy_warnings"] = verdict["deny"], verdict["warn"]
        result["warnings"].extend(f"policy warn: {msg}" for msg in verdict["warn"])
        if verdict["deny"]:
            result["passed"] = False
    result["summary"] = summarize(result)
    return result, findings


def _predicate(report, result, fmt):
    if fmt != "grype":
        return to_vuln_predicate(report, result)
    version = str((report.get("descriptor") or {}).get("version") or "")
    predicate = to_vuln_predicate({"CreatedAt": (report.get("descriptor") or {}).get(
        "timestamp")}, result)
    predicate["scanner"].update(uri=f"pkg:github/anchore/grype@{version}" if version else
                                "pkg:github/anchore/grype", version=version, result=report)
    return predicate


def gate_task(report, params, ignore_file_data=None, secrets=()):
    """Gate with module params; return (result, {output path: content}) for the module to write.

    Reads the ``policies`` and ``vex`` files named in ``params``; every error is a ValueError
    naming the option and file. ``secrets`` are masked in the Markdown summary.
    """
    sources = read_policies(params.get("policies"))
    rules = parse_os_rules(params.get("os_rules"))
    with _cyclic_gc_paused():
        result, findings = _gate_report(
            report, params.get("report_format") or "auto", read_vex(params.get("vex")),
            RegoPolicies(sources) if sources else None, dict(
                severity=params.get("severity", "HIGH"),
                ignore_unfixed=params.get("ignore_unfixed"),
                ignores=merge_ignores(params.get("ignores"), ignore_file_data),
                budgets=params.get("budgets"), today=params.get("today"),
                max_expiry_days=params.get("max_expiry_days", MAX_EXPIRY_DAYS)))
    result = _apply_os_rules(report, rules, result)
    outputs = task_outputs(result, params, _predicate(report, result, result["report_format"]))
    if params.get("sarif_path"):
        # Every finding: those that neither block nor are ignored go in as "other" (by
        # identity: the gate's lists hold the very finding dicts the report gave).
        decided = {id(f) for f in result["blocking"]} | {id(f) for f in result["ignored"]}
        other = [f for f in findings if id(f) not in decided]
        outputs[params["sarif_path"]] = sarif_chunks(
            dict(result, other=other), params.get("sarif_findings") or "all")
    if params.get("summary_markdown"):
        outputs[params["summary_markdown"]] = to_markdown(result, secrets)
    return result, outputs
