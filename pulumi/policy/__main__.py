# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Bulwark's pod security controls as a Pulumi CrossGuard policy pack.

    pulumi preview --policy-pack policy --policy-pack-config rendered/policy-pack-config.json

(needs the Pulumi CLI). Each policy's configuration is pulumi-policy's: an enforcement level and
the properties of its config_schema; render.py writes a config file from the stack's settings.
"""
from pack import initial_config, policies
from pulumi_policy import (
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyPack,
    ResourceValidationPolicy,
)


def _initial_config() -> dict:
    return {name: {**config, "enforcementLevel": EnforcementLevel(config["enforcementLevel"])}
            for name, config in initial_config().items()}


PolicyPack(
    name="bulwark-pod-security",
    enforcement_level=EnforcementLevel.ADVISORY,
    initial_config=_initial_config(),
    policies=[
        ResourceValidationPolicy(
            name=policy.name, description=policy.description, validate=policy.validate,
            config_schema=PolicyConfigSchema(**policy.config_schema))
        for policy in policies()
    ],
)
