# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Fail-closed rows of the registry probe's logins and of the installer (issue 22), in-process:
a fake transport at the request boundary, or a local http.server on 127.0.0.1 for the redirect
that urllib itself would have followed."""
from __future__ import annotations

import base64
import http.server
import json
import os
import threading
from urllib.parse import urlsplit

import pytest
from ansible_collections.bulwark.container_security.plugins.filter.release_artifact import (
    release_artifact_plan,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
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

SECRET = "S3cr3tPassw0rd"
FULCIO_WITH_USERINFO = f"https://ci:{SECRET}@fulcio.example"
BASIC = "Basic " + base64.b64encode(f"ci:{SECRET}".encode()).decode()


class Net:
    """registry: 401 with `challenge` until an Authorization comes, then `after_auth`."""

    def __init__(self, challenge, after_auth=(200, b'{"tags": []}', {})):
        self.challenge, self.after_auth, self.calls = challenge, after_auth, []

    def __call__(self, url, headers):
        self.calls.append((url, dict(headers)))
        if urlsplit(url).netloc == "reg.example":
            if "Authorization" in headers:
                return self.after_auth
            return 401, b"", {"WWW-Authenticate": self.challenge}
        return 200, json.dumps({"token": "T"}).encode(), {}

    def sent_to(self, host):
        return [h for u, h in self.calls if urlsplit(u).netloc == host]


def _realm_http_other_host():
    net = Net('Bearer realm="http://evil.example/token",service="reg.example"')
    status, _body = credentials.AuthGetter(net, "ci", SECRET)("https://reg.example/v2/a/tags/list",
                                                              "a")
    return status, net.sent_to("evil.example")


def _redirect_other_host():
    net = Net('Basic realm="r"',
              after_auth=(302, b"", {"Location": "https://evil.example/v2/a/tags/list"}))
    status, _body = credentials.AuthGetter(net, "ci", SECRET)("https://reg.example/v2/a/tags/list",
                                                              "a")
    return status, net.sent_to("evil.example")


def _redirect_https_to_http_same_host():
    net = Net('Basic realm="r"',
              after_auth=(301, b"", {"Location": "http://reg.example/v2/a/tags/list"}))
    getter = credentials.AuthGetter(net, "ci", SECRET)
    getter("https://reg.example/v2/a/tags/list", "a")
    return None, [h for u, h in net.calls if u.startswith("http://")]


@pytest.mark.parametrize("scenario", [
    pytest.param(_realm_http_other_host, id="bearer-realm-on-other-host-over-http"),
    pytest.param(_redirect_other_host, id="302-to-other-host-after-login"),
    pytest.param(_redirect_https_to_http_same_host, id="301-https-to-http-downgrade"),
])
def test_leak_row_registry_login_stays_with_the_registry(scenario):
    """Blocks: no request to another host (or over a downgrade) carries the login."""
    _status, sent = scenario()
    assert all("Authorization" not in h for h in sent), sent
    assert all(SECRET not in json.dumps(h) and BASIC not in json.dumps(h) for h in sent)


class _Recorder(http.server.BaseHTTPRequestHandler):
    """Two roles on two servers: `registry` asks Basic, then 302s to the other server's
    host name (localhost, not 127.0.0.1: another host for the client)."""

    seen = []  # (server role, Authorization header) of every request
    target = ""

    def do_GET(self):  # noqa: N802 (http.server's name)
        role = self.server.role
        type(self).seen.append((role, self.headers.get("Authorization")))
        if role == "registry":
            if self.headers.get("Authorization") != BASIC:
                self.send_response(401)
                self.send_header("WWW-Authenticate", 'Basic realm="lab"')
            else:
                self.send_response(302)
                self.send_header("Location", type(self).target)
        else:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"{}")

    def log_message(self, *args):
        pass


def _serve(role):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    server.role = role
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.mark.parametrize("code", [pytest.param(302, id="302-to-other-host-over-urllib")])
def test_leak_row_registry_redirect_through_the_real_transport(code, monkeypatch):
    """Blocks: through module.py's registry_request (Ansible's urls.Request), a 302 from the
    registry after the login reaches the other host without the Authorization header."""
    from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
        module,
    )
    for var in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy",
                "ALL_PROXY"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("no_proxy", "*")
    registry, other = _serve("registry"), _serve("other")
    try:
        _Recorder.seen = []
        _Recorder.target = f"http://localhost:{other.server_port}/v2/a/tags/list"
        getter = module.registry_getter(username="ci", password=SECRET)
        status, _body = getter(f"http://127.0.0.1:{registry.server_port}/v2/a/tags/list",
                               "application/json")
    finally:
        registry.shutdown()
        other.shutdown()
    assert status == 200
    assert ("registry", BASIC) in _Recorder.seen  # the registry itself got the login
    assert [a for role, a in _Recorder.seen if role == "other"] == [None]


@pytest.mark.parametrize("call, fragment", [
    pytest.param(lambda: references.parse_reference(f"ci:{SECRET}@ghcr.io/a/b:v1"),
                 "holds credentials", id="userinfo-in-image-reference"),
    pytest.param(lambda: references.parse_reference(f"https://ci:{SECRET}@ghcr.io/a/b"),
                 "holds credentials", id="url-userinfo-in-image-reference"),
    pytest.param(lambda: check_image_options({"fulcio_url": FULCIO_WITH_USERINFO}),
                 "fulcio_url carries credentials", id="userinfo-in-fulcio-url"),
    pytest.param(lambda: plan("cosign", "3.1.1", "x86_64",
                              mirror_url=f"https://ci:{SECRET}@mirror.example/gh"),
                 "holds credentials", id="userinfo-in-mirror-url"),
])
def test_leak_row_userinfo_refused_without_the_secret(call, fragment):
    """Refused, and the secret is in no message."""
    with pytest.raises((CosignError, ArtifactError)) as info:
        call()
    assert fragment in str(info.value)
    assert SECRET not in str(info.value)


def test_leak_row_credential_helper_argv():
    """The helper protocol: server on stdin, the secret back on stdout, never in argv."""
    seen = []

    def run(argv, stdin):
        seen.append((argv, stdin))
        return 0, json.dumps({"Username": "ci", "Secret": SECRET}).encode()

    found = credentials.helper_credentials("pass", "ghcr.io", run=run,
                                           which=lambda n: f"/usr/bin/{n}")
    assert found == ("ci", SECRET)
    assert seen == [(["/usr/bin/docker-credential-pass", "get"], "ghcr.io")]


def _helper_missing(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"credHelpers": {"ghcr.io": "secretservice"}}))
    return credentials.docker_config_credentials("ghcr.io", str(tmp_path), which=lambda n: None)


def _store_missing(tmp_path):
    (tmp_path / "config.json").write_text(json.dumps({"credsStore": "desktop"}))
    return credentials.docker_config_credentials("reg.example", str(tmp_path),
                                                 which=lambda n: None)


@pytest.mark.parametrize("call, fragment", [
    pytest.param(_helper_missing, "docker-credential-secretservice for ghcr.io, but it is not "
                 "installed", id="credHelpers-helper-not-installed"),
    pytest.param(_store_missing, "docker-credential-desktop for reg.example, but it is not "
                 "installed", id="credsStore-helper-not-installed"),
])
def test_fail_open_row_credential_helper(call, fragment, tmp_path):
    """Refused naming the helper: a named helper is never bypassed for an anonymous ask."""
    with pytest.raises(CosignError) as info:
        call(tmp_path)
    assert fragment in info.value.message
    assert info.value.reason == "registry_auth"


@pytest.mark.parametrize("kwargs, fragment", [
    pytest.param(dict(tool="cosign", version="3.1.1", architecture="x86_64",
                      mirror_url="http://mirror.example/gh"),
                 "release_artifact_mirror_url 'http://mirror.example/gh' is plain HTTP",
                 id="http-mirror-without-opt-in"),
    pytest.param(dict(tool="falco", version="0.44.1", architecture="x86_64", sha256="a" * 64,
                      base_url="http://127.0.0.1:18080/falco"),
                 "release_artifact_base_url 'http://127.0.0.1:18080/falco' is plain HTTP",
                 id="http-base-url-without-opt-in"),
    pytest.param(dict(tool="kyverno", version="1.19.0", architecture="aarch64",
                      mirror_url="http://127.0.0.1:18080", allow_insecure_mirror=True),
                 "kyverno 1.19.0 for aarch64 has no pinned sha256 in the catalog: set "
                 "kyverno_sha256", id="http-mirror-opt-in-without-pin"),
    pytest.param(dict(tool="syft", version="1.19.0", architecture="x86_64"),
                 "syft 1.19.0 for x86_64 has no pinned sha256 in the catalog: set syft_sha256",
                 id="missing-pin-syft"),
    pytest.param(dict(tool="cosign", version="3.0.0", architecture="x86_64"),
                 "cosign 3.0.0 for x86_64 has no pinned sha256 in the catalog: set "
                 "cosign_sha256", id="missing-pin-other-version"),
])
def test_fail_open_row_installer_mirror_and_pins(kwargs, fragment):
    """Refused before anything is fetched: plain HTTP without the opt-in; no pin at all
    (the checksums file next to the asset is never the source)."""
    with pytest.raises(ArtifactError) as info:
        plan(**kwargs)
    assert fragment in str(info.value)


@pytest.mark.parametrize("allow", [pytest.param("yes", id="opt-in-as-string"),
                                   pytest.param(1, id="opt-in-as-number")])
def test_fail_open_row_installer_opt_in_is_a_boolean(allow):
    """The filter takes the opt-in only as the boolean true (the role passes `| bool`)."""
    out = release_artifact_plan("cosign", "3.1.1", "x86_64", mirror_url="http://m.example",
                                allow_insecure_mirror=allow)
    assert "is plain HTTP" in out["error"]


def test_fail_open_row_installer_opt_in_still_takes_the_pin():
    """With the opt-in, the checksum is still the catalog's pin, not the mirror's file."""
    p = plan("cosign", "3.1.1", "aarch64", mirror_url="http://127.0.0.1:18080",
             allow_insecure_mirror=True)
    assert p["checksum"] == ("sha256:2ec865872e331c32fd12b08dae15332d3f92c0aa029219589684a4903"
                             "ca85d11")
    assert "127.0.0.1" not in p["checksum"]
    assert os.path.basename(p["url"]) == "cosign-linux-arm64"
