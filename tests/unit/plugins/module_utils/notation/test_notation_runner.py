# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""module_utils/notation: argv, failure reasons from notation 1.3.2's real error lines
(recorded against the lab registry, 2026-11-27), inspect parsing, trust policy documents.
The real binary runs in tests/integration/notation."""
from __future__ import annotations

import json

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.notation import (
    trust_policy as notation_trust,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.runner import (
    Notation,
    classify_notation,
    parse_inspect,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    REASONS,
    CosignError,
)

REF = "127.0.0.1:15000/app@sha256:" + "c0" * 32
# notation 1.3.2 stderr, one line per failure, as recorded
NO_POLICY = ("Error: trust policy is not present. To create a trust policy, see: "
             "https://notaryproject.dev/docs/quickstart/#create-a-trust-policy")
NO_SCOPE = (f'Error: signature verification failed: artifact "{REF}" has no applicable '
            "trust policy statement. Trust policy applicability for a given artifact is "
            "determined by registryScopes.")
RECORDED = {
    "trust_policy": [NO_POLICY, NO_SCOPE],
    "wrong_key": ["Error: signature verification failed for all the signatures associated "
                  f"with {REF}"],
    "no_signature": ["Error: signature verification failed: no signature is associated with "
                     f'"{REF}", make sure the artifact was signed successfully'],
    "image_not_found": ["Error: failed to get manifest descriptor: "
                        "127.0.0.1:15000/app/nope:1: not found"],
    "registry_unreachable": ["Error: failed to get manifest descriptor: Head "
                             '"http://127.0.0.1:15999/v2/nope/manifests/1": dial tcp '
                             "127.0.0.1:15999: connect: connection refused"],
}
INSPECT = json.dumps({"Signatures": [{
    "mediaType": "application/jose+json", "digest": "sha256:" + "fb" * 32,
    "signedAttributes": {"signingScheme": "notary.x509",
                         "signingTime": "2026-11-27T16:25:45Z"},
    "userDefinedAttributes": None,
    "certificates": [{"SHA256Fingerprint": "fb975c80",
                      "issuedTo": "CN=lab,O=Notary,L=Seattle,ST=WA,C=US"}],
    "signedArtifact": {"digest": "sha256:" + "c0" * 32, "size": 423}}]})


@pytest.mark.parametrize("reason,line", [(r, x) for r, lines in RECORDED.items() for x in lines])
def test_recorded_errors_map_to_reasons(reason, line):
    assert reason in REASONS
    assert classify_notation(line) == reason


def test_argv_never_carries_more_than_asked():
    n = Notation("/opt/notation", insecure_registry=True, config_home="/etc")
    assert n.env == {"XDG_CONFIG_HOME": "/etc"}
    assert n.sign_argv(REF, "release", "cose", {"b": "2", "a": "1"}) == [
        "/opt/notation", "sign", "--signature-format", "cose", "--key", "release",
        "--insecure-registry", "-m", "a=1", "-m", "b=2", REF]
    assert Notation().verify_argv(REF) == ["notation", "verify", REF]
    with pytest.raises(CosignError) as e:
        n.sign_argv(REF, fmt="pgp")
    assert e.value.reason == "unsupported" and "jws, cose" in e.value.message


def test_resolve_by_notation_ls_when_there_is_no_crane(monkeypatch):
    monkeypatch.setattr("shutil.which", lambda _name: None)
    calls = []

    def run(argv, env):
        calls.append((argv, env))
        return 0, f"{REF}\n└── application/vnd.cncf.notary.signature\n", ""
    n = Notation("notation", run, config_home="/etc")
    assert n.resolve_digest("127.0.0.1:15000/app:v1") == "sha256:" + "c0" * 32
    assert calls == [(["notation", "ls", "127.0.0.1:15000/app:v1"], {"XDG_CONFIG_HOME": "/etc"})]


def test_parse_inspect():
    [sig] = parse_inspect(INSPECT)
    assert sig["signed_digest"] == "sha256:" + "c0" * 32 and sig["fingerprint"] == "fb975c80"
    assert sig["user_metadata"] == {} and sig["signer"].startswith("CN=lab")


def test_missing_signing_key_names_the_file(tmp_path):
    conf = tmp_path / "notation"
    conf.mkdir()
    (conf / "signingkeys.json").write_text(json.dumps({"keys": [{"name": "lab"}]}))
    with pytest.raises(CosignError) as e:
        Notation(config_home=str(tmp_path)).signing_certificate("release")
    assert e.value.reason == "key_unreadable" and "'release'" in e.value.message
    assert str(conf / "signingkeys.json") in e.value.message


def test_trust_policy_document():
    doc = notation_trust.trust_policy([
        {"name": "prod", "registry_scopes": ["registry.example.com/app"],
         "trust_stores": ["release"], "trusted_identities": ["x509.subject: CN=release"]},
        {"name": "rest", "registry_scopes": ["*"], "level": "skip"}])
    assert doc == {"version": "1.0", "trustPolicies": [
        {"name": "prod", "registryScopes": ["registry.example.com/app"],
         "signatureVerification": {"level": "strict"}, "trustStores": ["ca:release"],
         "trustedIdentities": ["x509.subject: CN=release"]},
        {"name": "rest", "registryScopes": ["*"], "signatureVerification": {"level": "skip"}}]}
    stores = [{"name": "a", "trust_stores": ["x", "ca:x", "tsa:t"]}]
    assert notation_trust.trust_store_names(stores) == ["ca:x", "tsa:t"]


@pytest.mark.parametrize("statements,words", [
    ([], "at least one statement"),
    ([{"name": "a", "registry_scopes": ["registry.example.com/app:1.0"], "trust_stores": ["x"],
       "trusted_identities": ["*"]}], "without tag or digest"),
    ([{"name": "a", "registry_scopes": ["*"], "trust_stores": ["x"]}], "needs trust_stores and"),
    ([{"name": "a", "registry_scopes": ["*"], "trust_stores": ["pgp:x"],
       "trusted_identities": ["*"]}],
     "trust store 'pgp:x'"),
    ([{"name": "a", "registry_scopes": ["*"], "level": "skip"},
      {"name": "b", "registry_scopes": ["*"], "level": "skip"}], "only one"),
    ([{"name": "a", "registry_scopes": ["*"], "level": "lenient"}], "level 'lenient'"),
])
def test_trust_policy_refuses_with_a_reason(statements, words):
    with pytest.raises(notation_trust.TrustPolicyError) as e:
        notation_trust.trust_policy(statements)
    assert words in str(e.value)
