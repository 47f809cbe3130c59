# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Bulwark's pod security controls as a Pulumi CrossGuard policy pack.

    pulumi preview --policy-pack pulumi/policy     (needs the Pulumi CLI)
"""
from pack import policies
from pulumi_policy import EnforcementLevel, PolicyPack, ResourceValidationPolicy

PolicyPack(
    name="bulwark-pod-security",
    enforcement_level=EnforcementLevel.ADVISORY,
    policies=[
        ResourceValidationPolicy(
            name=name, description=description, validate=validate,
            enforcement_level=EnforcementLevel.MANDATORY if mandatory
            else EnforcementLevel.ADVISORY)
        for name, description, mandatory, validate in policies()
    ],
)
