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


def url_error(value, option: str) -> str | None:
    """Why `value` is not a web URL that `option` may take, or None. A URL with credentials in
    it (`https://user:pass@host`) is refused: they would show in argv, logs and results; the
    message names the option and never repeats the URL's userinfo."""
    if not isinstance(value, str):
        return f"{option} must be an http(s) URL, got {type(value).__name__}"
    if any(ord(c) < 0x20 or ord(c) == 0x7f for c in value) or " " in value:
        return f"{option} holds whitespace or a control character; give a plain http(s) URL"
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        return f"{option} is not a valid URL"
    if parts.username is not None or parts.password is not None:
        return (f"{option} carries credentials in the URL ({parts.scheme}://***@"
                f"{parts.hostname}); give them through the option meant for them, never in a URL")
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return f"{option} must be an http:// or https:// URL with a host"
    return None
