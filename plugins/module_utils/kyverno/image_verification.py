# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Who may sign an image: the attestors of the ImageValidatingPolicy.

Three kinds, any one of which admits an image (``verifyImageSignatures(image, [...]) > 0``):

* ``public_keys`` - cosign key pairs (attestors ``key<i>``);
* ``notary_certificates`` - Notation (Notary Project) signatures chaining to a PEM
  certificate (attestors ``notary<i>``, ``notary.certs``);
* ``keyless`` - cosign keyless signatures by a Fulcio certificate for an identity: subject or
  subject_regexp, issuer or issuer_regexp, optionally a private Sigstore's Rekor URL and public
  key, CT log public key and Fulcio roots (attestors ``keyless<i>``, ``cosign.keyless``).

Plain Python; settings.py parses the settings with ``parse_signers``, builders.py asks
``attestors`` for the manifest.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    SettingsError,
    _bool,
    _mapping,
    _str_list,
    _unknown,
)

SIGNER_KEYS = ("notary_certificates", "keyless")
SIGNATURE_FORMATS = ("legacy", "bundle")    # cosign_sign's signature_format
# The Kyverno release the collection pins: roles/kyverno kyverno_version, the Pulumi program's
# chart 3.9.0 (appVersion v1.19.0), the installer catalog.
KYVERNO_PINNED_VERSION = "1.19.0"
_RELEASE = re.compile(r"v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\Z")
# Open regressions of a Kyverno release that the settings walk into (read 2026-12-07; no newer
# release with established checksums is reachable here). kyverno/kyverno#17363 (labels
# regression, release-critical): an ImageValidatingPolicy with a cosign key attestor fails every
# image whose signature exists only as a sigstore bundle referrer
# (application/vnd.dev.sigstore.bundle.v0.3+json) on v1.19.0; v1.18.1 verified them.
BUNDLE_KEY_REGRESSION = ("kyverno/kyverno#17363", ("1.19.0",))
_CERT = ("-----BEGIN CERTIFICATE-----", "-----END CERTIFICATE-----")
_PUBKEY = ("-----BEGIN PUBLIC KEY-----", "-----END PUBLIC KEY-----")


@dataclass(frozen=True)
class KeylessIdentity:
    subject: str = ""
    subject_regexp: str = ""
    issuer: str = ""
    issuer_regexp: str = ""
    rekor_url: str = ""
    rekor_public_key: str = ""
    ctlog_public_key: str = ""
    roots: str = ""

    KEYS = ("subject", "subject_regexp", "issuer", "issuer_regexp", "rekor_url",
            "rekor_public_key", "ctlog_public_key", "roots")

    @classmethod
    def from_dict(cls, data, key: str) -> KeylessIdentity:
        data = _mapping(data, key)
        _unknown(data, cls.KEYS, key)
        for name in cls.KEYS:
            if name in data and (not isinstance(data[name], str) or not data[name].strip()):
                raise SettingsError(f"{key}.{name}", data[name], "a non-empty string")
        for exact, regexp in (("subject", "subject_regexp"), ("issuer", "issuer_regexp")):
            if (exact in data) == (regexp in data):
                raise SettingsError(key, dict(data), f"exactly one of {exact} and {regexp} (an "
                                    "identity without both a subject and an issuer admits any "
                                    "Fulcio certificate)")
        for name, (begin, end) in (("rekor_public_key", _PUBKEY), ("ctlog_public_key", _PUBKEY),
                                   ("roots", _CERT)):
            _pem(data.get(name), f"{key}.{name}", begin, end, many=name == "roots")
        url = data.get("rekor_url", "")
        if url and not url.startswith("https://"):
            raise SettingsError(f"{key}.rekor_url", url, "an https:// URL of a Rekor instance")
        return cls(**{k: (_pem_text(v) if "-----BEGIN" in v else v) for k, v in data.items()})


def _pem_text(text: str) -> str:
    return text.strip() + "\n"


def _pem(text, key: str, begin: str, end: str, many: bool = False) -> None:
    if text is None:
        return
    body = text.strip()
    if not (body.startswith(begin) and body.endswith(end)) or (not many and body.count(begin) != 1):
        raise SettingsError(key, body[:40] + "...", f"PEM text from {begin} to {end}"
                            + ("" if many else ", one per item") + "; never a private key")


