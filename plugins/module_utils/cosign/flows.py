# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What the cosign modules do: sign, verify, attest and verify attestations of one image.
"""
from __future__ import annotations

import json

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.layouts import (
    LAYOUT_BUNDLE_UNKNOWN,
    LAYOUT_LEGACY,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.registry import (
    detect_layout,
    has_layout_in,
    layout_of,
    stored_layouts,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.runner import (
    Cosign,
    parse_attestations,
    payload_digests,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.predicates import (
    PREDICATE_TYPES,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    REASONS,
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.references import (
    by_digest,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.runner import (
    classify,
    last_error_line,
)


# --------------------------------------------------------------------------- operations
def _stored_layout(cosign: Cosign, image: str, digest: str, fmt: str) -> str:
    return detect_layout(image, digest, fmt, cosign.insecure, cosign.registry_get)


def sign_image(cosign: Cosign, image: str, key: str | None, *, password: str | None = None,
               public_key: str | None = None, fmt: str = "legacy",
               annotations: dict | None = None, force: bool = False,
               check_mode: bool = False, keyless: dict | None = None) -> dict:
    """Sign `image` by digest unless a valid signature by the same key already exists.

    `key` None signs keyless with `keyless`: identity_token (written to a 0600 temporary file
    whose path cosign reads, removed afterwards), fulcio_url, rekor_url, trusted_root, and
    identity + issuer, which make "already signed" a verify by that identity. Without them
    a keyless signer cannot tell its own signature and signs again."""
    env = {"COSIGN_PASSWORD": password} if password is not None else {}
    keyless = dict(keyless or {})
    cosign.check_sign_format(fmt)
    cosign.check_keyless(keyless)
    digest = cosign.resolve_digest(image)
    ref = by_digest(image, digest)
    result = {"digest": digest, "image": ref, "format": fmt, "changed": False}
    # A registry that answers shows at once when no signature of that layout exists yet:
    # then there is nothing to verify and signing is the only way forward.
    stored = stored_layouts(image, digest, cosign.insecure, cosign.registry_get,
                            referrers=fmt != "legacy")
    nothing_stored = stored is not None and not has_layout_in(stored, fmt)
    identity, issuer = keyless.get("identity"), keyless.get("issuer")
    can_check = bool(key) or bool(identity and issuer)
    if not force and not nothing_stored and can_check:
        if key:
            if not public_key:
                public_key = cosign.public_key(key, env)
            with _temp_key(public_key) as pub:
                # A 2.x verifier reads bundles only when asked; a 3.x one reads both unless
                # told `legacy`, so the existing signature must be in the requested layout.
                payloads, err = cosign.try_verify(ref, key=pub, fmt=fmt, annotations=annotations)
        else:
            payloads, err = cosign.try_verify(ref, identity=identity, issuer=issuer, fmt=fmt,
                                              annotations=annotations, keyless=keyless)
        # what the registry listed before the verify still holds (verifying writes nothing):
        # no second probe of the same tags in the already-signed check
        if payloads and digest in payload_digests(payloads) \
                and (stored is None or has_layout_in(stored, fmt)):
            result["layout"] = (_stored_layout(cosign, image, digest, fmt) if stored is None
                                else layout_of(stored, fmt))
            result["signed_before"] = True
            return result
        if err and err.reason in ("registry_unreachable", "image_not_found"):
            raise err
    result.update(changed=True, signed_before=False)
    if check_mode:
        result["layout"] = LAYOUT_LEGACY if fmt == "legacy" else LAYOUT_BUNDLE_UNKNOWN
        return result
    with _token_file(keyless.pop("identity_token", None)) as token_file:
        argv = cosign.sign_argv(ref, key, fmt, annotations,
                                keyless=dict(keyless, token_file=token_file))
        cosign._check(argv, env, what=f"signing {ref}")
    result["layout"] = _stored_layout(cosign, image, digest, fmt)
    return result


def verify_image(cosign: Cosign, image: str, *, public_keys: list | None = None,
                 mode: str = "any", identity: str | None = None, issuer: str | None = None,
                 expected_digest: str | None = None, fmt: str | None = None,
                 annotations: dict | None = None) -> dict:
    """Verify `image` (resolved to its digest first) against keys (any/all) or an identity.

    Raises CosignError with the reason of the most telling failure."""
    if mode not in ("any", "all"):
        raise CosignError("unsupported", f"key_match={mode!r}; expected any or all")
    digest = cosign.resolve_digest(image)
    if expected_digest and expected_digest != digest:
        raise CosignError("digest_mismatch", f"{image} now points to {digest}, not the "
                          f"expected {expected_digest}: {REASONS['digest_mismatch']}")
    ref = by_digest(image, digest)
    checks = []
    if public_keys:
        for pk in public_keys:
            with _temp_key(pk) as path:
                payloads, err = cosign.try_verify(ref, key=path, fmt=fmt,
                                                  annotations=annotations)
            checks.append((_key_label(pk), payloads, err))
    else:
        payloads, err = cosign.try_verify(ref, identity=identity, issuer=issuer, fmt=fmt,
                                          annotations=annotations)
        checks.append((identity or "identity", payloads, err))
    for label, payloads, err in checks:
        if payloads is not None and digest not in payload_digests(payloads):
            checks[checks.index((label, payloads, err))] = (label, None, CosignError(
                "digest_mismatch", f"{ref}: signature payload names "
                f"{payload_digests(payloads)}: {REASONS['digest_mismatch']}"))
    ok = [c for c in checks if c[1] is not None]
    failed = [c for c in checks if c[1] is None]
    passed = bool(ok) and (mode == "any" or not failed)
    result = {"digest": digest, "image": ref, "verified": passed,
              "verified_keys": [c[0] for c in ok],
              "payloads": [p for c in ok for p in c[1]]}
    if passed:
        return result
    raise _most_telling(ref, failed, mode)


def _most_telling(ref: str, failed: list, mode: str) -> CosignError:
    order = ["registry_unreachable", "image_not_found", "digest_mismatch", "bad_password",
             "key_unreadable", "predicate_mismatch", "wrong_key", "no_attestation",
             "no_signature", "unsupported", "cosign_failed"]
    errs = sorted((c[2] for c in failed), key=lambda e: order.index(e.reason)
                  if e.reason in order else len(order))
    first = errs[0]
    who = ", ".join(c[0] for c in failed)
    scope = "required key(s)" if mode == "all" else "trusted key(s)"
    msg = f"{ref}: {REASONS[first.reason]} [{scope}: {who}] ({last_error_line(first.detail)})" \
        if first.detail else f"{first.message} [{scope}: {who}]"
    return CosignError(first.reason, msg, first.detail, first.cmd)


def attest_image(cosign: Cosign, image: str, key: str, *, predicate_path: str,
                 ptype: str, password: str | None = None, public_key: str | None = None,
                 fmt: str = "legacy", force: bool = False, check_mode: bool = False) -> dict:
    """Attach a signed in-toto attestation unless the same predicate is already attested."""
    env = {"COSIGN_PASSWORD": password} if password is not None else {}
    digest = cosign.resolve_digest(image)
    ref = by_digest(image, digest)
    try:
        with open(predicate_path, "rb") as f:
            wanted = json.loads(f.read())
    except (OSError, ValueError) as e:
        raise CosignError("cosign_failed", f"predicate {predicate_path!r} is not a readable "
                          f"JSON file: {e}") from e
    result = {"digest": digest, "image": ref, "predicate_type": PREDICATE_TYPES.get(ptype, ptype),
              "changed": False}
    if not force:
        if not public_key:
            public_key = cosign.public_key(key, env)
        with _temp_key(public_key) as pub:
            rc, out, err = cosign._exec(cosign.verify_attestation_argv(
                ref, ptype, key=pub, fmt=fmt if fmt == "legacy" else None))
        if rc == 0 and any(_same_predicate(s.get("predicate"), wanted)
                           for s in parse_attestations(out, include_predicate=True)):
            result["layout"] = _stored_layout(cosign, image, digest, fmt)
            return result
        if rc != 0 and classify(err) in ("registry_unreachable", "image_not_found"):
            raise cosign.error(err, cosign.commands[-1], f"checking {ref}")
    result["changed"] = True
    if check_mode:
        return result
    cosign._check(cosign.attest_argv(ref, key, predicate_path, ptype, fmt), env,
                  what=f"attesting {ref}")
    result["layout"] = _stored_layout(cosign, image, digest, fmt)
    return result


# Fields an SBOM generator changes on every run for the same content (checked with syft
# 1.18: CycloneDX serialNumber + metadata.timestamp, SPDX creationInfo.created +
# documentNamespace). Two SBOMs differing only there describe the same image.
VOLATILE_SBOM_FIELDS = (("serialNumber",), ("metadata", "timestamp"),
                        ("creationInfo", "created"), ("documentNamespace",))


def sbom_content(predicate):
    """The predicate without generation-time fields, for idempotence comparisons."""
    if not isinstance(predicate, dict):
        return predicate
    out = json.loads(json.dumps(predicate))
    for path in VOLATILE_SBOM_FIELDS:
        node = out
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return out


def _same_predicate(have, wanted) -> bool:
    # cosign wraps `custom` predicates as {"Data": ..., "Timestamp": ...}.
    if isinstance(have, dict) and set(have) == {"Data", "Timestamp"}:
        have = have["Data"]
        if isinstance(have, str):
            try:
                have = json.loads(have)
            except ValueError:
                pass
    return sbom_content(have) == sbom_content(wanted)


def verify_attestation(cosign: Cosign, image: str, ptype: str, *, public_keys: list | None = None,
                       mode: str = "any", identity: str | None = None,
                       issuer: str | None = None, include_predicate: bool = False) -> dict:
    digest = cosign.resolve_digest(image)
    ref = by_digest(image, digest)
    checks = []
    for pk in (public_keys or [None]):
        if pk is None:
            argv = cosign.verify_attestation_argv(ref, ptype, identity=identity, issuer=issuer)
            label = identity or "identity"
            rc, out, err = cosign._exec(argv)
        else:
            with _temp_key(pk) as path:
                argv = cosign.verify_attestation_argv(ref, ptype, key=path)
                rc, out, err = cosign._exec(argv)
            label = _key_label(pk)
        if rc == 0:
            checks.append((label, parse_attestations(out, include_predicate), None))
        else:
            checks.append((label, None, cosign.error(err, argv, f"verifying {ref}")))
    ok = [c for c in checks if c[1] is not None]
    failed = [c for c in checks if c[1] is None]
    if ok and (mode == "any" or not failed):
        return {"digest": digest, "image": ref, "verified": True,
                "predicate_type": PREDICATE_TYPES.get(ptype, ptype),
                "verified_keys": [c[0] for c in ok],
                "attestations": [a for c in ok for a in c[1]]}
    raise _most_telling(ref, failed, mode)


# --------------------------------------------------------------------------- helpers
def _key_label(pk: str) -> str:
    """A short, non-secret name for a public key (path, KMS ref or PEM fingerprint)."""
    if "-----BEGIN" not in pk:
        return pk
    import hashlib
    body = "".join(x for x in pk.splitlines() if x and not x.startswith("-----"))
    return "pem:sha256:" + hashlib.sha256(body.encode()).hexdigest()[:16]


class _token_file:
    """An identity token in a private (0600) temporary file, removed on exit; cosign's
    --identity-token takes the path, so the token is never in argv or the environment."""

    def __init__(self, token: str | None):
        self.token = token
        self.path = None

    def __enter__(self) -> str | None:
        if not self.token:
            return None
        import os
        import tempfile
        fd, self.path = tempfile.mkstemp(prefix="bulwark-cosign-", suffix=".token")
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(self.token)
        return self.path

    def __exit__(self, *exc):
        if self.path:
            import os
            try:
                os.unlink(self.path)
            except FileNotFoundError:
                pass
        return False


class _temp_key:
    """A PEM string written to a private temporary file; a path or KMS ref passes through."""

    def __init__(self, key: str):
        self.key = key
        self.path = None

    def __enter__(self) -> str:
        if "-----BEGIN" not in self.key:
            return self.key
        import os
        import tempfile
        fd, self.path = tempfile.mkstemp(prefix="bulwark-cosign-", suffix=".pub")
        with os.fdopen(fd, "w") as f:
            f.write(self.key if self.key.endswith("\n") else self.key + "\n")
        return self.path

    def __exit__(self, *exc):
        if self.path:
            import os
            os.unlink(self.path)
        return False
