# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The layout probe's login from a docker credential helper, against the lab's TLS + htpasswd
registry (lab/registry_tls.py, CNCF Distribution): a real ``docker-credential-lab`` process
(tests/unit/support/credential_helpers.py) named by ``credsStore`` answers with the lab
login, the probe (cosign/module.py registry_getter, Ansible's urls over the lab CA) meets the
registry's Basic challenge with it; a helper with a wrong secret gets the registry's 401, and
one with no login leaves the probe anonymous (401 too). The password is never in a process's
argv or environment."""
from __future__ import annotations

import json
import os

import pytest
import registry_tls
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    module,
)
from credential_helpers import login, runs, write_helper

pytestmark = pytest.mark.lab


@pytest.mark.parametrize("which, status", [("right", 200), ("wrong", 401), ("none", 401)])
def test_probe_logs_in_with_the_helpers_answer(lab_registry_tls, tmp_path, monkeypatch, which,
                                               status):
    user, password = registry_tls.credentials()
    host = lab_registry_tls
    secret = {"right": password, "wrong": f"{password}-wrong"}.get(which)
    bin_dir, config = tmp_path / "bin", tmp_path / "docker"
    config.mkdir()
    write_helper(bin_dir, "lab", {host: login(host, user, secret)} if secret else {})
    (config / "config.json").write_text(json.dumps({"credsStore": "lab"}))
    monkeypatch.setenv("PATH", f"{bin_dir}:{os.environ['PATH']}")
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.setenv("no_proxy", "*")
    get = module.registry_getter(ca_path=str(registry_tls.TLS_DIR / "ca.pem"))
    answer = get(f"https://{host}/v2/", "application/json")
    assert answer[0] == status
    (seen,) = runs(bin_dir, "lab")
    assert seen["stdin"] == host and seen["argv"][1:] == ["get"]
    assert password not in json.dumps(seen["argv"]) + json.dumps(seen["env"])
    assert password.encode() not in answer[1]
