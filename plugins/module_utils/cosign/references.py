# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Image references: registry, repository, tag and digest; signature tag names.
"""
from __future__ import annotations

import re

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.errors import (
    DIGEST_RE,
    CosignError,
)

# distribution/reference (reference.go): NameTotalLengthMax = 255, "repository name must not
# be more than 255 characters" (the name as spelled: registry host and repository path).
NAME_TOTAL_LENGTH_MAX = 255
# The characters of the distribution reference grammar: domain, path components, tag
# ([\w][\w.-]{0,127}) and digest. Anything else (';', '$', '`', quotes, spaces) is refused.
_REFERENCE_CHARS = re.compile(r"[A-Za-z0-9_.:/@-]+")
NOT_A_REFERENCE = "(expected registry/repository[:tag][@sha256:<64 hex>])"


def parse_reference(ref: str) -> dict:
    """'host:port/repo:tag@sha256:..' -> {registry, repository, tag, digest}.

    A first path component with a '.' or ':' or equal to 'localhost' is a registry,
    as in the distribution reference grammar; otherwise the registry is docker.io.
    A reference starting with '-' (it would reach a tool's argv as an option), with a
    character outside the grammar, or with a name over 255 characters is refused."""
    if not ref or ref.startswith("-") or not _REFERENCE_CHARS.fullmatch(ref):
        shown = ref if len(ref or "") <= 300 else f"{ref[:120]}...({len(ref)} characters)"
        raise CosignError("image_not_found", f"image reference {shown!r} is not a reference "
                          + NOT_A_REFERENCE)
    name, digest = ref, None
    if "@" in ref:
        name, digest = ref.split("@", 1)
        if not DIGEST_RE.match(digest):
            raise CosignError("image_not_found", f"image reference {ref!r} has a malformed "
                              "digest (expected sha256:<64 lowercase hex>)")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    if len(name) > NAME_TOTAL_LENGTH_MAX:
        raise CosignError("image_not_found", f"image reference {ref[:120]!r}... is not a "
                          f"reference: its name has {len(name)} characters, at most "
                          f"{NAME_TOTAL_LENGTH_MAX} are accepted (distribution/reference)")
    first, _sep, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = "docker.io", name
        if "/" not in repository:
            repository = f"library/{repository}"
    if not repository or repository != repository.lower():
        raise CosignError("image_not_found", f"image reference {ref!r}: repository must be "
                          "non-empty lowercase")
    return {"registry": registry, "repository": repository, "tag": tag, "digest": digest}


def repository_of(ref: str) -> str:
    """The reference without tag or digest, as the user spelled the registry."""
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[0] if ":" in last else name


def by_digest(ref: str, digest: str) -> str:
    return f"{repository_of(ref)}@{digest}"


def signature_tag(digest: str, suffix: str = "sig") -> str:
    """sha256:<hex> -> 'sha256-<hex>.sig' (legacy) or 'sha256-<hex>' (bundle fallback)."""
    tag = digest.replace(":", "-", 1)
    return f"{tag}.{suffix}" if suffix else tag
