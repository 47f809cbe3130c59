# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters over the Trivy gate (logic in plugins/module_utils/trivy/).

    {{ report | bulwark.container_security.trivy_gate(severity='HIGH', ignore_unfixed=true) }}
    {{ [result1, result2] | bulwark.container_security.trivy_junit }}
    {{ report | bulwark.container_security.trivy_vuln_predicate(result) }}
"""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    expect_items,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
    load_json,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.gate import gate
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.reports import (
    to_junit,
    to_vuln_predicate,
)


def _report(value):
    if isinstance(value, str):
        try:
            return load_json(value, "trivy report")
        except InputError as exc:
            raise AnsibleFilterError(f"trivy report is not JSON: {exc}") from exc
    return value


def trivy_gate(report, severity="HIGH", ignore_unfixed=False, ignores=None,  # noqa: PLR0917
               budgets=None, today=None):
    """Gate one Trivy JSON report (mapping or JSON text); returns the gate result."""
    try:
        return gate(_report(report), severity=severity, ignore_unfixed=ignore_unfixed,
                    ignores=ignores, budgets=budgets, today=today)
    except ValueError as exc:
        raise AnsibleFilterError(f"trivy_gate: {exc}") from exc


def trivy_junit(results):
    """JUnit XML of one gate result or a list of them (module results work too)."""
    try:
        expect_items(results, (dict, list), "trivy_junit: the results", dict)
        return to_junit(results)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


def trivy_vuln_predicate(report, result=None):
    """Cosign vuln predicate (https://cosign.sigstore.dev/attestation/vuln/v1) of a report."""
    report = _report(report)
    try:
        expect(report, dict, "trivy_vuln_predicate: the report")
        expect(result, dict, "trivy_vuln_predicate: the gate result", optional=True)
        return to_vuln_predicate(report, result)
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {
            "trivy_gate": trivy_gate,
            "trivy_junit": trivy_junit,
            "trivy_vuln_predicate": trivy_vuln_predicate,
        }
