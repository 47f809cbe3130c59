"""Pure logic of plugins/module_utils/cosign/: command lines per cosign generation, reference
parsing, output parsing and failure reasons. The error texts below were recorded from the real
cosign 3.1.1 and 2.5.0 binaries of the lab (see tests/integration/cosign for the live runs)."""
from __future__ import annotations

import base64
import json

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    flows as cosign_flows,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    layouts as cosign_layouts,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    params as cosign_params,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    registry as cosign_registry,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    runner as cosign_runner,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    errors as cosign_errors,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    params as signing_params,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    references as cosign_references,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    runner as signing_runner,
)

DIGEST = "sha256:" + "ab" * 32
OTHER = "sha256:" + "cd" * 32


class FakeRunner:
    """Answers cosign/crane calls from a table; records every argv and environment."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []

    def __call__(self, argv, env):
        self.calls.append((argv, env))
        for match, answer in self.answers:
            if match(argv):
                return answer
        raise AssertionError(f"unexpected command {argv}")


def sub(word):
    return lambda argv: len(argv) > 1 and argv[1] == word


# --------------------------------------------------------------------------- references
@pytest.mark.parametrize(("ref", "want"), [
    ("127.0.0.1:15000/a/b:v1", ("127.0.0.1:15000", "a/b", "v1", None)),
    (f"127.0.0.1:15000/a/b@{DIGEST}", ("127.0.0.1:15000", "a/b", None, DIGEST)),
    (f"reg.example.com/app:1.2@{DIGEST}", ("reg.example.com", "app", "1.2", DIGEST)),
    ("localhost/app", ("localhost", "app", None, None)),
    ("alpine:3.20", ("docker.io", "library/alpine", "3.20", None)),
    ("team/app", ("docker.io", "team/app", None, None)),
])
def test_parse_reference(ref, want):
    p = cosign_references.parse_reference(ref)
    assert (p["registry"], p["repository"], p["tag"], p["digest"]) == want


@pytest.mark.parametrize("ref", ["", "a b", "reg.io/app@sha256:short", "reg.io/App:1"])
def test_parse_reference_rejects(ref):
    with pytest.raises(cosign_errors.CosignError):
        cosign_references.parse_reference(ref)


def test_by_digest_drops_the_tag():
    assert cosign_references.by_digest("127.0.0.1:15000/a/b:v1",
                                       DIGEST) == f"127.0.0.1:15000/a/b@{DIGEST}"
    assert cosign_references.by_digest(f"reg.io/a@{OTHER}", DIGEST) == f"reg.io/a@{DIGEST}"
    assert cosign_references.signature_tag(DIGEST) == "sha256-" + "ab" * 32 + ".sig"
    assert cosign_references.signature_tag(DIGEST, "") == "sha256-" + "ab" * 32


# --------------------------------------------------------------------------- versions
def test_version_detection_release_and_distro_builds():
    assert cosign_runner.parse_version("GitVersion:    v3.1.1\nGitCommit: x") == "3.1.1"
    assert cosign_runner.parse_version("GitVersion:    devel\n") is None  # Debian's builds say this
    assert cosign_runner.major_from_sign_help("    --use-signing-config=true:\n") == 3
    assert cosign_runner.major_from_sign_help("    --tlog-upload=true:\n") == 2


def test_major_is_told_by_sign_flags_once():
    run = FakeRunner([(sub("sign"), (0, "    --use-signing-config=true:\n", ""))])
    co = cosign_runner.Cosign("cosign", run=run)
    assert co.major == 3 and co.major == 3
    assert [a for a, _env in run.calls] == [["cosign", "sign", "--help"]]


# --------------------------------------------------------------------------- command lines
REF = f"127.0.0.1:15000/a/b@{DIGEST}"


def test_sign_argv_cosign3_offline_legacy():
    co = cosign_runner.Cosign("cosign", major=3, insecure_registry=True, offline=True)
    assert co.sign_argv(REF, "k.key", "legacy", {"team": "ship"}) == [
        "cosign", "sign", "--key", "k.key", "--yes", "--use-signing-config=false",
        "--tlog-upload=false", "--new-bundle-format=false", "--allow-insecure-registry",
        "-a", "team=ship", REF]


def test_sign_argv_cosign3_bundle_online():
    co = cosign_runner.Cosign("cosign", major=3)
    assert co.sign_argv(REF, "awskms:///alias/k", "bundle") == [
        "cosign", "sign", "--key", "awskms:///alias/k", "--yes", "--new-bundle-format=true",
        REF]


def test_sign_argv_cosign2():
    co = cosign_runner.Cosign("cosign", major=2, offline=True)
    assert co.sign_argv(REF, "k.key") == ["cosign", "sign", "--key", "k.key", "--yes",
                                          "--tlog-upload=false", REF]
    with pytest.raises(cosign_errors.CosignError) as e:
        co.sign_argv(REF, "k.key", "bundle")
    assert e.value.reason == "unsupported"


def test_verify_argv_keys_identity_and_formats():
    co3 = cosign_runner.Cosign("cosign", major=3, insecure_registry=True, offline=True)
    assert co3.verify_argv(REF, key="k.pub", fmt="legacy") == [
        "cosign", "verify", "--key", "k.pub", "--insecure-ignore-tlog=true",
        "--new-bundle-format=false", "--allow-insecure-registry", REF]
    co2 = cosign_runner.Cosign("cosign", major=2, offline=False)
    assert co2.verify_argv(REF, identity="me@example.com", issuer="https://issuer") == [
        "cosign", "verify", "--certificate-identity", "me@example.com",
        "--certificate-oidc-issuer", "https://issuer", REF]
    with pytest.raises(cosign_errors.CosignError):
        co2.verify_argv(REF)


def test_verify_argv_keyless_regexp_forms():
    co3 = cosign_runner.Cosign("cosign", major=3)
    identity, issuer = cosign_params.keyless_identity({
        "certificate_identity_regexp": "^https://github.com/example/.*$",
        "certificate_oidc_issuer": "https://token.actions.githubusercontent.com"})
    assert co3.verify_argv(REF, identity=identity, issuer=issuer) == [
        "cosign", "verify", "--certificate-identity-regexp", "^https://github.com/example/.*$",
        "--certificate-oidc-issuer", "https://token.actions.githubusercontent.com", REF]
    identity, issuer = cosign_params.keyless_identity({
        "certificate_identity": "me@example.com", "certificate_oidc_issuer_regexp": "^https://sso.*"})
    assert co3.verify_attestation_argv(REF, "vuln", identity=identity, issuer=issuer)[4:8] == [
        "--certificate-identity", "me@example.com", "--certificate-oidc-issuer-regexp",
        "^https://sso.*"]
    with pytest.raises(cosign_errors.CosignError) as e:
        co3.verify_argv(REF, identity=identity)
    assert "certificate_oidc_issuer_regexp" in e.value.message


def test_attest_and_verify_attestation_argv():
    co = cosign_runner.Cosign("cosign", major=3, offline=True)
    assert co.attest_argv(REF, "k.key", "sbom.json", "cyclonedx") == [
        "cosign", "attest", "--key", "k.key", "--yes", "--type", "cyclonedx", "--predicate",
        "sbom.json", "--use-signing-config=false", "--tlog-upload=false",
        "--new-bundle-format=false", REF]
    assert co.verify_attestation_argv(REF, "spdxjson", key="k.pub") == [
        "cosign", "verify-attestation", "--type", "spdxjson", "--key", "k.pub",
        "--insecure-ignore-tlog=true", REF]


# --------------------------------------------------------------------------- output parsing
def test_parse_verify_output():
    out = ('\n[{"critical":{"identity":{"docker-reference":"r/a"},"image":'
           f'{{"docker-manifest-digest":"{DIGEST}"}},"type":"cosign container image '
           'signature"},"optional":null}]\n')
    payloads = cosign_runner.parse_verify_output(out)
    assert cosign_runner.payload_digests(payloads) == [DIGEST]


def test_parse_attestations():
    stmt = {"_type": "https://in-toto.io/Statement/v0.1", "predicateType":
            "https://cyclonedx.org/bom", "subject": [{"name": "r/a", "digest": {"sha256": "ab"}}],
            "predicate": {"bomFormat": "CycloneDX"}}
    line = json.dumps({"payloadType": "application/vnd.in-toto+json",
                       "payload": base64.b64encode(json.dumps(stmt).encode()).decode(),
                       "signatures": []})
    got = cosign_runner.parse_attestations(line + "\n")
    assert got[0]["predicate_type"] == "https://cyclonedx.org/bom"
    assert "predicate" not in got[0]
    assert cosign_runner.parse_attestations(line, include_predicate=True)[0]["predicate"] == {
        "bomFormat": "CycloneDX"}


def test_digest_from_triangulate():
    out = "127.0.0.1:15000/a/b:sha256-" + "ab" * 32 + ".sig\n"
    assert cosign_runner.digest_from_triangulate(out) == DIGEST


# Recorded from cosign 3.1.1 / 2.5.0 against the lab registry (stderr, last line).
RECORDED = {
    "no_signature": "Error: no signatures found\nerror during command execution: no "
                    "signatures found",
    "wrong_key": "error during command execution: no matching signatures: invalid signature "
                 "when validating ASN.1 encoded signature",
    "registry_unreachable": 'error during command execution: signing [x]: accessing image: '
                            'Get "https://127.0.0.1:15999/v2/": dial tcp 127.0.0.1:15999: '
                            'connect: connection refused',
    "bad_password": "error during command execution: signing [x]: getting signer: reading "
                    "key: decrypt: encrypted: decryption failed",
    "image_not_found": "error during command execution: image tag not found: GET http://127."
                       "0.0.1:15000/v2/p3a/nope/manifests/v1: MANIFEST_UNKNOWN: manifest "
                       "unknown; map[Tag:v1]",
    "predicate_mismatch": "Error: none of the attestations matched the predicate type: "
                          "spdxjson, found: https://cyclonedx.org/bom",
}


@pytest.mark.parametrize(("reason", "stderr"), sorted(RECORDED.items()))
def test_classify_recorded_errors(reason, stderr):
    assert signing_runner.classify(stderr) == reason


def test_classify_bundle_wrong_key():
    # cosign 3 reports a bundle signed by another key as a DSSE threshold failure
    err = ("Error: no matching attestations: failed to verify signature: could not verify "
           "envelope: accepted signatures do not match threshold, Found: 0, Expected 1")
    assert signing_runner.classify(err) == "wrong_key"


# --------------------------------------------------------------------------- operations
def _layouts(found_tags):
    def getter(url, accept):
        if url.endswith("/tags/list"):
            return 200, json.dumps({"tags": found_tags}).encode()
        return 404, b""
    return getter


def test_detect_layout_from_registry_answers():
    sig = cosign_references.signature_tag(DIGEST)
    fallback = cosign_references.signature_tag(DIGEST, "")
    assert cosign_registry.detect_layout(REF, DIGEST, "legacy") == cosign_layouts.LAYOUT_LEGACY
    assert cosign_registry.detect_layout(REF, DIGEST, "bundle", True, _layouts(["v1", fallback])) \
        == cosign_layouts.LAYOUT_TAG_FALLBACK
    assert cosign_registry.detect_layout(REF, DIGEST, "bundle", True, _layouts(["v1", sig])) \
        == cosign_layouts.LAYOUT_BUNDLE_UNKNOWN

    def referrers(url, accept):
        if "/referrers/" in url:
            return 200, b'{"manifests": [{"artifactType": "application/vnd.dev.sigstore"}]}'
        return 200, b'{"tags": ["v1"]}'
    assert cosign_registry.detect_layout(REF, DIGEST, "bundle", False,
                                         referrers) == cosign_layouts.LAYOUT_REFERRER


def test_sign_skips_when_already_signed_and_never_puts_password_in_argv():
    payload = json.dumps([{"critical": {"image": {"docker-manifest-digest": DIGEST}}}])
    run = FakeRunner([(sub("verify"), (0, payload, "")),
                      (sub("public-key"), (0, "-----BEGIN PUBLIC KEY-----\nX\n", ""))])
    co = cosign_runner.Cosign("cosign", run=run, major=2)
    res = cosign_flows.sign_image(co, REF, "k.key", password="s3cret")
    assert res["changed"] is False and res["digest"] == DIGEST
    assert all("s3cret" not in " ".join(argv) for argv, _env in run.calls)
    assert run.calls[0][1] == {"COSIGN_PASSWORD": "s3cret"}  # public-key gets it by env


def test_sign_signs_when_verify_fails_and_check_mode_writes_nothing():
    run = FakeRunner([(sub("verify"), (10, "", RECORDED["no_signature"])),
                      (sub("sign"), (0, "", "Pushing signature"))])
    co = cosign_runner.Cosign("cosign", run=run, major=2)
    res = cosign_flows.sign_image(co, REF, "k.key", password="pw", public_key="k.pub",
                                  check_mode=True)
    assert res["changed"] is True
    assert [a[1] for a, _env in run.calls] == ["verify"]
    res = cosign_flows.sign_image(co, REF, "k.key", password="pw", public_key="k.pub")
    assert [a[1] for a, _env in run.calls] == ["verify", "verify", "sign"]
    assert run.calls[-1][1] == {"COSIGN_PASSWORD": "pw"}


def test_verify_digest_mismatch_before_any_cosign_call(monkeypatch):
    run = FakeRunner([])
    co = cosign_runner.Cosign("cosign", run=run, major=3)
    monkeypatch.setattr(co, "resolve_digest", lambda ref: OTHER)
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(co, "reg.io/a:v1", public_keys=["k.pub"], expected_digest=DIGEST)
    assert e.value.reason == "digest_mismatch"
    assert OTHER in e.value.message and DIGEST in e.value.message
    assert run.calls == []


def test_verify_any_and_all_with_two_keys():
    ok = json.dumps([{"critical": {"image": {"docker-manifest-digest": DIGEST}}}])
    run = FakeRunner([(lambda a: "old.pub" in a, (1, "", RECORDED["wrong_key"])),
                      (lambda a: "new.pub" in a, (0, ok, ""))])
    co = cosign_runner.Cosign("cosign", run=run, major=3)
    res = cosign_flows.verify_image(co, REF, public_keys=["old.pub", "new.pub"], mode="any")
    assert res["verified_keys"] == ["new.pub"]
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(co, REF, public_keys=["old.pub", "new.pub"], mode="all")
    assert e.value.reason == "wrong_key" and "old.pub" in e.value.message


def test_verify_rejects_payload_for_another_digest():
    other = json.dumps([{"critical": {"image": {"docker-manifest-digest": OTHER}}}])
    run = FakeRunner([(sub("verify"), (0, other, ""))])
    co = cosign_runner.Cosign("cosign", run=run, major=3)
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(co, REF, public_keys=["k.pub"])
    assert e.value.reason == "digest_mismatch"


def test_unreachable_wins_over_other_reasons():
    run = FakeRunner([(lambda a: "a.pub" in a, (1, "", RECORDED["wrong_key"])),
                      (lambda a: "b.pub" in a, (1, "", RECORDED["registry_unreachable"]))])
    co = cosign_runner.Cosign("cosign", run=run, major=3)
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(co, REF, public_keys=["a.pub", "b.pub"])
    assert e.value.reason == "registry_unreachable"


def test_pem_keys_go_through_private_temp_files():
    seen = []

    def run(argv, env):
        path = argv[argv.index("--key") + 1]
        with open(path) as f:
            seen.append((path, f.read()))
        return 1, "", RECORDED["no_signature"]
    co = cosign_runner.Cosign("cosign", run=run, major=3)
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(co, REF, public_keys=["-----BEGIN PUBLIC KEY-----\nAAAA\n"
                                                        "-----END PUBLIC KEY-----"])
    assert e.value.reason == "no_signature"
    path, text = seen[0]
    assert text.startswith("-----BEGIN PUBLIC KEY-----")
    import os
    assert not os.path.exists(path)


def test_sbom_regenerated_for_the_same_image_counts_as_the_same_predicate():
    """syft 1.18 changes only these fields between two runs on one image (observed live)."""
    first = {"bomFormat": "CycloneDX", "serialNumber": "urn:uuid:1",
             "metadata": {"timestamp": "2026-11-25T00:48:36Z", "component": {"name": "a"}},
             "components": [{"name": "busybox"}]}
    second = json.loads(json.dumps(first))
    second["serialNumber"], second["metadata"]["timestamp"] = "urn:uuid:2", "2026-11-25T01:00Z"
    assert cosign_flows._same_predicate(first, second)
    second["components"].append({"name": "openssl"})
    assert not cosign_flows._same_predicate(first, second)
    spdx = {"spdxVersion": "SPDX-2.3", "creationInfo": {"created": "t1", "creators": ["x"]},
            "documentNamespace": "https://anchore.com/syft/image/a-1"}
    assert cosign_flows._same_predicate(spdx, {**spdx, "creationInfo": {"created": "t2",
                                                                        "creators": ["x"]},
                                               "documentNamespace": "https://anchore.com/syft/image/a-2"})


def test_sign_skips_the_verify_when_the_registry_shows_no_signature():
    run = FakeRunner([(sub("sign"), (0, "", ""))])
    co = cosign_runner.Cosign("cosign", run=run, major=3, offline=True,
                              registry_get=_layouts(["v1"]))
    res = cosign_flows.sign_image(co, REF, "k.key", password="pw")
    assert res["changed"] is True
    assert [a[1] for a, _env in run.calls] == ["sign"]  # no public-key, no verify


def test_for_each_keeps_going_and_reports_every_failure():
    def fn(img):
        if img == "bad":
            raise cosign_errors.CosignError("no_signature", "bad: no signature found")
        return {"image": img, "changed": True}
    for parallel in (1, 3):
        out = signing_params.for_each(["a", "bad", "b"], parallel, fn)
        assert [r["image"] for r in out] == ["a", "bad", "b"]
        assert [r["failed"] for r in out] == [False, True, False]
        assert signing_params.summarize_failures(out) == \
            "1 of 3 image(s) failed: bad: no signature found"
