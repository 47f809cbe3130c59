"""The role's filters return errors as data, so the role can fail with the message."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.filter.containers_policy import (
    FilterModule,
)

FILTERS = FilterModule().filters()
REQ = [{"name": "lab", "scope": "127.0.0.1:15000/demo", "keys": ["k"]}]


def test_policy_filter_builds_or_explains():
    built = FILTERS["containers_policy"](REQ, default="reject", key_dir="/keys", known_keys=["k"])
    assert built["policy"]["transports"]["docker"]["127.0.0.1:15000/demo"][0]["keyPath"] == \
        "/keys/k.pub"
    refused = FILTERS["containers_policy"](REQ, known_keys=["other"])
    assert set(refused) == {"error"} and "not in the trust store" in refused["error"]


def test_registries_d_filter():
    assert FILTERS["containers_registries_d"](REQ)["documents"]["lab"] == {
        "docker": {"127.0.0.1:15000/demo": {"use-sigstore-attachments": True}}}
    assert "error" in FILTERS["containers_registries_d"]([{"name": "x", "scope": "HTTP://x"}])


def test_kms_filter():
    assert FILTERS["cosign_kms_ref_error"]("hashivault://release") == ""
    assert "accepted: awskms://" in FILTERS["cosign_kms_ref_error"]("file:///k")
