# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Keyless policy.json requirements: sigstoreSigned with fulcio + rekorPublicKeyPath, checked
by the rules containers/image applies (prSigstoreSigned / prSigstoreSignedFulcio)."""
from __future__ import annotations

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.policy_json import (
    PolicyError,
    build_policy,
    validate_policy,
)

FULCIO = {"ca_path": "/etc/bulwark/sigstore/fulcio.pem", "oidc_issuer": "https://oidc.example",
          "subject_email": "ci@example.com"}
REKOR = "/etc/bulwark/sigstore/rekor.pub"


def keyless(**item):
    return dict({"name": "ci", "scope": "r.example/app", "fulcio": FULCIO,
                 "rekor_public_key": REKOR}, **item)


def scoped(req):
    return {"default": [{"type": "reject"}], "transports": {"docker": {"r.example": [req]}}}


def test_keyless_requirement_gives_fulcio_and_rekor_key():
    policy = build_policy([keyless()], default="reject", known_keys=set())
    assert policy["transports"]["docker"]["r.example/app"] == [{
        "type": "sigstoreSigned",
        "fulcio": {"caPath": "/etc/bulwark/sigstore/fulcio.pem",
                   "oidcIssuer": "https://oidc.example", "subjectEmail": "ci@example.com"},
        "rekorPublicKeyPath": REKOR, "signedIdentity": {"type": "matchRepository"}}]


def test_key_requirement_may_name_a_rekor_key_too():
    policy = build_policy([{"name": "k", "scope": "r.example", "keys": ["k1"],
                            "rekor_public_key": REKOR}])
    req = policy["transports"]["docker"]["r.example"][0]
    assert req["keyPath"].endswith("/k1.pub") and req["rekorPublicKeyPath"] == REKOR


@pytest.mark.parametrize("item, message", [
    (keyless(keys=["k1"]), "not both"),
    (keyless(rekor_public_key=None), r"fulcio needs a Rekor public key"),
    (keyless(rekor_public_key="rekor.pub"), "rekorPublicKeyPath 'rekor.pub' must be an absolute"),
    (keyless(fulcio=dict(FULCIO, ca_path="fulcio.pem")), "caPath 'fulcio.pem' must be an absolute"),
    (keyless(fulcio={"ca_path": "/ca.pem", "oidc_issuer": "https://i"}), "subjectEmail must be"),
    (keyless(fulcio=dict(FULCIO, subject="x")), "fulcio must be a mapping"),
])
def test_bad_keyless_input_is_refused_with_its_index(item, message):
    with pytest.raises(PolicyError, match=message) as e:
        build_policy([item])
    assert "cosign_policy_requirements[0] (ci)" in str(e.value)


@pytest.mark.parametrize("req, message", [
    ({"type": "sigstoreSigned", "fulcio": {"caPath": "/ca", "caData": "x", "oidcIssuer": "i",
                                           "subjectEmail": "e"}, "rekorPublicKeyPath": "/r"},
     "exactly one of caPath, caData"),
    ({"type": "sigstoreSigned", "fulcio": {"caPath": "/ca", "oidcIssuer": "i",
                                           "subjectEmail": "e", "subject": "x"},
      "rekorPublicKeyPath": "/r"}, "unknown fields"),
    ({"type": "sigstoreSigned", "fulcio": {"caPath": "/ca", "oidcIssuer": "", "subjectEmail": "e"},
      "rekorPublicKeyPath": "/r"}, "oidcIssuer must be"),
    ({"type": "sigstoreSigned", "fulcio": "ca.pem", "rekorPublicKeyPath": "/r"},
     "must be an object"),
    ({"type": "sigstoreSigned", "keyPath": "/k", "rekorPublicKeyPath": "/r",
      "rekorPublicKeyData": "x"}, "at most one of"),
    ({"type": "sigstoreSigned", "fulcio": {"caPath": "/ca", "oidcIssuer": "i", "subjectEmail": "e"},
      "keyPath": "/k", "rekorPublicKeyPath": "/r"}, "exactly one of"),
])
def test_validate_policy_rejects_keyless_documents_containers_image_rejects(req, message):
    with pytest.raises(PolicyError, match=message):
        validate_policy(scoped(req))


def test_validate_policy_accepts_keyless_with_ca_data():
    req = {"type": "sigstoreSigned", "rekorPublicKeyData": "LS0t",
           "fulcio": {"caData": "LS0t", "oidcIssuer": "https://i", "subjectEmail": "e@x"},
           "signedIdentity": {"type": "matchRepository"}}
    assert validate_policy(scoped(req))["transports"]["docker"]["r.example"] == [req]
