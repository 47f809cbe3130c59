# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters over the build gate (logic in plugins/module_utils/scan/).

    {{ [result1, result2] | bulwark.container_security.build_gate_sarif | to_nice_json }}
"""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.sarif import (
    to_sarif,
)


def build_gate_sarif(results, include_ignored=True, findings="all"):
    """SARIF 2.1.0 log (a mapping) of one gate result or a list of them (module results work)."""
    try:
        return to_sarif(results, include_ignored=include_ignored, findings=findings)
    except ValueError as exc:
        raise AnsibleFilterError(f"build_gate_sarif: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"build_gate_sarif": build_gate_sarif}
