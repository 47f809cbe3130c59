# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What the notation modules do: sign one image by digest, verify it against the trust policy.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.notation.runner import (
    Notation,
    pem_fingerprint,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    REASONS,
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.references import (
    by_digest,
)


def signed_by(signatures: list, digest: str, fingerprint: str, user_metadata: dict) -> list:
    """The signatures of `digest` made with the certificate `fingerprint` that carry every
    pair of `user_metadata`."""
    return [s for s in signatures
            if s["signed_digest"] == digest and s["fingerprint"] == fingerprint
            and all(s["user_metadata"].get(k) == v for k, v in user_metadata.items())]


def sign_image(notation: Notation, image: str, *, key: str | None = None, fmt: str = "jws",
               user_metadata: dict | None = None, force: bool = False,
               check_mode: bool = False) -> dict:
    """Sign `image` by digest unless it already carries a signature by the same certificate
    (and the same user metadata)."""
    user_metadata = user_metadata or {}
    digest = notation.resolve_digest(image)
    ref = by_digest(image, digest)
    notation.sign_argv(ref, key, fmt, user_metadata)  # bad input fails before the registry
    result = {"digest": digest, "image": ref, "changed": False, "signed_before": False}
    if not force:
        pem = notation.signing_certificate(key)
        if pem:
            mine = signed_by(notation.signatures(ref), digest, pem_fingerprint(pem),
                             user_metadata)
            if mine:
                result.update(signed_before=True, signature=mine[-1]["digest"])
                return result
    result["changed"] = True
    if check_mode:
        return result
    notation._check(notation.sign_argv(ref, key, fmt, user_metadata), what=f"signing {ref}")
    return result


def verify_image(notation: Notation, image: str, *, expected_digest: str | None = None,
                 user_metadata: dict | None = None) -> dict:
    """Verify `image` (resolved to its digest first) against the trust policy and trust store
    in notation's configuration directory. Raises CosignError with a reason."""
    digest = notation.resolve_digest(image)
    if expected_digest and expected_digest != digest:
        raise CosignError("digest_mismatch", f"{image} now points to {digest}, not the "
                          f"expected {expected_digest}: {REASONS['digest_mismatch']}")
    ref = by_digest(image, digest)
    notation._check(notation.verify_argv(ref, user_metadata), what=f"verifying {ref}")
    return {"digest": digest, "image": ref, "verified": True}
