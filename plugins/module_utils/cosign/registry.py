# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The signature layouts stored next to an image in a registry, read over the registry API.

Plain Python without HTTP of its own: the caller passes ``getter(url, accept) -> (status or
None, body)``. Modules pass a signing/logins.py AuthGetter over cosign/module.py's
registry_request (Ansible's urls.Request: proxies, CA bundle, the run's login); without a
getter the registry is not asked and the layout stays unknown.
"""
from __future__ import annotations

import json

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.layouts import (
    LAYOUT_BUNDLE_UNKNOWN,
    LAYOUT_LEGACY,
    LAYOUT_REFERRER,
    LAYOUT_TAG_FALLBACK,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.references import (
    parse_reference,
    signature_tag,
)


def stored_layouts(ref: str, digest: str, insecure: bool = False, getter=None,
                   referrers: bool = True):
    """The signature layouts stored for `digest`, asking the registry API (the getter answers
    a login challenge when it can, credentials.AuthGetter): a subset of {legacy-sig-tag,
    bundle-referrer, bundle-tag-fallback}, or None when the registry does not answer, refuses
    the login, or no getter was given (the storage cannot be told then).

    `referrers` False skips the referrers call (enough for the legacy layout). A getter with a
    ``schemes`` dict (AuthGetter) remembers which scheme a host answered on, so an insecure
    plain-HTTP registry is not asked over https again for every image."""
    if getter is None:
        return None
    p = parse_reference(ref)
    host = "registry-1.docker.io" if p["registry"] == "docker.io" else p["registry"]
    known = getattr(getter, "schemes", None)
    schemes = ("https", "http") if insecure else ("https",)
    if known is not None and known.get(host) in schemes:
        schemes = (known[host],)
    for scheme in schemes:
        base = f"{scheme}://{host}/v2/{p['repository']}"
        status, body = getter(f"{base}/tags/list", "application/json")
        if status is None:
            continue
        if known is not None:
            known[host] = scheme
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
        if not referrers:
            return found
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
    return layout_of(stored_layouts(ref, digest, insecure, getter) or set(), fmt)


def layout_of(found: set, fmt: str) -> str:
    """detect_layout's answer from a set stored_layouts returned."""
    if fmt == "legacy":
        return LAYOUT_LEGACY
    for layout in (LAYOUT_REFERRER, LAYOUT_TAG_FALLBACK):
        if layout in found:
            return layout
    return LAYOUT_BUNDLE_UNKNOWN


def has_layout(ref: str, digest: str, fmt: str, insecure: bool = False,
               getter=None) -> bool:
    """Whether a signature in the requested format is stored (True when it cannot be told)."""
    found = stored_layouts(ref, digest, insecure, getter, referrers=fmt != "legacy")
    return True if found is None else has_layout_in(found, fmt)


def has_layout_in(found: set, fmt: str) -> bool:
    if fmt == "legacy":
        return LAYOUT_LEGACY in found
    return bool(found & {LAYOUT_REFERRER, LAYOUT_TAG_FALLBACK})
