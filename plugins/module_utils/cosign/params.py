# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Module options of the cosign_* modules as plain data, and the per-image loop.

No Ansible imports: module.py (the only file here that touches AnsibleModule) and the
tests use these.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.errors import (
    DIGEST_RE,
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.references import (
    parse_reference,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.runner import (
    Cosign,
    Regexp,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    url_error,
)

# Options every cosign_* and notation_* module takes: a registry login and CA (module.py
# writes the login to a temporary docker config the tools read).
REGISTRY_ARGUMENT_SPEC = {
    "registry_username": {"type": "str"},
    "registry_password": {"type": "str", "no_log": True},
    "registry_ca_path": {"type": "path"},
}

# Options every cosign_* module takes (plain data; the modules add it to their spec).
COMMON_ARGUMENT_SPEC = {
    **REGISTRY_ARGUMENT_SPEC,
    "cosign_path": {"type": "path", "default": "cosign"},
    "cosign_major": {"type": "int", "choices": [2, 3]},
    "crane_path": {"type": "path"},
    "insecure_registry": {"type": "bool", "default": False},
    "transparency_log": {"type": "bool", "default": True},
}


# Option groups more than one module takes; each module documents them in its DOCUMENTATION.
IMAGES_ARGUMENT_SPEC = {      # cosign_sign, cosign_verify: one image or several
    "image": {"type": "str"},
    "images": {"type": "list", "elements": "str"},
    "parallel": {"type": "int", "default": 1},
}
SIGNING_ARGUMENT_SPEC = {     # cosign_sign, cosign_attest: the private key and what to write
    "key": {"type": "str", "required": True, "no_log": False},
    "key_password": {"type": "str", "no_log": True},
    "public_key": {"type": "str", "no_log": False},
    "signature_format": {"type": "str", "choices": ["legacy", "bundle"], "default": "legacy"},
    "force": {"type": "bool", "default": False},
}
KEYLESS_SIGNING_ARGUMENT_SPEC = {  # cosign_sign: Fulcio certificate instead of a key
    "identity_token": {"type": "str", "no_log": True},
    "fulcio_url": {"type": "str"},
    "rekor_url": {"type": "str"},
    "trusted_root": {"type": "path"},
    "certificate_identity": {"type": "str"},
    "certificate_oidc_issuer": {"type": "str"},
}
TRUST_ARGUMENT_SPEC = {       # cosign_verify, cosign_verify_attestation: whom to trust
    "public_keys": {"type": "list", "elements": "str", "no_log": False},
    "key_match": {"type": "str", "choices": ["any", "all"], "default": "any"},
    "certificate_identity": {"type": "str"},
    "certificate_identity_regexp": {"type": "str"},
    "certificate_oidc_issuer": {"type": "str"},
    "certificate_oidc_issuer_regexp": {"type": "str"},
}
TRUST_CONSTRAINTS = {
    "required_one_of": [("public_keys", "certificate_identity", "certificate_identity_regexp")],
    "mutually_exclusive": [("certificate_identity", "certificate_identity_regexp"),
                           ("certificate_oidc_issuer", "certificate_oidc_issuer_regexp")],
}

# O(parallel): images handled at a time (one tool process each); more only queues on
# the registry.
PARALLEL_MAX = 32


def check_image_options(params: dict) -> None:
    """Refuse bad image options before anything runs (no probe, no key read, no process):
    every O(image)/O(images) entry must be a reference (references.parse_reference),
    O(parallel) in 1..PARALLEL_MAX, O(expected_digest) a sha256 digest. Raises CosignError
    whose message names the option and what is accepted."""
    images = [("image", params["image"])] if params.get("image") is not None else []
    images += [(f"images[{i}]", v) for i, v in enumerate(params.get("images") or [])]
    for option, value in images:
        try:
            parse_reference(value)
        except CosignError as e:
            raise CosignError("image_not_found", f"{option}: {e.message}") from None
    parallel = params.get("parallel")
    if parallel is not None and not 1 <= parallel <= PARALLEL_MAX:
        raise CosignError("cosign_failed", f"parallel={parallel} is out of range; accepted: "
                          f"1 to {PARALLEL_MAX} images at a time")
    for option in ("fulcio_url", "rekor_url"):
        problem = url_error(params[option], option) if params.get(option) else None
        if problem:
            raise CosignError("cosign_failed", problem)
    digest = params.get("expected_digest")
    if digest is not None and not DIGEST_RE.match(digest):
        raise CosignError("cosign_failed", f"expected_digest={digest!r} is not a digest; "
                          "accepted: sha256:<64 lowercase hex> (the one digest algorithm "
                          "these modules handle)")


def keyless_signing(params: dict) -> dict:
    """The keyless options of cosign_sign as flows.sign_image takes them (empty with a key)."""
    if params.get("key"):
        return {}
    return {"identity_token": params.get("identity_token"),
            "fulcio_url": params.get("fulcio_url"), "rekor_url": params.get("rekor_url"),
            "trusted_root": params.get("trusted_root"),
            "identity": params.get("certificate_identity"),
            "issuer": params.get("certificate_oidc_issuer")}


def keyless_identity(params: dict) -> tuple:
    """(identity, issuer) of a verify module, each exact or a runner.Regexp."""
    def one(exact, regexp):
        if params.get(regexp):
            return Regexp(params[regexp])
        return params.get(exact)
    return (one("certificate_identity", "certificate_identity_regexp"),
            one("certificate_oidc_issuer", "certificate_oidc_issuer_regexp"))


def public_key_options(params: dict) -> list:
    """The trusted public keys of a verify module, each checked by read_key_option."""
    return [read_key_option(k) for k in params.get("public_keys") or []]


def cosign_from_params(params: dict, run, registry_get=None) -> Cosign:
    return Cosign(params["cosign_path"], run=run, major=params.get("cosign_major"),
                  insecure_registry=params["insecure_registry"],
                  offline=not params["transparency_log"], crane=params.get("crane_path"),
                  registry_get=registry_get)


def read_key_option(value: str) -> str:
    """A public key option: PEM text, a KMS reference, or a file path (checked here so that
    a missing file fails with its name rather than with cosign's parse error)."""
    if "-----BEGIN" in value or "://" in value:
        return value
    try:
        with open(value):
            return value
    except OSError as e:
        raise CosignError("key_unreadable", f"public key file {value!r} cannot be read: "
                          f"{e.strerror}") from e


def for_each(images: list, parallel: int, fn) -> list:
    """fn(image) for each image, `parallel` at a time; a CosignError becomes a failed entry
    ({image, failed, reason, msg, ...}) so one bad image does not hide the others."""
    from concurrent.futures import ThreadPoolExecutor

    def one(img):
        try:
            return dict(fn(img), failed=False)
        except CosignError as e:
            out = e.as_dict()
            out.update(image=img, failed=True)
            return out
    if parallel <= 1 or len(images) < 2:
        return [one(i) for i in images]
    with ThreadPoolExecutor(max_workers=min(parallel, len(images))) as pool:
        return list(pool.map(one, images))


def summarize_failures(results: list) -> str:
    bad = [r for r in results if r.get("failed")]
    return f"{len(bad)} of {len(results)} image(s) failed: " + "; ".join(
        r["msg"] for r in bad)
