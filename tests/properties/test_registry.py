# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the registry probe's logins (signing/logins.py), image references with
credentials in them (signing/references.py) and the installer's URL/checksum planner
(release_artifacts.py). The network is a fake transport at the request boundary
(``request(url, headers) -> (status, body, headers)``), the same one module.py's
registry_request is: it records every request, so a property can say where a secret went."""
from __future__ import annotations

import base64
import json
import re
from urllib.parse import urlsplit

from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
    CATALOG,
    ArtifactError,
    plan,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    logins as credentials,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    references,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.params import (
    check_image_options,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import no_secret, refused_or_right

REGISTRY = "reg.example:5000"
# A secret is distinctive ("Pw9" + letters and digits): a plain word such as "expected" would
# be found in any message and say nothing about a leak.
SECRETS = st.text(alphabet="ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz0123456789",
                  min_size=8, max_size=20).map("Pw9".__add__)
HOSTS = st.sampled_from([REGISTRY, "auth.example", "evil.example", "reg.example:5001"])
SCHEMES = st.sampled_from(["http", "https"])


class FakeNet:
    """Routes: the registry answers `challenge` (or redirects to `redirect`) until it sees
    an Authorization; any token realm answers a token (or redirects to `realm_redirect`)."""

    def __init__(self, challenge, redirect=None, realm_redirect=None):
        self.challenge, self.redirect, self.realm_redirect = challenge, redirect, realm_redirect
        self.calls = []

    def __call__(self, url, headers):
        self.calls.append((url, dict(headers)))
        host = urlsplit(url).netloc
        if host == REGISTRY and "/v2/" in url:
            if self.redirect and "Authorization" not in headers:
                return 302, b"", {"Location": self.redirect}
            if "Authorization" in headers:
                return 200, b'{"tags": []}', {}
            return 401, b"", {"WWW-Authenticate": self.challenge}
        if "token" in url:
            if self.realm_redirect:
                target, self.realm_redirect = self.realm_redirect, None
                return 307, b"", {"Location": target}
            return 200, json.dumps({"token": "T0KEN"}).encode(), {}
        # any other host: a challenge of its own, to tempt the getter
        return 401, b"", {"WWW-Authenticate": 'Basic realm="x"'}


def _carries(headers, user, secret):
    auth = headers.get("Authorization", "")
    basic = base64.b64encode(f"{user}:{secret}".encode()).decode()
    return secret in auth or basic in auth


@st.composite
def exchanges(draw):
    reg_scheme = draw(SCHEMES)
    kind = draw(st.sampled_from(["basic", "bearer", "other"]))
    realm = f"{draw(SCHEMES)}://{draw(HOSTS)}/token"
    challenge = {"basic": 'Basic realm="r"',
                 "bearer": f'Bearer realm="{realm}",service="s",scope="repository:a:pull"',
                 "other": draw(st.text(max_size=40))}[kind]
    redirect = draw(st.none() | st.builds(lambda s, h: f"{s}://{h}/v2/a/tags/list", SCHEMES,
                                          HOSTS))
    realm_redirect = draw(st.none() | st.builds(lambda s, h: f"{s}://{h}/token2", SCHEMES,
                                                HOSTS))
    return reg_scheme, challenge, redirect, realm_redirect, realm if kind == "bearer" else None


@given(exchanges(), SECRETS)
def test_the_secret_goes_only_to_the_registry_or_an_https_realm(exchange, secret):
    """Invariant (never show a secret): for any challenge (Basic, Bearer with a realm on any
    host and scheme, garbage), any redirect of the registry or of the token realm, the
    credentials are sent only to the registry host itself, or to a Bearer realm over https
    (or on the registry's own host and scheme); never over http to another host, never
    after a redirect that left the host. The getter never raises."""
    reg_scheme, challenge, redirect, realm_redirect, realm = exchange
    net = FakeNet(challenge, redirect, realm_redirect)
    get = credentials.AuthGetter(net, "ci", secret)
    refused_or_right(lambda: get(f"{reg_scheme}://{REGISTRY}/v2/a/tags/list", "a"), ())
    for url, headers in net.calls:
        if not _carries(headers, "ci", secret):
            continue
        parts = urlsplit(url)
        if parts.netloc == REGISTRY:
            assert parts.scheme == reg_scheme or parts.scheme == "https", url
            continue
        assert parts.scheme == "https", f"credentials over http to {url}"
        assert realm and parts.netloc == urlsplit(realm).netloc, \
            f"credentials followed a redirect to {url}"


@given(SECRETS, st.sampled_from([
    "ci:{s}@ghcr.io/a/b:v1", "{s}@ghcr.io/a/b", "https://ci:{s}@ghcr.io/a/b",
    "ci:{s}@127.0.0.1:5000/a/b@sha256:" + "a" * 64, "oci://ci:{s}@reg.example/a"]))
def test_a_reference_with_userinfo_is_refused_without_the_secret(secret, template):
    """Invariant (refused clearly, never a secret shown): an image reference that carries
    userinfo is refused, and the message does not hold the secret."""
    ref = template.format(s=secret)
    outcome, message = refused_or_right(lambda: references.parse_reference(ref), CosignError)
    assert outcome == "refused"
    no_secret(secret, message)


@given(SECRETS, st.sampled_from(["fulcio_url", "rekor_url"]), SCHEMES)
def test_a_service_url_with_userinfo_is_refused_without_the_secret(secret, option, scheme):
    """Invariant: fulcio_url/rekor_url with userinfo are refused naming the option, the
    secret not in the message."""
    url = f"{scheme}://user:{secret}@fulcio.example/api"
    outcome, message = refused_or_right(lambda: check_image_options({option: url}), CosignError)
    assert outcome == "refused" and option in message
    no_secret(secret, message)


@given(st.text(max_size=60), st.sampled_from(["osxkeychain", "pass", "ecr-login"]), SECRETS)
def test_a_credential_helper_never_sees_the_secret_in_argv(server, helper, secret):
    """Invariant: a credential helper is asked with the server on stdin (argv is only
    [program, 'get']); its secret is returned, never put in argv; a non-JSON answer is a
    refusal naming the helper."""
    seen = []

    def run(argv, stdin):
        seen.append((list(argv), stdin))
        return 0, json.dumps({"Username": "u", "Secret": secret}).encode()

    found = credentials.helper_credentials(helper, server, run=run,
                                           which=lambda name: f"/usr/bin/{name}")
    assert found == ("u", secret)
    assert seen == [([f"/usr/bin/docker-credential-{helper}", "get"], server)]
    no_secret(secret, seen[0][0])


MIRROR_HOSTS = st.sampled_from(["127.0.0.1:18080", "mirror.example", "[::1]:8080", "m.example"])
TOOLS = st.sampled_from(sorted(CATALOG))
VERSIONS = st.sampled_from(["3.1.1", "1.3.2", "0.75.0", "1.19.0", "1.18.1", "0.44.1", "9.9.9"])
ARCHES = st.sampled_from(["x86_64", "aarch64"])
SHA = re.compile(r"sha256:[0-9a-f]{64}")


@given(TOOLS, VERSIONS, ARCHES, SCHEMES, MIRROR_HOSTS, st.booleans(),
       st.none() | st.just("b" * 64), st.sampled_from(["mirror_url", "base_url"]))
def test_a_planned_download_is_pinned_and_http_needs_the_opt_in(tool, version, arch, scheme,
                                                                host, allow, sha256, which):
    """Invariant (never a pass that should block): a plain-HTTP mirror or base URL without
    the explicit opt-in is always refused, naming release_artifact_allow_insecure_mirror;
    a plan that is made always carries a pinned sha256 (the user's or the catalog's), never
    a checksum taken from a URL (the mirror)."""
    url = f"{scheme}://{host}/gh"
    kwargs = {which: url}

    def check(p):
        assert SHA.fullmatch(p["checksum"]), p["checksum"]
        assert p["checksum_source"] in ("pin", "catalog")
        assert host not in p["checksum"]

    outcome, value = refused_or_right(
        lambda: plan(tool, version, arch, sha256=sha256, allow_insecure_mirror=allow, **kwargs),
        ArtifactError, check)
    if scheme == "http" and not allow:
        assert outcome == "refused" and "release_artifact_allow_insecure_mirror" in value
    if outcome == "result" and sha256 is None:
        assert value["checksum_source"] == "catalog"
    if outcome == "refused" and "no pinned sha256" in value:
        assert "_sha256" in value
