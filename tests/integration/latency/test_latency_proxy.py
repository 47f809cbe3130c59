# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The lab's latency proxy (lab/latency_proxy.py) in front of the REAL lab registry, with the
REAL cosign 3.x: every round trip pays the configured delay, and a connection reset in the
middle of the signature push leaves no signature behind and fails with `registry_unreachable`;
once the network is healthy again the same image signs."""
from __future__ import annotations

import json
import os
import subprocess
import time
import urllib.request
import uuid

import latency_proxy
import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    flows as cosign_flows,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    module as cosign_module,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    runner as cosign_runner,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    errors as cosign_errors,
)

import lab

pytestmark = pytest.mark.lab


@pytest.fixture(scope="module")
def proxy(lab_registry):
    """The proxy daemon on a free port, 20 ms each way; stopped at the end of the module."""
    host = latency_proxy.lab_start(lab.free_port(), 20)
    yield host
    lab.stop_daemon("proxy")


def _tags(host, repo):
    with urllib.request.urlopen(f"http://{host}/v2/{repo}/tags/list") as r:
        return sorted(json.load(r)["tags"] or [])


def test_round_trips_pay_the_delay(proxy, lab_registry):
    def best_of(host, n=5):
        times = []
        for _attempt in range(n):
            t0 = time.monotonic()
            urllib.request.urlopen(f"http://{host}/v2/").close()
            times.append(time.monotonic() - t0)
        return min(times)
    direct, delayed = best_of(lab_registry), best_of(proxy)
    assert delayed >= 0.040, f"one request through the proxy took {delayed * 1000:.1f} ms"
    assert delayed - direct >= 0.035


def test_reset_mid_push_leaves_no_signature(proxy, lab_registry, lab_tools, tmp_path):
    subprocess.run([lab_tools["cosign"], "generate-key-pair"], cwd=tmp_path, check=True,
                   capture_output=True, env=dict(os.environ, COSIGN_PASSWORD=""))
    repo = f"bulwark-test/reset-{uuid.uuid4().hex[:10]}"
    digest = lab.push_image(f"{repo}:v1", uuid.uuid4().hex).split("@")[1]
    cosign = cosign_runner.Cosign(lab_tools["cosign"], insecure_registry=True, offline=True,
                                  crane=lab_tools["crane"],
                                  registry_get=cosign_module.registry_getter())
    ref = f"{proxy}/{repo}@{digest}"
    # the signature manifest's PUT is dropped (RST), every time it is tried
    latency_proxy.set_control(delay_ms=20, reset_on=f"PUT /v2/{repo}/manifests/")
    try:
        with pytest.raises(cosign_errors.CosignError) as e:
            cosign_flows.sign_image(cosign, ref, str(tmp_path / "cosign.key"), password="")
    finally:
        latency_proxy.set_control(delay_ms=20)
    assert e.value.reason == "registry_unreachable", e.value.detail
    assert "connection reset" in e.value.message
    assert _tags(lab_registry, repo) == ["v1"]  # no .sig tag, no half-written signature
    res = cosign_flows.sign_image(cosign, ref, str(tmp_path / "cosign.key"), password="")
    assert res["changed"] is True
    assert _tags(lab_registry, repo) == ["sha256-" + digest.split(":")[1] + ".sig", "v1"]
