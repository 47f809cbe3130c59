# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The one check for settings that take a web URL (plain Python, no Ansible): the installer's
mirror and base URLs, Falco's http output and falcosidekick's outputs."""
from __future__ import annotations

from urllib.parse import urlsplit


def is_http_url(value) -> bool:
    """True for text that is an http:// or https:// URL with a host."""
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("http", "https") and bool(parts.hostname)
