# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The ImageValidatingPolicy's attestors: cosign keys, Notation certificates, keyless
identities, from the one policy source (kyverno/image_verification.py). The manifests are
validated against the Kyverno CRD schema in test_admit_schemas.py (bundle ``signers``)."""
from __future__ import annotations

import pytest
from admit_support import SIGNERS, TEST_KEYS, full_settings, signer_settings
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    SettingsError,
)


def _policy(data):
    return kyverno_builders.build_image_policy(kyverno_settings.Settings.from_dict(data))


def test_every_signer_is_an_attestor_of_the_one_verification():
    spec = _policy(signer_settings())["spec"]
    names = [a["name"] for a in spec["attestors"]]
    assert names == ["key0", "key1", "notary0", "keyless0", "keyless1"]
    by_name = {a["name"]: a for a in spec["attestors"]}
    assert by_name["notary0"] == {"name": "notary0", "notary": {"certs": {
        "value": SIGNERS["notary_certificates"][0].strip() + "\n"}}}
    exact = by_name["keyless0"]["cosign"]
    assert exact["keyless"] == {"identities": [{
        "subject": SIGNERS["keyless"][0]["subject"], "issuer": SIGNERS["keyless"][0]["issuer"]}]}
    # ignore_transparency_log is on in full_settings: it applies to keyless attestors too
    assert exact["ctlog"] == {"insecureIgnoreTlog": True, "insecureIgnoreSCT": True}
    private = by_name["keyless1"]["cosign"]
    assert private["keyless"]["identities"] == [{"subjectRegExp": "^https://ci\\.example\\.com/.*$",
                                                 "issuerRegExp": "^https://sso\\.example\\.com/realms/.*$"}]
    assert private["keyless"]["roots"].startswith("-----BEGIN CERTIFICATE-----")
    assert private["ctlog"]["url"] == "https://rekor.example.com"
    assert private["ctlog"]["rekorPubKey"] == TEST_KEYS[0].strip() + "\n"
    assert private["ctlog"]["ctLogPubKey"] == TEST_KEYS[1].strip() + "\n"
    expr = spec["validations"][0]["expression"]
    assert ("[attestors.key0, attestors.key1, attestors.notary0, attestors.keyless0, "
            "attestors.keyless1]") in expr


def test_a_notary_certificate_alone_enables_verification():
    data = full_settings()
    data["image_verification"] = {"image_globs": ["registry.example.com/*"],
                                  "notary_certificates": SIGNERS["notary_certificates"]}
    spec = _policy(data)["spec"]
    assert [a["name"] for a in spec["attestors"]] == ["notary0"]
    assert "ctlog" not in str(spec["attestors"])


@pytest.mark.parametrize("extra,key,words", [
    ({"notary_certificates": [TEST_KEYS[0]]}, "notary_certificates[0]", "BEGIN CERTIFICATE"),
    ({"keyless": [{"subject": "a"}]}, "keyless[0]", "exactly one of issuer and issuer_regexp"),
    ({"keyless": [{"subject": "a", "subject_regexp": "b", "issuer": "c"}]}, "keyless[0]",
     "exactly one of subject and subject_regexp"),
    ({"keyless": [{"subject": "a", "issuer": "b", "rekor_url": "http://rekor"}]},
     "keyless[0].rekor_url", "https://"),
    ({"keyless": [{"subject": "a", "issuer": "b",
                   "rekor_public_key": "-----BEGIN PRIVATE KEY-----"}]},
     "keyless[0].rekor_public_key", "never a private key"),
    ({"keyless": [{"subject": "a", "issuer": "b", "fulcio": "x"}]}, "keyless[0]", "fulcio"),
    ({"legacy_cluster_policy": True, **SIGNERS}, "legacy_cluster_policy", "public_keys only"),
])
def test_bad_signers_are_refused_with_the_key(extra, key, words):
    data = full_settings()
    data["image_verification"] = {**data["image_verification"], **extra}
    with pytest.raises(SettingsError) as e:
        kyverno_settings.Settings.from_dict(data)
    assert f"image_verification.{key}" in str(e.value) and words in str(e.value)
