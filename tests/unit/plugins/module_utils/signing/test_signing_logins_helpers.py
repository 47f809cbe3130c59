# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""docker credential helpers run for real (tests/unit/support/credential_helpers.py writes
an executable that speaks the protocol): credHelpers and credsStore from config.json, the
answers that mean "no login", and every failure named without the secret."""
from __future__ import annotations

import base64
import json
import os

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    logins as credentials,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from credential_helpers import login, runs, write_helper

SECRET = "hLp-S3cret-9f2c"


@pytest.fixture
def helpers(tmp_path, monkeypatch):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    config = tmp_path / "docker"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))

    def configure(doc):
        (config / "config.json").write_text(json.dumps(doc))
    return bin_dir, configure


def test_cred_helper_for_the_host_then_the_store(helpers):
    bin_dir, configure = helpers
    write_helper(bin_dir, "gcr", {"ghcr.io": login("ghcr.io", "gh", SECRET)})
    write_helper(bin_dir, "store", {"reg.example:5000": login("reg.example:5000", "st", "s2"),
                                    "https://index.docker.io/v1/": login("hub", "hu", "s3")})
    configure({"credHelpers": {"ghcr.io": "gcr"}, "credsStore": "store"})
    assert credentials.docker_config_credentials("ghcr.io") == ("gh", SECRET)
    assert credentials.docker_config_credentials("reg.example:5000") == ("st", "s2")
    assert credentials.docker_config_credentials("docker.io") == ("hu", "s3")
    assert credentials.docker_config_credentials("quay.io") is None   # not found: anonymous
    (seen,) = runs(bin_dir, "gcr")
    assert seen["argv"][1:] == ["get"] and seen["stdin"] == "ghcr.io"
    assert [r["stdin"] for r in runs(bin_dir, "store")] == [
        "reg.example:5000", "https://index.docker.io/v1/", "quay.io"]
    for run in runs(bin_dir, "gcr") + runs(bin_dir, "store"):
        assert SECRET not in json.dumps(run["argv"]) + json.dumps(run["env"])


def test_store_without_a_login_falls_back_to_inline_auths(helpers):
    bin_dir, configure = helpers
    write_helper(bin_dir, "empty", {})
    inline = base64.b64encode(b"q:pw").decode()
    configure({"credsStore": "empty", "auths": {"q.example": {"auth": inline}}})
    assert credentials.docker_config_credentials("q.example") == ("q", "pw")


@pytest.mark.parametrize("answers, kwargs, fragment", [
    pytest.param({"*": (2, f"fatal: {SECRET}")}, {"stderr": SECRET},
                 "docker-credential-lab failed for ghcr.io (exit 2)", id="non-zero-exit"),
    pytest.param({"*": (0, f"Secret={SECRET} not json")}, {},
                 "did not answer ghcr.io with JSON holding Username and Secret", id="bad-json"),
    pytest.param({"*": (0, json.dumps({"Username": "u", "Secret": 7}))}, {},
                 "did not answer ghcr.io with JSON", id="secret-not-text"),
    pytest.param({"*": login("ghcr.io", "u", SECRET)}, {"sleep": 5},
                 "docker-credential-lab did not answer within 1 s for ghcr.io", id="timeout"),
])
def test_a_failing_helper_is_named_without_the_secret(helpers, monkeypatch, answers, kwargs,
                                                      fragment):
    bin_dir, configure = helpers
    monkeypatch.setattr(credentials, "HELPER_TIMEOUT", 1)
    write_helper(bin_dir, "lab", answers, **kwargs)
    configure({"credHelpers": {"ghcr.io": "lab"}})
    with pytest.raises(CosignError) as info:
        credentials.docker_config_credentials("ghcr.io")
    assert fragment in info.value.message and info.value.reason == "registry_auth"
    assert SECRET not in info.value.message


def test_a_missing_or_unrunnable_helper_is_named(helpers):
    bin_dir, configure = helpers
    configure({"credsStore": "desktop"})
    with pytest.raises(CosignError, match="docker-credential-desktop for r.example, but it "
                                          "is not installed"):
        credentials.docker_config_credentials("r.example")
    broken = write_helper(bin_dir, "broken", {})
    broken.write_text("#!/nonexistent/interpreter\n")
    configure({"credsStore": "broken"})
    with pytest.raises(CosignError, match=r"docker-credential-broken could not be run \(No "
                                          r"such file or directory\) for r.example"):
        credentials.docker_config_credentials("r.example")


def test_the_probe_answers_a_basic_challenge_with_the_helpers_login(helpers):
    bin_dir, configure = helpers
    write_helper(bin_dir, "lab", {"r.example:5000": login("r.example:5000", "ci", SECRET)})
    configure({"credsStore": "lab"})
    seen = []

    def net(url, headers):
        seen.append(headers.get("Authorization"))
        if headers.get("Authorization"):
            return 200, b"{}", {}
        return 401, b"", {"WWW-Authenticate": 'Basic realm="r"'}

    get = credentials.AuthGetter(net, lookup=credentials.docker_config_credentials)
    assert get("https://r.example:5000/v2/", "a")[0] == 200
    assert get("https://r.example:5000/v2/a/tags/list", "a")[0] == 200
    assert len(runs(bin_dir, "lab")) == 1            # one helper run per host and getter
    assert seen[1] == "Basic " + base64.b64encode(f"ci:{SECRET}".encode()).decode()
