# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Package URLs, read one way for VEX statements (scan/) and ignore entries (trivy/ignores.py).

Parsed with packageurl-python, which normalises as the purl specification says (``pkg:pypi/
Django`` is ``django``; ``pkg:npm/%40angular/core`` and ``pkg:npm/@angular/core`` are one
package). Without the library a purl is refused, never matched loosely.
"""
from __future__ import annotations

try:
    from packageurl import PackageURL
    HAS_PACKAGEURL = True
except ImportError:  # requirements.txt installs it; without it purls are refused, never ignored
    PackageURL = None
    HAS_PACKAGEURL = False

_PURL_CACHE = {}


def parse_purl(text):
    """A PackageURL for ``text``, or None when it is not one (cached)."""
    if not HAS_PACKAGEURL:
        raise ValueError("package URLs (VEX, ignore purls) need the packageurl-python library on "
                         "the host running the gate (the collection's requirements.txt has it)")
    if not isinstance(text, str):
        return None
    if text not in _PURL_CACHE:
        if len(_PURL_CACHE) > 100_000:
            _PURL_CACHE.clear()
        try:
            _PURL_CACHE[text] = PackageURL.from_string(text) if text.startswith("pkg:") else None
        except ValueError:
            _PURL_CACHE[text] = None
    return _PURL_CACHE[text]


def _as_purl(value):
    if HAS_PACKAGEURL and isinstance(value, PackageURL):
        return value
    return parse_purl(value)


def purl_matches(pattern, purl, subpath=False):
    """The statement's purl ``pattern`` covers the package ``purl`` (strings or PackageURLs):
    type, namespace and name equal; the pattern's version (and with ``subpath`` its subpath),
    when given, equal; every qualifier of the pattern present with the same value."""
    pat, tgt = _as_purl(pattern), _as_purl(purl)
    if pat is None or tgt is None:
        return False
    if (pat.type, pat.namespace or "", pat.name) != (tgt.type, tgt.namespace or "", tgt.name):
        return False
    if pat.version and pat.version != tgt.version:
        return False
    if subpath and pat.subpath and pat.subpath != tgt.subpath:
        return False
    quals = tgt.qualifiers or {}
    return all(quals.get(k) == v for k, v in (pat.qualifiers or {}).items())
