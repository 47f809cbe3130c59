#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Run trivy (image, fs, rootfs, sbom) with JSON output, then gate the report."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: trivy_scan
short_description: Scan an image, directory or SBOM with Trivy and gate the result
version_added: 0.1.0
description:
  - Runs C(trivy <kind> --format json) on one target, keeps the report, then applies the same
    gate as M(bulwark.container_security.trivy_gate) (severity threshold, ignore-unfixed,
    ignores with expiry, budgets, VEX, Rego policies) and fails with a one-screen summary
    when findings block.
  - The report always holds every finding - the command pins C(--severity) to all severities,
    C(--exit-code 0), C(--ignore-unfixed=false), C(--ignore-status=) and C(--ignorefile=)
    whatever C(trivy.yaml), C(TRIVY_*) variables or a C(.trivyignore) in the working directory
    say - so the gate, not Trivy, decides.
  - Client/server mode with O(server) - the scan uses the server's vulnerability DB, so
    clients need no DB download. The O(token) reaches Trivy as the C(TRIVY_TOKEN)
    environment variable, never on the command line, and is not logged.
  - Give parallel scans their own O(cache_dir) (or O(cache_backend=memory)); Trivy's file
    cache takes a lock that a second scan on the same directory waits for, then times out.
  - Trivy must be installed on the host running the module (the C(bulwark.container_security.trivy)
    role installs a pinned release). The module fails, naming the binary, when it is not.
