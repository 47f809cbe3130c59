# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Options of the Trivy gate shared by the trivy_gate and trivy_scan modules."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  severity:
    description:
      - Minimum blocking severity (C(HIGH) blocks HIGH and CRITICAL), or a comma list of
        exact severities as Trivy's C(--severity) takes (C(HIGH,CRITICAL)).
      - One of C(UNKNOWN), C(LOW), C(MEDIUM), C(HIGH), C(CRITICAL).
    type: str
    default: HIGH
  ignore_unfixed:
    description:
      - Drop vulnerabilities that have no fix, with exactly Trivy's meaning of
        C(--ignore-unfixed) - every status but C(fixed), in practice C(affected),
        C(will_not_fix), C(fix_deferred), C(end_of_life).
      - A finding written without C(Status) counts as fixed when it names a C(FixedVersion).
    type: bool
    default: false
  ignores:
    description:
      - Accepted risks, in the one ignore model the C(bulwark.container_security.trivy) role
        writes too. Each entry needs C(id), C(statement) (why) and C(expired_at) (a date,
        YYYY-MM-DD); C(paths) (globs on the result target or package path) and C(purls)
        (package URLs, C(pkg:type/namespace/name@version), vulnerability entries only)
        narrow it. An entry without statement or expiry, or with a malformed purl, is
        rejected before anything runs, naming the entry.
      - Expiry follows Trivy (C(pkg/result/ignore.go)) - C(expired_at) is read as midnight
        UTC of that day, so an entry hides its findings up to the day before and is expired
        from C(expired_at) on (UTC). Expired entries are reported in RV(gate_warnings).
      - Either a list of entries (C(kind) is C(vulnerability) when absent, or
        C(misconfiguration), C(secret), C(license)) or the C(.trivyignore.yaml) mapping
        with C(vulnerabilities), C(misconfigurations), C(secrets) and C(licenses) lists.
        License entries are accepted and validated, but the gate has no license findings to
        hide with them (Trivy applies them when its license scanner runs).
    type: raw
  ignore_file:
    description:
      - A C(.trivyignore.yaml) on the host running the module (for example the one the
        C(bulwark.container_security.trivy) role writes), merged with O(ignores); the same
        rules apply to its entries.
    type: path
  budgets:
    description:
      - Findings tolerated per severity, for example V(MEDIUM=3) as a mapping. Beyond the
        budget every finding of that severity blocks, whatever O(severity) says; within it
        none does.
    type: dict
  today:
    description: Date that decides expiry (YYYY-MM-DD). Default today in UTC.
    type: str
  os_rules:
    description:
      - Rules on the scanned image's OS, Trivy's C(Metadata.OS) (C(Family), C(Name), C(EOSL));
        each failed rule is an RV(os_denials) message and fails the gate.
      - C(allowed_families) (list) - the OS family must be one of these (C(alpine), C(debian),
        C(ubuntu), C(redhat), C(wolfi), ... as Trivy names them).
      - C(refuse_eosl) (bool) - an OS past its end of service life (C(EOSL) true) fails.
      - C(minimal_base) (true, or a mapping of C(families) and C(base_images)) - the family is
        one of C(families) (default C(alpine), C(wolfi), C(chainguard)), or the image config's
        label C(org.opencontainers.image.base.name) starts with one of C(base_images) (default
        C(gcr.io/distroless/), C(cgr.dev/chainguard/)); Trivy reads a distroless image as
        C(debian), so a distroless build passes by setting that label.
      - Fail closed - with any rule asked for, a report without C(Metadata.OS) (not an image
        scan, no OS detected, a grype report) fails the gate; an unreadable C(Metadata.OS) or
        an unknown rule is an error naming it.
    type: dict
  max_expiry_days:
    description:
      - An ignore entry whose C(expired_at) is more than this many days after O(today) is
        refused (naming it), so that an accepted risk is reviewed again; C(9999-12-31) would
        make an ignore permanent.
    type: int
    default: 365
  junit_path:
    description: Write JUnit XML here - one failing test case per blocking finding.
    type: path
  predicate_path:
    description:
      - Write the cosign vulnerability scan record here (predicate type
        C(https://cosign.sigstore.dev/attestation/vuln/v1)), for
        C(cosign attest --type vuln --predicate).
    type: path
  policies:
    description:
      - Rego files (C(.rego)) on the host running the module, evaluated by the rego-cpp
        interpreter (Python package C(regopy), needed only when this is set). For every
        package they declare, C(data.<package>.deny) and C(data.<package>.warn) are queried;
        each C(deny) message fails the gate, C(warn) messages become task warnings.
      - The policy's C(input) holds the raw C(report), normalised C(findings) (the same for
        Trivy and grype, each with the gate's verdict in C(state)), the C(results) the gate
        did not ignore shaped like grype's matches (C(results[_].vulnerability.severity) is
        C(Critical), C(High) ...), and C(gate) (passed, counts). See C(docs/build_gate.md).
      - A syntax error (named with file and line), a package without C(deny) or C(warn) and
        an evaluation error fail the task.
    type: list
    elements: path
    default: []
  vex:
    description:
      - VEX documents (OpenVEX, CycloneDX VEX or CSAF VEX, JSON) on the host running the
        module. A finding whose vulnerability a statement declares C(not_affected) or
        C(fixed) for its package purl (product, or subcomponent of a product) is ignored
        with the VEX justification as reason, as C(trivy --vex) filters it.
    type: list
    elements: path
    default: []
  sarif_path:
    description:
      - Write SARIF 2.1.0 here for code scanning (GitHub C(upload-sarif)) - every finding of
        the report, blocking ones at level C(error), the others at C(warning) (CRITICAL, HIGH,
        MEDIUM) or C(note) (LOW, UNKNOWN); ignored ones (ignore entry, VEX, O(ignore_unfixed))
        at the same levels as suppressed results (C(suppressions) of kind C(external), the
        ignore's statement as justification, its expiry and reason in C(properties)); Rego
        denials at C(error); one rule per vulnerability id with C(security-severity).
      - Written as compact JSON one rule and one result at a time, so a report of 100,000
        findings never holds the whole log in memory.
    type: path
  sarif_findings:
    description:
      - Which findings O(sarif_path) gets - V(all) (every finding, as above) or V(blocking)
        (only the blocking ones and the Rego denials).
    type: str
    choices: [all, blocking]
    default: all
  summary_markdown:
    description:
      - Write the gate's summary as Markdown here (for example a GitLab job's report
        artifact) - verdict, settings, counts by severity, the blocking findings (id,
        package, installed, fixed) and the ignored ones with statement and expiry, at most
        50 rows per table (a line says how many more) and 120 characters per cell. Report
        strings are escaped (every ASCII punctuation character backslash-escaped, line breaks
        and control characters made spaces), so no report can add HTML, links or table cells.
      - Apart from this option, when the module runs under GitHub Actions
        (E(GITHUB_ACTIONS=true)) and E(GITHUB_STEP_SUMMARY) is set, the same Markdown is
        appended to that job summary file (not in check mode). It must be an existing regular
        file, not a symlink, inside E(RUNNER_TEMP) when that is set; anything else fails the
        task naming it. Values of C(no_log) options are masked in both.
    type: path
  fail_on_blocking:
    description:
      - Fail the task with the one-screen summary when findings block. Set false to collect
        verdicts (RV(passed)) and decide later, as C(playbooks/scan.yml) does.
    type: bool
    default: true
"""
