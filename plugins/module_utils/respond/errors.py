# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The responder's one refusal: what was refused, why (a short reason code the audit log keeps)
and where. Messages never repeat a secret or a whole event, only bounded, printable excerpts."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import one_line

# reason codes, as the audit log records them
MALFORMED = "malformed"      # not a Falco alert: bad JSON, wrong types, missing keys
OVERSIZED = "oversized"      # longer than the configured bound
FORGED = "forged"            # looks like an alert but cannot be one from this host's Falco
STALE = "stale"              # older than the configured age, or from the future
SETTINGS = "settings"        # the responder's settings


class RespondError(ValueError):
    """A refused event or setting; ``reason`` is one of the codes above."""

    def __init__(self, reason: str, message: str):
        super().__init__(message)
        self.reason = reason


def excerpt(value, limit: int = 80) -> str:
    """A value as it may appear in a message: one printable line, at most ``limit`` characters."""
    text = one_line(value if isinstance(value, str) else repr(value))
    return text if len(text) <= limit else text[:limit] + "…"
