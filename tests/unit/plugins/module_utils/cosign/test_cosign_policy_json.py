"""policy.json / registries.d builders of the cosign role (module_utils/cosign/policy_json)."""
from __future__ import annotations

import json

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.policy_json import (
    PolicyError,
    build_policy,
    kms_ref_error,
    registries_d_documents,
    render_policy,
    validate_policy,
    validate_policy_text,
)

KEYS = "/etc/bulwark/cosign/trusted-keys"


def test_one_key_gives_keypath_and_match_repository():
    policy = build_policy([{"name": "lab", "scope": "127.0.0.1:15000/demo", "keys": ["k1"]}],
                          default="reject", key_dir=KEYS)
    assert policy["default"] == [{"type": "reject"}]
    assert policy["transports"]["docker"]["127.0.0.1:15000/demo"] == [{
        "type": "sigstoreSigned", "keyPath": f"{KEYS}/k1.pub",
        "signedIdentity": {"type": "matchRepository"}}]


def test_two_keys_accept_either_through_keypaths():
    """Rotation: old and new key both trusted while images are re-signed."""
    policy = build_policy([{"name": "lab", "scope": "registry.example/team",
                            "keys": ["old", "new"]}])
    req = policy["transports"]["docker"]["registry.example/team"][0]
    assert req["keyPaths"] == [f"{KEYS}/old.pub", f"{KEYS}/new.pub"]
    assert "keyPath" not in req


def test_unknown_key_name_is_refused_before_writing():
    with pytest.raises(PolicyError, match=r"not in the trust store.*present: \['k1'\]"):
        build_policy([{"name": "lab", "scope": "r.example", "keys": ["k2"]}], known_keys=["k1"])


@pytest.mark.parametrize("scope", ["https://r.example", "r.example/app:1.0",
                                   "r.example/app@sha256:abc", "R.Example", "", None])
def test_bad_scopes_are_refused(scope):
    with pytest.raises(PolicyError, match="scope"):
        build_policy([{"name": "x", "scope": scope, "keys": ["k"]}])


def test_default_must_be_accept_or_reject():
    with pytest.raises(PolicyError, match="cosign_policy_default 'accept'"):
        build_policy([], default="accept")


def test_requirement_without_keys_and_duplicates_are_refused():
    with pytest.raises(PolicyError, match="at least one trusted key"):
        build_policy([{"name": "x", "scope": "r.example", "keys": []}])
    with pytest.raises(PolicyError, match="listed twice"):
        build_policy([{"name": "a", "scope": "r.example", "keys": ["k"]},
                      {"name": "b", "scope": "r.example", "keys": ["k"]}])
    with pytest.raises(PolicyError, match="unknown keys"):
        build_policy([{"name": "a", "scope": "r.example", "keys": ["k"], "key": "typo"}])


@pytest.mark.parametrize("doc, message", [
    ({"transports": {}}, "non-empty 'default'"),
    ({"default": [{"type": "accept"}]}, "type 'accept'"),
    ({"default": [{"type": "reject", "keyPath": "/k"}]}, "takes no other fields"),
    ({"default": [{"type": "reject"}], "extra": 1}, "unknown top-level"),
    ({"default": [{"type": "reject"}], "transports": {"docker": {"r.example": [
        {"type": "sigstoreSigned", "keyPath": "/k", "keyData": "x"}]}}}, "exactly one of"),
    ({"default": [{"type": "reject"}], "transports": {"docker": {"r.example": [
        {"type": "sigstoreSigned", "keyPath": "k.pub"}]}}}, "absolute path"),
    ({"default": [{"type": "reject"}], "transports": {"docker": {"r.example": [
        {"type": "sigstoreSigned", "keyPath": "/k", "signedIdentity": {"type": "any"}}]}}},
     "signedIdentity"),
    ({"default": [{"type": "reject"}], "transports": {"docker": {"r.example": []}}},
     "non-empty list"),
])
def test_validate_policy_rejects_what_containers_image_rejects(doc, message):
    with pytest.raises(PolicyError, match=message):
        validate_policy(doc)


def test_validate_policy_text_reports_broken_json():
    with pytest.raises(PolicyError, match="not valid JSON"):
        validate_policy_text('{"default": [')


def test_render_round_trips():
    policy = build_policy([{"name": "lab", "scope": "127.0.0.1:15000", "keys": ["k"]}])
    assert validate_policy_text(render_policy(policy)) == json.loads(render_policy(policy))


def test_registries_d_turns_on_sigstore_attachments_per_scope():
    docs = registries_d_documents([{"name": "lab", "scope": "127.0.0.1:15000/demo", "keys": ["k"]}])
    assert docs == {"lab": {"docker": {"127.0.0.1:15000/demo": {"use-sigstore-attachments": True}}}}
    with pytest.raises(PolicyError, match="not a valid name"):
        registries_d_documents([{"name": "../etc", "scope": "r.example"}])


@pytest.mark.parametrize("ref", ["awskms:///arn:aws:kms:eu-west-1:1:key/abc", "gcpkms://projects/p/x",
                                 "azurekms://vault.example/key", "hashivault://transit-key",
                                 "k8s://ns/secret"])
def test_kms_refs_are_accepted(ref):
    assert kms_ref_error(ref) == ""


@pytest.mark.parametrize("ref", ["/etc/cosign.key", "vault://x", "awskms://", "", None,
                                 "awskms://$(id)/alias", "gcpkms://p;rm -rf /", "k8s://ns/a b"])
def test_other_refs_are_refused_with_the_accepted_prefixes(ref):
    assert "accepted: awskms://" in kms_ref_error(ref)
