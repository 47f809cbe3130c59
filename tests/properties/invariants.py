# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The invariants the property tests state, once, so that every property says the same thing."""
from __future__ import annotations

import re

CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def refused_or_right(call, refusals, check_result=None):
    """Run `call()`: a refusal of one of the `refusals` types (with a non-empty message that
    holds no raw control character) or a result that `check_result` accepts. Any other
    exception propagates: that is the traceback the property forbids. Returns
    ("refused", message) or ("result", value)."""
    try:
        value = call()
    except refusals as exc:
        message = str(exc)
        assert message.strip(), f"{type(exc).__name__} refused without a message"
        assert not CONTROL.search(message), f"raw control character in message: {message!r}"
        return "refused", message
    if check_result is not None:
        check_result(value)
    return "result", value


def no_secret(secret: str, *texts) -> None:
    """`secret` appears in none of `texts` (messages, results, file contents)."""
    for text in texts:
        assert secret not in str(text), f"secret shown in {str(text)[:200]!r}"
