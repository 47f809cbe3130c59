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
  junit_path:
    description: Write JUnit XML here - one failing test case per blocking finding.
    type: path
  predicate_path:
    description:
      - Write the cosign vulnerability scan record here (predicate type
        C(https://cosign.sigstore.dev/attestation/vuln/v1)), for
        C(cosign attest --type vuln --predicate).
    type: path
  fail_on_blocking:
    description:
      - Fail the task with the one-screen summary when findings block. Set false to collect
        verdicts (RV(passed)) and decide later, as C(playbooks/scan.yml) does.
    type: bool
    default: true
"""

