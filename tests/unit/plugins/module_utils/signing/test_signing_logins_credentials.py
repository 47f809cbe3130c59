# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Registry credentials: the temporary docker config, the probe's answer to a Basic or
Bearer challenge, and the `registry_auth` reason (the integration test in
tests/integration/registry_auth runs Basic against the real lab registry; no token server
runs here, so the Bearer flow is checked against a recorded exchange)."""
from __future__ import annotations

import base64
import json
import os
import stat

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    runner as cosign_runner,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.runner import (
    classify_notation,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    logins as credentials,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.runner import (
    classify,
)

BASIC = "Basic " + base64.b64encode(b"ci:s3cret").decode()


def test_docker_config_dir_is_private_and_removed():
    hosts = credentials.registry_hosts(["ghcr.io/a/b:v1", "nginx:1",
                                        "ghcr.io/c@sha256:" + "a" * 64])
    assert hosts == ["ghcr.io", credentials.DOCKER_HUB_AUTH_KEY]
    with credentials.docker_config_dir("ci", "s3cret", hosts) as path:
        conf = os.path.join(path, "config.json")
        assert stat.S_IMODE(os.stat(path).st_mode) == 0o700
        assert stat.S_IMODE(os.stat(conf).st_mode) == 0o600
        with open(conf) as f:
            auths = json.load(f)["auths"]
        assert base64.b64decode(auths["ghcr.io"]["auth"]) == b"ci:s3cret"
    assert not os.path.exists(path)


class Registry:
    """A recorded registry: 401 with `challenge` until the right Authorization comes."""

    def __init__(self, challenge, accepted, token_reply=None):
        self.challenge, self.accepted, self.token_reply = challenge, accepted, token_reply
        self.calls = []

    def __call__(self, url, headers):
        self.calls.append((url, dict(headers)))
        if url.startswith("https://auth.example/token"):
            ok = headers.get("Authorization") in (BASIC, None)
            return (200, json.dumps(self.token_reply).encode(), {}) if ok else (401, b"", {})
        if headers.get("Authorization") == self.accepted:
            return 200, b'{"tags": ["v1"]}', {}
        return 401, b"", {"Www-Authenticate": self.challenge}


def test_basic_challenge_is_answered_once_per_host():
    reg = Registry('Basic realm="lab"', BASIC)
    get = credentials.AuthGetter(reg, "ci", "s3cret")
    assert get("https://r.example/v2/a/tags/list", "application/json")[0] == 200
    assert get("https://r.example/v2/a/referrers/x", "application/json")[0] == 200
    assert len(reg.calls) == 3  # anonymous, answered, then straight with the header


def test_bearer_challenge_fetches_a_token_with_the_scope():
    challenge = ('Bearer realm="https://auth.example/token",service="r.example",'
                 'scope="repository:a:pull"')
    reg = Registry(challenge, "Bearer T0K", {"token": "T0K"})
    get = credentials.AuthGetter(reg, "ci", "s3cret")
    assert get("https://r.example/v2/a/tags/list", "application/json") == (200, b'{"tags": ["v1"]}')
    token_url, token_headers = reg.calls[1]
    assert token_url == "https://auth.example/token?service=r.example&scope=repository%3Aa%3Apull"
    assert token_headers["Authorization"] == BASIC
    # anonymous pull tokens (public images) need no credentials
    anon = Registry(challenge, "Bearer ANON", {"access_token": "ANON"})
    assert credentials.AuthGetter(anon)("https://r.example/v2/a/tags/list", "a")[0] == 200
    assert "Authorization" not in anon.calls[1][1]


def test_refused_login_stays_a_401_and_is_a_plain_reason():
    reg = Registry('Basic realm="lab"', BASIC)
    url = "https://r.example/v2/a/tags/list"
    assert credentials.AuthGetter(reg, "ci", "wrong")(url, "a")[0] == 401
    assert credentials.AuthGetter(reg)(url, "a")[0] == 401
    crane = ("Error: GET https://127.0.0.1:15443/v2/t/manifests/v1: UNAUTHORIZED: "
             "authentication required; [map[Action:pull Name:t Type:repository]]")
    notation = ('Error: failed to get manifest descriptor: HEAD "https://127.0.0.1:15443/v2/t/'
                'manifests/sha256:ab": response status code 401: Unauthorized')
    no_login = ('Error: failed to get manifest descriptor: HEAD "https://127.0.0.1:15443/v2/t/'
                'manifests/v1": basic credential not found')
    assert classify(crane) == "registry_auth"
    assert classify_notation(notation) == classify_notation(no_login) == "registry_auth"
    # a Fulcio 401 is not the registry's
    assert classify("getting signer: retrieving cert: 401 Unauthorized") != "registry_auth"


def test_already_signed_check_asks_the_registry_once_per_image():
    """An insecure plain-HTTP registry: https is tried for the first image only, the legacy
    layout needs no referrers call, and the already-signed path reuses the tags it read."""
    from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
        flows as cosign_flows,
    )
    from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
        references as cosign_references,
    )
    digest = "sha256:" + "ab" * 32
    signed = cosign_references.signature_tag(digest)
    asked = []

    def request(url, headers):
        asked.append(url)
        if url.startswith("https://"):
            return None, b"", {}  # a plain-HTTP registry does not speak TLS
        return 200, json.dumps({"tags": ["v1", signed]}).encode(), {}
    getter = credentials.AuthGetter(request)
    payload = json.dumps([{"critical": {"image": {"docker-manifest-digest": digest}}}])

    def run(argv, env=None):
        return (0, payload, "") if argv[1] == "verify" else (1, "", "unexpected")
    cosign = cosign_runner.Cosign("cosign", run=run, major=3, insecure_registry=True,
                                  offline=True, registry_get=getter)
    for repo in ("a", "b"):
        res = cosign_flows.sign_image(cosign, f"127.0.0.1:15000/{repo}@{digest}", "k.key",
                                      public_key="-----BEGIN PUBLIC KEY-----\nX\n")
        assert res["changed"] is False and res["layout"] == "legacy-sig-tag"
    base = "127.0.0.1:15000/v2"
    assert asked == [f"https://{base}/a/tags/list", f"http://{base}/a/tags/list",
                     f"http://{base}/b/tags/list"]
