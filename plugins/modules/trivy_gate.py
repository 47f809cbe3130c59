#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Gate an existing Trivy or grype JSON report: no scanner needed."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: trivy_gate
short_description: Pass or fail a Trivy or grype JSON report by severity, fix, ignores, VEX and Rego
version_added: 0.1.0
description:
  - Reads a Trivy report (C(--format json), schema version 2) or a grype report
    (C(grype -o json)) and decides whether it blocks. No scanner needs to be installed; use
    M(bulwark.container_security.trivy_scan) to run Trivy and gate in one step.
  - grype severities map to Trivy's - C(Negligible) and C(Unknown) rank as C(UNKNOWN), below
    C(LOW). For O(ignore_unfixed), grype's C(fix.state) C(not-fixed), C(wont-fix) and
    C(unknown) are unfixed, C(fixed) is fixed, and an empty state is fixed only when
    C(fix.versions) names a version.
  - The report is recognised before it is judged (fail closed) - a Trivy report needs
    C(SchemaVersion) 2 (an integer), C(ArtifactName) and C(ArtifactType) as text and
    C(Results) absent or a list; a grype report needs a C(matches) list, C(descriptor.name)
    C(grype) and a C(source) mapping. Anything else (a SARIF log, a CycloneDX BOM, C({}), a
    document with both scanners' keys, a key of the wrong case such as C(vulnerabilities)) is
    refused, naming what it looked like.
  - Below that header every field is optional, as Trivy omits empty ones, but every field the
    gate reads is type-checked - a wrong type is refused naming its path, for example
    C(Results[3].Vulnerabilities[0].PkgName must be text, got int). Vulnerabilities, secrets
    and failed misconfigurations are gated; a finding without C(Severity) counts as C(UNKNOWN).
  - The report file is read as a regular file of at most 256 MB; JSON with NaN, Infinity,
    lone surrogates or nesting deeper than 64 levels is refused.
  - O(ignore_unfixed) has exactly Trivy's meaning (every status except C(fixed) is dropped,
    in practice C(affected), C(will_not_fix), C(fix_deferred), C(end_of_life)). A finding
    written without C(Status) counts as fixed when it names a C(FixedVersion).
  - Ignore entries must say why (C(statement)) and until when (C(expired_at)); an entry whose
    date is today or earlier no longer hides anything and produces a warning.
  - Fails with a one-screen summary when findings block and O(fail_on_blocking=true).
options:
  path:
    description: Report file on the host running the module. Exclusive with O(report).
    type: path
  report:
    description: The report itself, as a mapping or a JSON string. Exclusive with O(path).
    type: raw
  report_format:
    description:
      - Scanner that wrote the report. V(auto) tells them apart (grype's has a C(matches)
        list); V(trivy) or V(grype) also checks it.
    type: str
    choices: [auto, trivy, grype]
    default: auto
extends_documentation_fragment:
  - bulwark.container_security.trivy_gate
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.platform
attributes:
  check_mode:
    support: full
    details: >-
      The gate is read-only; in check mode the JUnit, SARIF and predicate files are not
      written.
  diff_mode:
    support: none
    details: Nothing but the optional output files is written.
notes:
  - C(changed) is true only when O(junit_path), O(sarif_path), O(summary_markdown) or
    O(predicate_path) got new content (appending to the GitHub job summary is not a change).
  - Output files are written through a temporary file in their directory, renamed over the
    target; a symlink or a directory at the target is refused.
  - The module result lists at most 100 findings per list (RV(blocking), RV(ignored),
    RV(tolerated)); the output files have them all.
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Gate the report CI produced; fail on HIGH and CRITICAL that have a fix
  bulwark.container_security.trivy_gate:
    path: reports/app.json
    severity: HIGH
    ignore_unfixed: true
    ignores:
      - id: CVE-2019-14697
        statement: musl is not reachable from the service's code paths
        expired_at: "2026-12-31"
    budgets:
      MEDIUM: 3
    junit_path: reports/app.junit.xml

- name: Gate a grype report with the team's Rego policy and the vendor's VEX statements
  bulwark.container_security.trivy_gate:
    path: reports/app.grype.json
    severity: CRITICAL
    policies: [policies/build.rego]
    vex: [vex/app.openvex.json]
    sarif_path: reports/app.sarif

- name: Collect a verdict without failing
  bulwark.container_security.trivy_gate:
    path: reports/app.json
    fail_on_blocking: false
  register: app_gate
"""

RETURN = r"""
passed:
  description: True when nothing blocks.
  returned: always
  type: bool
