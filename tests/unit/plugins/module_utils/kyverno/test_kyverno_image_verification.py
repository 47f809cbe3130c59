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


# ---------------------------------------------------------------- the Kyverno pin's regression

def _bundle_keys(**overrides):
    data = full_settings()
    data["image_verification"] = {**data["image_verification"], "signature_format": "bundle"}
    data.update(overrides)
    return data


def test_bundle_signatures_with_a_key_are_refused_on_the_pinned_release_naming_the_issue():
    with pytest.raises(SettingsError) as err:
        kyverno_settings.Settings.from_dict(_bundle_keys())
    assert err.value.key == "image_verification.signature_format"
    assert "kyverno/kyverno#17363" in str(err.value) and "1.19.0" in str(err.value)
    # the same with the pin spelled out, or with a leading v
    for version in ("1.19.0", "v1.19.0"):
        with pytest.raises(SettingsError, match="17363"):
            kyverno_settings.Settings.from_dict(_bundle_keys(kyverno_version=version))


@pytest.mark.parametrize("overrides", [
    {"kyverno_version": "1.18.1"},             # the release the issue says verified them
    {"kyverno_version": "1.20.0"},             # a release the user says they run
])
def test_bundle_signatures_are_accepted_off_the_affected_release(overrides):
    settings = kyverno_settings.Settings.from_dict(_bundle_keys(**overrides))
    assert settings.image_verification.signature_format == "bundle"
    assert settings.kyverno_version == overrides["kyverno_version"]


def test_legacy_signatures_keyless_only_or_disabled_verification_are_not_refused():
    assert kyverno_settings.Settings.from_dict(full_settings()).image_verification \
        .signature_format == "legacy"
    keyless = {"enabled": True, "image_globs": ["r.example/*"], "keyless": SIGNERS["keyless"][:1],
               "signature_format": "bundle"}
    assert kyverno_settings.Settings.from_dict({"image_verification": keyless})
    off = {"enabled": False, "signature_format": "bundle", "public_keys": [TEST_KEYS[0]]}
    assert not kyverno_settings.Settings.from_dict({"image_verification": off}) \
        .image_verification.enabled


@pytest.mark.parametrize(("data", "key"), [
    ({"image_verification": {"signature_format": "v3"}}, "image_verification.signature_format"),
    ({"kyverno_version": "1.19"}, "kyverno_version"),
    ({"kyverno_version": "latest"}, "kyverno_version"),
    ({"kyverno_version": "1.19.0\n"}, "kyverno_version"),
    ({"kyverno_version": 1.19}, "kyverno_version"),
])
def test_bad_signature_format_or_release_is_refused_by_name(data, key):
    with pytest.raises(SettingsError) as err:
        kyverno_settings.Settings.from_dict(data)
    assert err.value.key == key


def test_the_pin_is_the_one_of_the_role_the_catalog_and_the_chart():
    """KYVERNO_PINNED_VERSION names the release the rest of the collection installs."""
    from pathlib import Path

    import yaml
    from ansible_collections.bulwark.container_security.plugins.module_utils import (
        release_artifacts,
    )
    from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
        image_verification,
    )
    root = Path(__file__).resolve().parents[5]
    pin = image_verification.KYVERNO_PINNED_VERSION
    defaults = yaml.safe_load((root / "roles" / "kyverno" / "defaults" / "main.yml").read_text())
    assert defaults["kyverno_version"] == pin
    assert pin in release_artifacts.CATALOG["kyverno"]["sha256"]
    chart = (root / "pulumi" / "bulwark_platform" / "settings.py").read_text()
    assert f"appVersion v{pin}" in chart
    assert kyverno_settings.Settings.from_dict({}).kyverno_version == pin
