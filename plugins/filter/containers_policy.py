# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters building containers/image policy documents (logic in module_utils/containers_policy)."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    expect_items,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.policy_json import (
    PolicyError,
    build_policy,
    kms_ref_error,
    registries_d_documents,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)


def containers_policy(requirements, default="insecureAcceptAnything",
                      key_dir="/etc/bulwark/cosign/trusted-keys", known_keys=None):
    """{'policy': policy.json document} or {'error': message} for input containers/image rejects."""
    try:
        expect_items(requirements, list, "requirements", dict)
        expect_items(known_keys, list, "known_keys", str, optional=True)
        expect(default, str, "default")
        expect(key_dir, str, "key_dir")
        return {"policy": build_policy(requirements, default=default, key_dir=key_dir,
                                       known_keys=known_keys)}
    except (PolicyError, InputError) as exc:
        return {"error": str(exc)}


def containers_registries_d(requirements):
    """{'documents': {name: registries.d document}} or {'error': message}."""
    try:
        return {"documents": registries_d_documents(
            expect_items(requirements, list, "requirements", dict))}
    except (PolicyError, InputError) as exc:
        return {"error": str(exc)}


def cosign_kms_ref_error(ref):
    """'' for a KMS key reference cosign accepts, else why it is refused."""
    return kms_ref_error(ref)


class FilterModule:
    def filters(self):
        return {
            "containers_policy": containers_policy,
            "containers_registries_d": containers_registries_d,
            "cosign_kms_ref_error": cosign_kms_ref_error,
        }
