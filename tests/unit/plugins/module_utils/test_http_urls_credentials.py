# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""url_error: a URL option never carries credentials into argv, logs or results."""
from __future__ import annotations

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    url_error,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import scan


@pytest.mark.parametrize("url", ["https://bob:hunter22@trivy.example:4954",
                                 "http://hunter22@trivy.example", "https://:hunter22@h/"])
def test_credentials_in_a_url_are_refused_without_showing_them(url):
    message = url_error(url, "server")
    assert "credentials" in message and "hunter22" not in message and "bob" not in message
    with pytest.raises(ValueError) as exc:
        scan.scan_command("alpine:3", server=url)
    assert "hunter22" not in str(exc.value) and "server_token" in str(exc.value)


@pytest.mark.parametrize(("url", "fragment"), [
    ("https://trivy.example:4954", None), ("http://127.0.0.1:4954/", None),
    ("ftp://x", "http:// or https://"), ("https://h:99999999/", "not a valid URL"),
    ("https://h/\nx", "control character"), (7, "got int"), ("https:///path", "with a host")])
def test_url_error(url, fragment):
    message = url_error(url, "server")
    assert (message is None) if fragment is None else (fragment in message)
