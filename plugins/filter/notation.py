# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filter building notation's trustpolicy.json (logic in module_utils/notation/trust_policy)."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.notation import (
    trust_policy as notation_trust,
)


def notation_trust_policy(statements, certificates=None, extra_stores=None):
    """{'policy': trustpolicy.json document, 'stores': ['ca:name', ...]} or {'error': message}.

    With ``certificates`` (the role's notation_trusted_certificates) every store the policy
    names must be filled by one of them or be in ``extra_stores``."""
    try:
        policy = notation_trust.trust_policy(statements)
        if certificates is not None:
            notation_trust.check_stores_filled(statements, notation_trust.certificate_stores(
                certificates) + list(extra_stores or []))
        return {"policy": policy, "stores": notation_trust.trust_store_names(statements)}
    except notation_trust.TrustPolicyError as exc:
        return {"error": str(exc)}


class FilterModule:
    def filters(self):
        return {"notation_trust_policy": notation_trust_policy}
