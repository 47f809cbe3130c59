# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The latency proxy's control file (lab/latency_proxy.py); the proxy itself runs against the
real registry in tests/integration/latency."""
from __future__ import annotations

import json
import os

import latency_proxy


def test_control_file_sets_delay_and_a_limited_reset(tmp_path):
    path = tmp_path / "proxy.json"
    control = latency_proxy.Control(20, str(path))
    control.refresh()  # no file yet: the command line's settings stay
    assert control.delay == 0.020 and control.reset_on is None
    path.write_text(json.dumps({"delay_ms": 5, "reset_on": "PUT /v2/a/manifests/",
                                "reset_count": 1}))
    control.refresh()
    assert control.delay == 0.005
    assert not control.should_reset(b"GET /v2/a/manifests/v1 HTTP/1.1")
    assert control.should_reset(b"PUT /v2/a/manifests/sha256-ab.sig HTTP/1.1")
    assert not control.should_reset(b"PUT /v2/a/manifests/sha256-ab.sig HTTP/1.1")  # count 1
    assert control.resets == 1
    path.write_text(json.dumps({"delay_ms": 0}))
    os.utime(path, ns=(1, 1))  # a rewrite within the clock's resolution still counts
    control.refresh()
    assert control.delay == 0 and control.reset_on is None