def parse_signers(data: dict, key: str) -> dict:
    """``notary_certificates`` and ``keyless`` of image_verification, checked."""
    certs = _str_list(data.get("notary_certificates"), f"{key}.notary_certificates",
                      what="PEM certificate (-----BEGIN CERTIFICATE-----)")
    for i, pem in enumerate(certs):
        _pem(pem, f"{key}.notary_certificates[{i}]", *_CERT, many=True)
    raw = data.get("keyless") or []
    if not isinstance(raw, (list, tuple)):
        raise SettingsError(f"{key}.keyless", raw, "a list of identities (subject or "
                            "subject_regexp, issuer or issuer_regexp)")
    keyless = tuple(KeylessIdentity.from_dict(item, f"{key}.keyless[{i}]")
                    for i, item in enumerate(raw))
    if (certs or keyless) and _bool(data.get("legacy_cluster_policy", False),
                                    f"{key}.legacy_cluster_policy"):
        raise SettingsError(f"{key}.legacy_cluster_policy", True, "false when notary_certificates "
                            "or keyless are set (the legacy ClusterPolicy is built for "
                            "public_keys only)")
    return {"notary_certificates": tuple(_pem_text(c) for c in certs), "keyless": keyless}


def signature_format(value, key: str) -> str:
    if value not in SIGNATURE_FORMATS:
        raise SettingsError(key, value, "legacy (cosign's .sig tag layout, the default of "
                            "cosign_sign) or bundle (sigstore bundles as OCI referrers): what "
                            "the images this policy verifies are signed with")
    return value


def kyverno_release(value, key: str) -> str:
    """An exact Kyverno release, X.Y.Z (a leading v is dropped)."""
    match = _RELEASE.fullmatch(value) if isinstance(value, str) else None
    if not match:
        raise SettingsError(key, value, "the exact Kyverno release that admits, X.Y.Z (e.g. "
                            f"{KYVERNO_PINNED_VERSION}, the collection's pin)")
    return ".".join(match.groups())


def refuse_known_regressions(iv, kyverno_version: str) -> None:
    """Refuse settings that a known open regression of ``kyverno_version`` would break."""
    issue, affected = BUNDLE_KEY_REGRESSION
    if (iv.enabled and iv.signature_format == "bundle" and iv.public_keys
            and not iv.legacy_cluster_policy and kyverno_version in affected):
        raise SettingsError("image_verification.signature_format", "bundle",
                            f"legacy on Kyverno {kyverno_version}: {issue} (open, "
                            "release-critical) makes its ImageValidatingPolicy fail every image "
                            "signed only as a sigstore bundle with a key; sign with "
                            "signature_format legacy, or run a Kyverno release without the "
                            "regression and set kyverno_version to it")


def _ignore_tlog(ignore: bool) -> dict:
    return {"insecureIgnoreTlog": True, "insecureIgnoreSCT": True} if ignore else {}


def _keyless_attestor(ident: KeylessIdentity, ignore_tlog: bool) -> dict:
    identity = {name: value for name, value in (
        ("subject", ident.subject), ("subjectRegExp", ident.subject_regexp),
        ("issuer", ident.issuer), ("issuerRegExp", ident.issuer_regexp)) if value}
    keyless = {"identities": [identity]}
    if ident.roots:
        keyless["roots"] = ident.roots
    ctlog = dict(_ignore_tlog(ignore_tlog))
    for name, value in (("url", ident.rekor_url), ("rekorPubKey", ident.rekor_public_key),
                        ("ctLogPubKey", ident.ctlog_public_key)):
        if value:
            ctlog[name] = value
    cosign = {"keyless": keyless}
    if ctlog:
        cosign["ctlog"] = ctlog
    return cosign


def attestors(iv) -> list[dict]:
    """The attestors of an ImageVerificationSettings: keys, Notary certificates, identities."""
    out = []
    ignore = _ignore_tlog(iv.ignore_transparency_log)
    for i, pem in enumerate(iv.public_keys):
        cosign = {"key": {"data": pem}}
        if ignore:
            cosign["ctlog"] = ignore
        out.append({"name": f"key{i}", "cosign": cosign})
    for i, pem in enumerate(iv.notary_certificates):
        out.append({"name": f"notary{i}", "notary": {"certs": {"value": pem}}})
    for i, ident in enumerate(iv.keyless):
        out.append({"name": f"keyless{i}",
                    "cosign": _keyless_attestor(ident, iv.ignore_transparency_log)})
    return out
