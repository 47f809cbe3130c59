# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""module_utils/http_urls.py: the one web-URL check the installer and the Falco alerts share."""
from __future__ import annotations

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    is_http_url,
)


@pytest.mark.parametrize("url", ["http://mirror.internal/gh", "https://hooks.example/T0K3N",
                                 "http://127.0.0.1:18080"])
def test_http_and_https_urls_with_a_host_are_accepted(url):
    assert is_http_url(url)


@pytest.mark.parametrize("url", ["file:///etc", "ftp://mirror.internal/gh", "http://",
                                 "/srv/releases", "mirror.internal", "", None, 8080,
                                 ["http://a.example"]])
def test_other_values_are_refused(url):
    assert not is_http_url(url)
