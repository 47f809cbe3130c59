# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Keyless signing at the argv level (no Fulcio or Rekor can run here): the flags per cosign
generation, the identity token only ever in a 0600 file that is gone afterwards, and the
already-signed check by identity."""
from __future__ import annotations

import json
import os
import stat

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    flows as cosign_flows,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    runner as cosign_runner,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    errors as cosign_errors,
)

DIGEST = "sha256:" + "ab" * 32
REF = f"127.0.0.1:15000/a/b@{DIGEST}"
TOKEN = "eyJhbGciOiJSUzI1NiJ9.keyless-test-token.c2lnbmF0dXJl"
PAYLOAD = json.dumps([{"critical": {"image": {"docker-manifest-digest": DIGEST}}}])
NO_SIG = "Error: no signatures found\nerror during command execution: no signatures found"
PRIVATE = {"fulcio_url": "https://fulcio.example", "rekor_url": "https://rekor.example",
           "trusted_root": "/etc/sigstore/trusted_root.json"}


class Recorder:
    """A cosign stand-in: answers by subcommand and, on `sign`, looks at the token file the
    way cosign would (its mode and content) while it still exists."""

    def __init__(self, answers):
        self.answers = answers
        self.calls = []
        self.token_files = []

    def __call__(self, argv, env):
        self.calls.append((list(argv), dict(env)))
        if "--identity-token" in argv:
            path = argv[argv.index("--identity-token") + 1]
            with open(path) as f:
                self.token_files.append((path, stat.S_IMODE(os.stat(path).st_mode), f.read()))
        return self.answers[argv[1]]


def no_token_anywhere(run, *more):
    assert TOKEN not in json.dumps([run.calls, more])


def test_sign_argv_keyless_cosign3_private_sigstore():
    co = cosign_runner.Cosign("cosign", major=3)
    keyless = dict(PRIVATE, token_file="/tmp/t")
    assert co.sign_argv(REF, None, keyless=keyless) == [
        "cosign", "sign", "--yes", "--use-signing-config=false", "--new-bundle-format=false",
        "--identity-token", "/tmp/t", "--fulcio-url", "https://fulcio.example",
        "--rekor-url", "https://rekor.example", "--trusted-root",
        "/etc/sigstore/trusted_root.json", REF]
    # public-good Sigstore: cosign 3 keeps its TUF signing config
    assert co.sign_argv(REF, None, "bundle", keyless={"token_file": "/tmp/t"}) == [
        "cosign", "sign", "--yes", "--new-bundle-format=true", "--identity-token", "/tmp/t", REF]


def test_sign_argv_keyless_cosign2_and_trusted_root_refused():
    co = cosign_runner.Cosign("cosign", major=2, offline=True)
    assert co.sign_argv(REF, None, keyless={"token_file": "/tmp/t", "rekor_url": "https://r"}) == [
        "cosign", "sign", "--yes", "--tlog-upload=false", "--identity-token", "/tmp/t",
        "--rekor-url", "https://r", REF]
    with pytest.raises(cosign_errors.CosignError) as e:
        co.sign_argv(REF, None, keyless={"token_file": "/tmp/t", "trusted_root": "/tr.json"})
    assert e.value.reason == "unsupported" and "cosign 3" in e.value.message


def test_keyless_sign_passes_a_0600_token_file_and_removes_it():
    run = Recorder({"sign": (0, "", "Pushing signature")})
    co = cosign_runner.Cosign("cosign", run=run, major=3)
    res = cosign_flows.sign_image(co, REF, None, keyless=dict(PRIVATE, identity_token=TOKEN))
    assert res["changed"] is True and res["signed_before"] is False
    assert [a[1] for a, _env in run.calls] == ["sign"]  # no identity: nothing to check
    [(path, mode, content)] = run.token_files
    assert mode == 0o600 and content == TOKEN
    assert not os.path.exists(path)
    no_token_anywhere(run, res)


def test_token_file_removed_when_signing_fails():
    refused = "error during command execution: getting signer: retrieving cert: 401 Unauthorized"
    run = Recorder({"sign": (1, "", refused)})
    co = cosign_runner.Cosign("cosign", run=run, major=2)
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.sign_image(co, REF, None, keyless={"identity_token": TOKEN})
    assert e.value.reason == "cosign_failed"
    [(path, _mode, _content)] = run.token_files
    assert not os.path.exists(path)
    no_token_anywhere(run, e.value.as_dict())


def test_keyless_already_signed_by_identity_writes_nothing():
    run = Recorder({"verify": (0, PAYLOAD, "")})
    co = cosign_runner.Cosign("cosign", run=run, major=3)
    keyless = dict(PRIVATE, identity_token=TOKEN, identity="ci@example.com",
                   issuer="https://oidc.example")
    res = cosign_flows.sign_image(co, REF, None, keyless=keyless)
    assert res["changed"] is False and res["signed_before"] is True
    assert run.calls[0][0] == [
        "cosign", "verify", "--certificate-identity", "ci@example.com",
        "--certificate-oidc-issuer", "https://oidc.example", "--trusted-root",
        "/etc/sigstore/trusted_root.json", "--new-bundle-format=false", REF]
    assert run.token_files == []  # the token is written only when signing
    no_token_anywhere(run, res)


def test_keyless_not_yet_signed_by_identity_signs_and_check_mode_does_not():
    run = Recorder({"verify": (10, "", NO_SIG), "sign": (0, "", "")})
    co = cosign_runner.Cosign("cosign", run=run, major=2)
    keyless = {"identity_token": TOKEN, "identity": "ci@example.com", "issuer": "https://i",
               "rekor_url": "https://rekor.example"}
    assert cosign_flows.sign_image(co, REF, None, keyless=keyless, check_mode=True)["changed"]
    assert [a[1] for a, _env in run.calls] == ["verify"] and run.token_files == []
    # cosign 2.x verifies against the given Rekor
    assert run.calls[0][0][-3:-1] == ["--rekor-url", "https://rekor.example"]
    cosign_flows.sign_image(co, REF, None, keyless=keyless)
    assert [a[1] for a, _env in run.calls] == ["verify", "verify", "sign"]
    no_token_anywhere(run)


def test_trusted_root_with_cosign2_fails_before_any_call():
    run = Recorder({})
    co = cosign_runner.Cosign("cosign", run=run, major=2)
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.sign_image(co, REF, None, keyless=dict(PRIVATE, identity_token=TOKEN))
    assert e.value.reason == "unsupported" and run.calls == []
