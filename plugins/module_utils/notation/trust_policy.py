# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""notation's trustpolicy.json (OCI trust policy, version 1.0) from a short list of statements.

Bad input raises TrustPolicyError naming the statement, the field and what is accepted, so
a role refuses it before any node is touched.
"""
from __future__ import annotations

import re

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)

LEVELS = ("strict", "permissive", "audit", "skip")
STORE_TYPES = ("ca", "signingAuthority", "tsa")
NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")  # fullmatch: "$" passes "x\n"


class TrustPolicyError(ValueError):
    """A statement notation would refuse; the message says which and why."""


def _store(value: str, where: str) -> str:
    kind, sep, name = str(value).partition(":")
    if not sep:
        kind, name = "ca", kind
    if kind not in STORE_TYPES or not NAME_RE.fullmatch(name):
        raise TrustPolicyError(f"{where}: trust store {value!r}; expected <type>:<name> with type "
                               f"one of {', '.join(STORE_TYPES)} and a name of letters, digits, "
                               "'.', '_', '-' (a bare name means ca:<name>)")
    return f"{kind}:{name}"


def _strings(value, what: str, where: str) -> list:
    """`value` (a list of one-line strings, None meaning none) as a list; else a refusal."""
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(v, str) and v == one_line(v)
                                              for v in value):
        raise TrustPolicyError(f"{where}: {what} {one_line(repr(value))}; expected a list of "
                               "strings without line breaks or control characters")
    return list(value)


def trust_policy(statements: list) -> dict:
    """[{name, registry_scopes, trust_stores, trusted_identities, level}] -> trustpolicy.json.

    registry_scopes: `registry/repository` entries or ['*']; trust_stores: `ca:<name>` (or a
    bare name); trusted_identities: x509 subjects (`x509.subject: CN=...`) or ['*'];
    level: strict (default), permissive, audit or skip (skip takes no stores/identities)."""
    if not isinstance(statements, list) or not statements:
        raise TrustPolicyError("the trust policy needs at least one statement")
    out, names, wildcard = [], set(), 0
    for i, st in enumerate(statements):
        label = one_line(st.get("name", "(no name)")) if isinstance(st, dict) else repr(st)
        where = f"trust policy statement {i} ({label})"
        if not isinstance(st, dict) or not isinstance(st.get("name"), str) \
                or not NAME_RE.fullmatch(st["name"]):
            raise TrustPolicyError(f"{where}: needs a name of letters, digits, '.', '_', '-'")
        if st["name"] in names:
            raise TrustPolicyError(f"{where}: the name is used twice")
        names.add(st["name"])
        scopes = _strings(st.get("registry_scopes"), "registry_scopes", where)
        if not scopes or ("*" in scopes and len(scopes) > 1) \
                or any(s != "*" and ("/" not in s or ":" in s.split("/", 1)[1] or "@" in s)
                       for s in scopes):
            raise TrustPolicyError(f"{where}: registry_scopes {scopes!r}; expected ['*'] or "
                                   "registry/repository entries without tag or digest")
        wildcard += scopes == ["*"]
        level = st.get("level", "strict")
        if level not in LEVELS:
            raise TrustPolicyError(f"{where}: level {level!r}; expected one of {', '.join(LEVELS)}")
        doc = {"name": st["name"], "registryScopes": list(scopes),
               "signatureVerification": {"level": level}}
        if level != "skip":
            stores = [_store(s, where) for s in st.get("trust_stores") or []]
            identities = _strings(st.get("trusted_identities"), "trusted_identities", where)
            if not stores or not identities:
                raise TrustPolicyError(f"{where}: level {level} needs trust_stores and "
                                       "trusted_identities (['*'] trusts any subject)")
            doc.update(trustStores=stores, trustedIdentities=identities)
        out.append(doc)
    if wildcard > 1:
        raise TrustPolicyError("only one trust policy statement may have registry_scopes ['*']")
    return {"version": "1.0", "trustPolicies": out}


def trust_store_names(statements: list) -> list:
    """The `<type>:<name>` trust stores the statements name, each once, in order."""
    seen = []
    for st in statements:
        for s in st.get("trust_stores") or []:
            ref = _store(s, f"trust policy statement {st.get('name')}")
            if ref not in seen:
                seen.append(ref)
    return seen


def certificate_stores(certificates: list) -> list:
    """`<type>:<store>` of the present entries of a role's notation_trusted_certificates."""
    return [f"{c.get('type', 'ca')}:{c.get('store', c.get('name'))}" for c in certificates or []
            if isinstance(c, dict) and c.get("state", "present") == "present"]


def check_stores_filled(statements: list, available: list) -> None:
    """Refuse a policy naming a trust store no certificate fills: notation would fail every
    verification under it."""
    missing = [s for s in trust_store_names(statements) if s not in available]
    if missing:
        raise TrustPolicyError(f"the trust policy names trust stores no certificate fills: "
                               f"{', '.join(missing)} (filled: {', '.join(available) or 'none'})")
