# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Where the probe's login may go (redirects, token realms) and the docker config's logins:
inline auths, credHelpers and credsStore through the credential helper protocol."""
from __future__ import annotations

import base64
import json

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    logins as credentials,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)

BASIC = "Basic " + base64.b64encode(b"ci:s3cret").decode()


def test_a_redirect_on_the_same_host_keeps_the_login_and_is_followed():
    calls = []

    def net(url, headers):
        calls.append((url, dict(headers)))
        if url.endswith("/tags/list"):
            if "Authorization" not in headers:
                return 401, b"", {"WWW-Authenticate": 'Basic realm="r"'}
            return 307, b"", {"Location": "/v2/a/tags/list2"}
        return 200, b'{"tags": []}', {}

    get = credentials.AuthGetter(net, "ci", "s3cret")
    assert get("https://r.example/v2/a/tags/list", "a") == (200, b'{"tags": []}')
    assert calls[-1] == ("https://r.example/v2/a/tags/list2",
                         {"Accept": "a", "Authorization": BASIC})


def test_a_redirect_loop_or_to_another_scheme_ends_without_an_answer():
    loop = credentials.AuthGetter(lambda u, h: (302, b"", {"Location": u}))
    assert loop("https://r.example/v2/a/tags/list", "a") == (None, b"")
    ftp = credentials.AuthGetter(lambda u, h: (302, b"", {"Location": "ftp://x/y"}))
    assert ftp("https://r.example/v2/a/tags/list", "a") == (None, b"")


@pytest.mark.parametrize("realm, registry, asked", [
    ("https://auth.example/token", "https://r.example/v2/", True),
    ("http://auth.example/token", "https://r.example/v2/", False),
    ("http://auth.example/token", "http://r.example/v2/", False),
    ("http://r.example/token", "http://r.example/v2/", True),   # same host, the registry's scheme
    ("http://r.example/token", "https://r.example/v2/", False),  # a downgrade
    ("file:///etc/passwd", "https://r.example/v2/", False),
])
def test_which_token_realms_are_asked(realm, registry, asked):
    assert credentials.AuthGetter(None).realm_allowed(realm, registry) is asked


def _config(tmp_path, doc):
    (tmp_path / "config.json").write_text(json.dumps(doc))
    return str(tmp_path)


def test_inline_auths_and_hub_keys(tmp_path):
    auth = base64.b64encode(b"u:p").decode()
    path = _config(tmp_path, {"auths": {"ghcr.io": {"auth": auth},
                                        credentials.DOCKER_HUB_AUTH_KEY: {"auth": auth}}})
    assert credentials.docker_config_credentials("ghcr.io", path) == ("u", "p")
    assert credentials.docker_config_credentials("docker.io", path) == ("u", "p")
    assert credentials.docker_config_credentials("quay.io", path) is None
    assert credentials.docker_config_credentials("ghcr.io", str(tmp_path / "none")) is None


def test_cred_helpers_come_before_the_store_and_inline_auths(tmp_path):
    seen = []

    def run(argv, stdin):
        seen.append((argv[0], stdin))
        name = argv[0].rsplit("-", 1)[-1]
        if name == "empty":
            return 1, b"credentials not found in native keychain"
        return 0, json.dumps({"Username": name, "Secret": "x"}).encode()

    path = _config(tmp_path, {"credHelpers": {"ghcr.io": "gcr"}, "credsStore": "empty",
                              "auths": {"quay.io": {"auth": base64.b64encode(b"q:p").decode()}}})

    def which(name):
        return f"/bin/{name}"
    assert credentials.docker_config_credentials("ghcr.io", path, run, which) == ("gcr", "x")
    assert credentials.docker_config_credentials("quay.io", path, run, which) == ("q", "p")
    assert seen == [("/bin/docker-credential-gcr", "ghcr.io"),
                    ("/bin/docker-credential-empty", "quay.io")]


@pytest.mark.parametrize("answer, fragment", [
    ((0, b"not json"), "did not answer ghcr.io with JSON holding Username and Secret"),
    ((0, b'{"Username": "u"}'), "did not answer"),
    ((3, b"boom"), "failed for ghcr.io (exit 3)"),
])
def test_a_helper_that_answers_wrong_is_refused(answer, fragment):
    with pytest.raises(CosignError) as info:
        credentials.helper_credentials("x", "ghcr.io", run=lambda a, s: answer,
                                       which=lambda n: "/bin/" + n)
    assert fragment in info.value.message and info.value.reason == "registry_auth"


def test_a_helper_name_is_a_name_not_a_path():
    with pytest.raises(CosignError, match="not a helper name"):
        credentials.helper_credentials("../../bin/sh", "ghcr.io", which=lambda n: "/bin/sh")


def test_the_getter_asks_the_lookup_for_the_registry_host_only():
    asked = []

    def lookup(host):
        asked.append(host)
        return "u", "p"

    def net(url, headers):
        if headers.get("Authorization"):
            return 200, b"{}", {}
        return 401, b"", {"WWW-Authenticate": 'Basic realm="r"'}

    get = credentials.AuthGetter(net, lookup=lookup)
    assert get("https://r.example:5000/v2/a/tags/list", "a")[0] == 200
    assert asked == ["r.example:5000"]


def test_the_modules_getter_without_a_login_honours_the_docker_config(tmp_path, monkeypatch):
    from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
        module,
    )
    monkeypatch.setenv("DOCKER_CONFIG", _config(tmp_path, {"credsStore": "nonesuch-helper"}))
    get = module.registry_getter()
    get.request = lambda url, headers: (401, b"", {"WWW-Authenticate": 'Basic realm="r"'})
    with pytest.raises(CosignError, match="docker-credential-nonesuch-helper for r.example, "
                                          "but it is not installed"):
        get("https://r.example/v2/a/tags/list", "a")
    assert module.registry_getter("ca.pem", "ci", "pw").lookup is None
