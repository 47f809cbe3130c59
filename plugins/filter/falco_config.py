"""Filters for the falco role (logic in module_utils.falco_config)."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.falco_config import (
    config_errors,
    gpg_primary_fingerprints,
    validate_argv,
)


def falco_config_errors(config, schema):
    """Falco config schema violations of a drop-in mapping, as readable strings."""
    return config_errors(config, schema)


class FilterModule:
    def filters(self):
        return {
            "falco_config_errors": falco_config_errors,
            "falco_gpg_primary_fingerprints": gpg_primary_fingerprints,
            "falco_rules_validate_argv": validate_argv,
        }
