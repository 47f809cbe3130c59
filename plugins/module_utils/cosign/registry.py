# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The signature layouts stored next to an image in a registry, read over the registry API.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.request

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.errors import (
    LAYOUT_BUNDLE_UNKNOWN,
    LAYOUT_LEGACY,
    LAYOUT_REFERRER,
    LAYOUT_TAG_FALLBACK,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.references import (
    parse_reference,
    signature_tag,
)


def _registry_get(url: str, accept: str, timeout: float = 5.0):
    if not url.startswith(("https://", "http://")):
        return None, b""
    req = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (checked above)
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except (urllib.error.URLError, OSError):
        return None, b""


def stored_layouts(ref: str, digest: str, insecure: bool = False, getter=None):
    """The signature layouts stored for `digest`, asking the registry API anonymously:
    a subset of {legacy-sig-tag, bundle-referrer, bundle-tag-fallback}, or None when the
    registry does not answer without credentials (the storage cannot be told then)."""
    getter = getter or _registry_get
    p = parse_reference(ref)
    host = "registry-1.docker.io" if p["registry"] == "docker.io" else p["registry"]
    for scheme in (("https", "http") if insecure else ("https",)):
        base = f"{scheme}://{host}/v2/{p['repository']}"
        status, body = getter(f"{base}/tags/list", "application/json")
        if status is None:
            continue
        if status != 200:
            return None
        found = set()
        try:
            tags = json.loads(body or b"{}").get("tags") or []
        except ValueError:
            tags = []
        if signature_tag(digest) in tags:
            found.add(LAYOUT_LEGACY)
        if signature_tag(digest, "") in tags:
            found.add(LAYOUT_TAG_FALLBACK)
        status, body = getter(f"{base}/referrers/{digest}",
                              "application/vnd.oci.image.index.v1+json")
        if status == 200:
            try:
                if json.loads(body or b"{}").get("manifests"):
                    found.add(LAYOUT_REFERRER)
            except ValueError:
                pass
        return found
    return None


def detect_layout(ref: str, digest: str, fmt: str, insecure: bool = False,
                  getter=None) -> str:
    """The layout a signature of `fmt` for `digest` was stored in.

    legacy -> 'legacy-sig-tag'. bundle -> 'bundle-referrer' when the registry lists a
    referrer, 'bundle-tag-fallback' when the `sha256-<hex>` tag exists (registries without
    the referrers API), else 'bundle' (the registry wants credentials to answer)."""
    if fmt == "legacy":
        return LAYOUT_LEGACY
    found = stored_layouts(ref, digest, insecure, getter) or set()
    for layout in (LAYOUT_REFERRER, LAYOUT_TAG_FALLBACK):
        if layout in found:
            return layout
    return LAYOUT_BUNDLE_UNKNOWN


def has_layout(ref: str, digest: str, fmt: str, insecure: bool = False,
               getter=None) -> bool:
    """Whether a signature in the requested format is stored (True when it cannot be told)."""
    found = stored_layouts(ref, digest, insecure, getter)
    return True if found is None else has_layout_in(found, fmt)


def has_layout_in(found: set, fmt: str) -> bool:
    if fmt == "legacy":
        return LAYOUT_LEGACY in found
    return bool(found & {LAYOUT_REFERRER, LAYOUT_TAG_FALLBACK})
