# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The one redaction every error path goes through (plain Python, no Ansible imports).

`redact` removes URL userinfo (`https://user:pass@host` -> `https://***@host`), the values of
the options a caller names secret, and `password=`/`token=`-style query or argv values;
`printable` escapes control characters (ESC, NUL, form feed, CR…) so that no finding id,
file name or message can move the cursor, clear a screen or break a line on a terminal or in a
log. `safe_message` is both, in that order: what a module puts in `msg`.
"""
from __future__ import annotations

import re

MASK = "********"
# scheme://userinfo@ : userinfo is everything up to the last '@' before the host part.
_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.\-]*://)([^/\s@?#]*@)")
# key=value / key: value where the key names a credential.
_KEYED = re.compile(
    r"(?i)\b((?:[a-z0-9_\-]*?)(?:password|passwd|token|secret|api[_-]?key|credential|"
    r"authorization)[a-z0-9_\-]*)(\s*[=:]\s*|\"\s*:\s*\")((?:Basic|Bearer)\s+)?([^\s\"'&,;]+)")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029]")
# Secret values shorter than this are not searched for in text (a one-letter "secret" would
# mask every occurrence of that letter); they are still masked where the option itself is shown.
MIN_SECRET_LENGTH = 4


def secret_values(params: dict | None, secret_options=()) -> list[str]:
    """The non-empty text values of `secret_options` in `params` (nested lists and dicts too)."""
    found: list[str] = []
    for name in secret_options or ():
        _collect((params or {}).get(name), found)
    return found


def _collect(value, found: list[str]) -> None:
    if isinstance(value, str):
        if value:
            found.append(value)
    elif isinstance(value, dict):
        for item in value.values():
            _collect(item, found)
    elif isinstance(value, (list, tuple, set)):
        for item in value:
            _collect(item, found)
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        found.append(str(value))


def redact(text, secrets=()) -> str:
    """`text` (any value, shown as text) without URL userinfo, keyed credentials or `secrets`."""
    text = text if isinstance(text, str) else str(text)
    for secret in sorted({s for s in secrets if isinstance(s, str)}, key=len, reverse=True):
        if len(secret) >= MIN_SECRET_LENGTH:
            text = text.replace(secret, MASK)
    text = _USERINFO.sub(lambda m: f"{m.group(1)}{MASK}@", text)
    return _KEYED.sub(lambda m: f"{m.group(1)}{m.group(2)}{m.group(3) or ''}{MASK}", text)


def printable(text) -> str:
    """`text` with every control character (but tab and newline) shown as an escape."""
    text = text if isinstance(text, str) else str(text)
    return _CONTROL.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def one_line(text) -> str:
    """`printable` with newlines escaped too: for values quoted inside a message."""
    return printable(text).replace("\n", "\\n").replace("\t", "\\t")


def safe_message(text, secrets=()) -> str:
    """What an error message may show: redacted, then made printable."""
    return printable(redact(text, secrets))


def redact_value(value, secrets=()):
    """`value` (nested dicts and lists of text) with every string passed through `redact`."""
    if isinstance(value, str):
        return redact(value, secrets)
    if isinstance(value, dict):
        return {k: redact_value(v, secrets) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [redact_value(v, secrets) for v in value]
    return value
