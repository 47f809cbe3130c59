# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters for the falco role (logic in module_utils.falco.config and module_utils.falco)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.alerts import (
    AlertsError,
    alerts_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.config import (
    config_errors,
    gpg_primary_fingerprints,
    validate_argv,
)


def falco_config_errors(config, schema):
    """Falco config schema violations of a drop-in mapping, as readable strings."""
    try:
        expect(config, dict, "falco_config_errors: the drop-in")
        expect(schema, (dict, str), "falco_config_errors: the schema")
        return config_errors(config, schema)
    except ValueError as exc:   # InputError, a schema that is not JSON
        raise AnsibleFilterError(str(exc)) from exc


def falco_library_errors(variables):
    """Problems of the rules library's variables (names, allowlists, falco_rule_exceptions)."""
    return rules_library.problems(variables)


def falco_rules_library(variables):
    """The rules library's YAML text for the role's variables (rules_library.py; the Pulumi
    program calls the same builder)."""
    try:
        return rules_library.build_rules_library(variables)
    except ValueError as exc:
        raise AnsibleFilterError(f"falco_rules_library: {exc}") from exc


def falco_alerts_config(alerts):
    """The output sections of the Falco drop-in for falco_alerts (stdout/syslog on unless false)."""
    try:
        return alerts_config(alerts)
    except AlertsError as exc:
        raise AnsibleFilterError(str(exc)) from exc


class FilterModule:
    def filters(self):
        return {
            "falco_config_errors": falco_config_errors,
            "falco_alerts_config": falco_alerts_config,
            "falco_library_errors": falco_library_errors,
            "falco_rules_library": falco_rules_library,
            "falco_gpg_primary_fingerprints": gpg_primary_fingerprints,
            "falco_rules_validate_argv": validate_argv,
        }
