# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Failure reasons of the ship layer (cosign and notation), the error class that carries one.
"""
from __future__ import annotations

import re

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    printable,
    redact,
)

# Failure reasons a person can act on; `reason` is stable, `message` is for humans.
REASONS = {
    "no_signature": "no signature found for this image",
    "wrong_key": "the image is signed, but not by any of the trusted keys",
    "digest_mismatch": "the image digest differs from the signed or expected digest "
                       "(the image changed after signing)",
    "registry_unreachable": "the registry could not be reached",
    "registry_auth": "the registry refused the login (wrong or missing registry_username / "
                     "registry_password, or no access to this repository)",
    "image_not_found": "the image (tag or digest) does not exist in the registry",
    "bad_password": "the private key could not be decrypted (wrong password?)",
    "key_unreadable": "the key could not be read",
    "predicate_mismatch": "no attestation of the requested predicate type",
    "no_attestation": "no attestation found for this image",
    "trust_policy": "no trust policy applies to this image, or the trust policy or trust store "
                    "is missing or invalid",
    "unsupported": "the installed cosign cannot do this",
    "cosign_failed": "cosign failed",
}


DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}\Z")  # \Z: "$" would accept a trailing newline


class CosignError(Exception):
    """A failure with a stable `reason` (key of REASONS) and a message a person understands."""

    def __init__(self, reason: str, message: str, detail: str = "", cmd=None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.detail = detail
        self.cmd = cmd or []

    def as_dict(self) -> dict:
        """The failure as a module result: every text through the one redaction (URL userinfo,
        keyed credentials), control characters escaped."""
        return {"reason": self.reason, "msg": printable(redact(self.message)),
                "stderr": printable(redact(self.detail)),
                "cmd": [redact(str(part)) for part in self.cmd]}
