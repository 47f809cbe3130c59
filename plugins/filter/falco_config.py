# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters for the falco role (logic in module_utils.falco_config)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.alerts import (
    AlertsError,
    alerts_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.library import (
    library_errors,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco_config import (
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
    """Problems of the rules library's variables (allowlists, falco_rule_exceptions)."""
    try:
        return library_errors(expect(variables, dict, "falco_library_errors: the variables"))
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from exc


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
            "falco_gpg_primary_fingerprints": gpg_primary_fingerprints,
            "falco_rules_validate_argv": validate_argv,
        }
