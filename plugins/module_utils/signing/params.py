# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Module options both signers take as plain data (registry login, one image or several),
the image option checks, and the per-image loop.

No Ansible imports: signing/module.py (ImageModule) and the tests use these.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    url_error,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    DIGEST_RE,
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.references import (
    parse_reference,
)

# Options every cosign_* and notation_* module takes: a registry login and CA (module.py
# writes the login to a temporary docker config the tools read).
REGISTRY_ARGUMENT_SPEC = {
    "registry_username": {"type": "str"},
    "registry_password": {"type": "str", "no_log": True},
    "registry_ca_path": {"type": "path"},
}

# O(image) or O(images), and O(parallel) of them at a time.
IMAGES_ARGUMENT_SPEC = {      # cosign_sign, cosign_verify: one image or several
    "image": {"type": "str"},
    "images": {"type": "list", "elements": "str"},
    "parallel": {"type": "int", "default": 1},
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