options:
  target:
    description:
      - What to scan - an image reference (O(kind=image)), a directory (O(kind=fs),
        O(kind=rootfs)) or an SBOM file (O(kind=sbom)).
      - With O(input_archive=true), the path of an image tarball (C(trivy image --input)).
      - Refused before anything runs when it starts with C(-), when an image reference is not
        one (C(registry/repository[:tag][@sha256:<64 hex>])), or when a path holds whitespace
        or shell characters.
    type: str
    required: true
  kind:
    description: Trivy subcommand.
    type: str
    choices: [image, fs, rootfs, sbom]
    default: image
  input_archive:
    description: O(target) is an image archive (docker save / OCI tar), not a reference.
    type: bool
    default: false
  trivy_path:
    description: Name or path of the trivy binary.
    type: str
    default: trivy
  report_path:
    description:
      - Keep the JSON report here. Without it the report is written to a temporary file and
        removed after gating.
      - A path with a C(..) component is refused.
    type: path
  server:
    description: Trivy server URL for client/server mode (C(--server)), for example C(http://trivy.internal:4954).
    type: str
  token:
    description: Token of the Trivy server; passed as C(TRIVY_TOKEN) in the environment.
    type: str
  token_header:
    description: HTTP header carrying the token when the server expects another than C(Trivy-Token).
    type: str
  cache_dir:
    description: Cache directory of this scan (C(--cache-dir)); one per parallel scan.
    type: path
  cache_backend:
    description: Scan cache backend (C(fs), C(memory) or a C(redis://) URL).
    type: str
  scanners:
    description:
      - Scanners to run; default Trivy's.
      - C(trivy sbom) accepts only C(vuln) and C(license); O(kind=sbom) with another is
        refused before Trivy runs.
    type: list
    elements: str
    choices: [vuln, misconfig, secret, license]
  skip_db_update:
    description: Use the DB already in the cache (air-gapped hosts seeded from a file).
    type: bool
    default: false
  offline_scan:
    description: Do not call out to identify dependencies (C(--offline-scan)).
    type: bool
    default: false
  db_repositories:
    description: OCI repositories of trivy-db in priority order (mirrors for air-gapped sites).
    type: list
    elements: str
    default: []
  java_db_repositories:
    description: OCI repositories of trivy-java-db in priority order.
    type: list
    elements: str
    default: []
  timeout:
    description: Trivy's C(--timeout), a Go duration such as C(10m), C(300s) or C(5m0s).
    type: str
  config_file:
    description:
      - A C(trivy.yaml) to use (C(--config)), for example the one the
        C(bulwark.container_security.trivy) role writes. Its C(severity), C(exit-code),
        C(ignore-unfixed), C(ignore-status) and C(ignorefile) do not thin the report (see
        above); the gate options decide.
      - Read before Trivy runs; an unreadable file is refused, and so is one with both
        C(vulnerability.ignore-unfixed=true) and an C(ignore-status) list (Trivy drops
        C(ignore-unfixed) then, with only a warning).
    type: path
  insecure:
    description: Allow TLS connections without a verifiable certificate (registry or server).
    type: bool
    default: false
extends_documentation_fragment:
  - bulwark.container_security.trivy_gate
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.platform
attributes:
  check_mode:
    support: partial
    details:
      - In check mode Trivy is not run; the module returns the command it would run and
        C(skipped=true).
  diff_mode:
    support: none
    details: A scan changes nothing on the host but the optional report and output files.
notes:
  - C(changed) is true when O(report_path), O(junit_path), O(sarif_path), O(summary_markdown)
    or O(predicate_path) was written (appending to the GitHub job summary is not a change).
requirements:
  - trivy on the host running the module
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Scan an image through the fleet's Trivy server and fail on fixable HIGH/CRITICAL
  bulwark.container_security.trivy_scan:
    target: registry.example.com/app@sha256:0a1b...
    server: http://trivy.internal:4954
    token: "{{ vault_trivy_token }}"
    severity: HIGH
    ignore_unfixed: true
    report_path: /var/lib/trivy/reports/app.json
    junit_path: /var/lib/trivy/reports/app.junit.xml

- name: Scan a checkout with its own cache, collect the verdict
  bulwark.container_security.trivy_scan:
    target: "{{ playbook_dir }}/../app"
    kind: fs
    cache_dir: /var/cache/trivy/scan-app
    skip_db_update: true
    fail_on_blocking: false
  register: app_scan
"""

RETURN = r"""
command:
  description: The trivy command line (the token is never part of it).
  returned: always
  type: list
  elements: str
  sample: [trivy, image, --format, json, --quiet, --exit-code, "0", --severity,
           "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL", --ignore-unfixed=false, --ignore-status=,
           --ignorefile=, --output, /tmp/report.json, alpine:3.9]
passed:
  description: True when nothing blocks (also true, with C(skipped), in check mode).
  returned: always
  type: bool
summary:
  description: One screen of text - verdict, counts, the worst blocking findings, warnings.
  returned: when Trivy ran
  type: str
counts:
  description: Every finding of the report by severity.
  returned: when Trivy ran
  type: dict
blocking_counts:
  description: Blocking findings by severity.
  returned: when Trivy ran
  type: dict
blocking:
  description: Blocking findings (kind, id, package, installed, fixed, status, severity,
    target, class, type, url, title).
  returned: when Trivy ran
  type: list
  elements: dict
ignored:
  description: Findings hidden by VEX, ignore-unfixed or an ignore entry, each with its C(reason)
    (an ignore entry's also with C(ignore) - its C(statement) and C(expired_at); a VEX one
    with C(vex)).
  returned: when Trivy ran
  type: list
  elements: dict
tolerated:
  description: Findings within a severity budget.
  returned: when Trivy ran
  type: list
  elements: dict
blocking_omitted:
  description: Blocking findings left out of RV(blocking) (it lists at most 100; the JUnit
    and SARIF files have all of them).
  returned: when Trivy ran
  type: int
ignored_omitted:
  description: Ignored findings left out of RV(ignored) (at most 100 are listed).
  returned: when Trivy ran
  type: int
tolerated_omitted:
  description: Tolerated findings left out of RV(tolerated) (at most 100 are listed).
  returned: when Trivy ran
  type: int
budgets:
  description: Per budgeted severity, C(limit), C(found) and C(exceeded).
  returned: when Trivy ran
  type: dict
gate_warnings:
  description: Expired ignore entries and the findings they no longer hide.
  returned: when Trivy ran
  type: list
  elements: str
artifact:
  description: C(ArtifactName) of the report.
  returned: when Trivy ran
  type: str
artifact_type:
  description: C(ArtifactType) of a Trivy report (C(container_image), C(filesystem), ...), the
    source type of a Grype report; empty when the report names none.
  returned: when Trivy ran
  type: str
total:
  description: Number of findings in the report, ignored ones included.
  returned: when Trivy ran
  type: int
severity:
  description: The blocking severities as given (O(severity)), comma-separated.
  returned: when Trivy ran
  type: str
  sample: HIGH,CRITICAL
blocking_severities:
  description: The severities that block, as the gate read O(severity).
  returned: when Trivy ran
  type: list
  elements: str
  sample: [HIGH, CRITICAL]
ignore_unfixed:
  description: Whether findings without a fixed version were ignored (O(ignore_unfixed)).
  returned: when Trivy ran
  type: bool
report_format:
  description: Scanner format of the report, C(trivy) or C(grype).
  returned: when Trivy ran
  type: str
vex_suppressed:
  description: Number of findings VEX statements suppressed (listed in RV(ignored)).
  returned: when Trivy ran
  type: int
policy_denials:
  description: Messages of the Rego C(deny) rules; any message fails the gate.
  returned: when Trivy ran
  type: list
  elements: str
policy_warnings:
  description: Messages of the Rego C(warn) rules (also in RV(gate_warnings)).
  returned: when Trivy ran
  type: list
  elements: str
step_summary:
  description: The GitHub job summary file (E(GITHUB_STEP_SUMMARY)) the Markdown summary was
    appended to; empty when not running under GitHub Actions.
  returned: when Trivy ran
  type: str
os_denials:
  description: Messages of the O(os_rules) the report fails (empty without O(os_rules)).
  returned: when Trivy ran
  type: list
  elements: str
report_path:
  description: Where the report was kept (empty when it was temporary).
  returned: always
  type: str
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.scan.module import (  # noqa: E402
    ScanModule,
)


def main():
    ScanModule(required_by={"token_header": ("server",), "token": ("server",)}).scan()


if __name__ == "__main__":
    main()
