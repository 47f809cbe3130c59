# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Image references: registry, repository, tag and digest; signature tag names.
"""
from __future__ import annotations

import re

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    MASK,
    printable,
    redact,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
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
    character outside the grammar, or with a name over 255 characters is refused.
    A reference with userinfo (``user:password@host/...`` or ``https://user:pw@host/...``) is
    refused with a message that does not show it: credentials go in registry_username /
    registry_password, never in a reference that reaches argv, logs and results."""
    userinfo = _userinfo(ref)
    if userinfo is not None:
        raise CosignError("image_not_found", f"image reference {_without(ref, userinfo)!r} "
                          "holds credentials (userinfo before '@'); they are not shown. "
                          "Give the login in registry_username and registry_password "
                          + NOT_A_REFERENCE)
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


def _userinfo(ref):
    """The userinfo part of a reference written with credentials, or None.

    '@' in a reference is only the digest separator: a reference whose '@' is not followed by
    'sha256:' (``user:pw@host/repo``), or a URL form (``scheme://user:pw@host``), carries
    userinfo."""
    if not isinstance(ref, str) or "@" not in ref:
        return None
    if "://" in ref:
        netloc = ref.split("://", 1)[1].split("/", 1)[0]
        return netloc.rsplit("@", 1)[0] if "@" in netloc else None
    before, _sep, after = ref.partition("@")
    return before if "/" not in before and "/" in after else None


def _without(ref: str, userinfo: str) -> str:
    shown = ref.replace(userinfo + "@", MASK + "@", 1)
    shown = redact(shown, [userinfo, *userinfo.split(":", 1)])
    return printable(shown if len(shown) <= 300 else shown[:120] + "...")


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