summary:
  description: One screen of text - verdict, counts, the worst blocking findings, warnings.
  returned: always
  type: str
counts:
  description: Every finding in the report by severity.
  returned: always
  type: dict
  sample: {UNKNOWN: 0, LOW: 0, MEDIUM: 4, HIGH: 0, CRITICAL: 2}
blocking_counts:
  description: Blocking findings by severity.
  returned: always
  type: dict
blocking:
  description: Blocking findings (kind, id, package, installed, fixed, status, severity, target,
    class, type, url, title).
  returned: always
  type: list
  elements: dict
ignored:
  description: Findings hidden by VEX, ignore-unfixed or an ignore entry, each with its C(reason)
    (an ignore entry's also with C(ignore) - its C(statement) and C(expired_at); a VEX one
    with C(vex)).
  returned: always
  type: list
  elements: dict
tolerated:
  description: Findings within a severity budget.
  returned: always
  type: list
  elements: dict
blocking_omitted:
  description: Blocking findings left out of RV(blocking) (it lists at most 100; the JUnit
    and SARIF files have all of them).
  returned: always
  type: int
ignored_omitted:
  description: Ignored findings left out of RV(ignored) (at most 100 are listed).
  returned: always
  type: int
tolerated_omitted:
  description: Tolerated findings left out of RV(tolerated) (at most 100 are listed).
  returned: always
  type: int
budgets:
  description: Per budgeted severity, C(limit), C(found) and C(exceeded).
  returned: always
  type: dict
gate_warnings:
  description: Expired ignore entries and the findings they no longer hide (also shown as task
    warnings).
  returned: always
  type: list
  elements: str
artifact:
  description: C(ArtifactName) of the report.
  returned: always
  type: str
artifact_type:
  description: C(ArtifactType) of a Trivy report (C(container_image), C(filesystem), ...), the
    source type of a Grype report; empty when the report names none.
  returned: always
  type: str
total:
  description: Number of findings in the report, ignored ones included.
  returned: always
  type: int
severity:
  description: The blocking severities as given (O(severity)), comma-separated.
  returned: always
  type: str
  sample: HIGH,CRITICAL
blocking_severities:
  description: The severities that block, as the gate read O(severity).
  returned: always
  type: list
  elements: str
  sample: [HIGH, CRITICAL]
ignore_unfixed:
  description: Whether findings without a fixed version were ignored (O(ignore_unfixed)).
  returned: always
  type: bool
report_format:
  description: Scanner format of the report, C(trivy) or C(grype).
  returned: always
  type: str
vex_suppressed:
  description: Number of findings VEX statements suppressed (listed in RV(ignored)).
  returned: always
  type: int
policy_denials:
  description: Messages of the Rego C(deny) rules; any message fails the gate.
  returned: always
  type: list
  elements: str
policy_warnings:
  description: Messages of the Rego C(warn) rules (also in RV(gate_warnings)).
  returned: always
  type: list
  elements: str
step_summary:
  description: The GitHub job summary file (E(GITHUB_STEP_SUMMARY)) the Markdown summary was
    appended to; empty when not running under GitHub Actions.
  returned: always
  type: str
os_denials:
  description: Messages of the O(os_rules) the report fails (empty without O(os_rules)).
  returned: always
  type: list
  elements: str
report_path:
  description: The report file gated (empty when O(report) was given inline).
  returned: always
  type: str
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (  # noqa: E402
    InputError,
    check_plain,
    load_json,
    load_json_file,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (  # noqa: E402
    REPORT_FORMAT_SPEC,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.module import (  # noqa: E402
    GateModule,
)


def main():
    helper = GateModule({"path": {"type": "path"}, "report": {"type": "raw"},
                         "report_format": REPORT_FORMAT_SPEC},
                        mutually_exclusive=[("path", "report")],
                        required_one_of=[("path", "report")])
    report = helper.params["report"]
    if report is not None:
        # Not echoed back under invocation.module_args: a report can be 150 MB.
        helper.params["report"] = "(the inline report, not echoed)"
    try:
        if helper.params["path"]:
            report = load_json_file(helper.params["path"], "report")
        elif isinstance(report, str):
            report = load_json(report, "report")
        else:                   # a mapping given inline: NaN, depth, lone surrogates
            check_plain(report, "report")
    except InputError as exc:
        helper.fail(f"cannot read the report: {exc}")
    helper.gate(report, report_path=helper.params["path"] or "")


if __name__ == "__main__":
    main()
