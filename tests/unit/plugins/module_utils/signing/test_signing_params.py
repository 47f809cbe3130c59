# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The ship layer's options fail closed: a digest with a trailing newline, credentials in
fulcio_url / rekor_url, and failures whose text would carry URL userinfo or terminal escapes."""
from __future__ import annotations

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    errors,
    params,
)

DIGEST = "sha256:" + "a" * 64


def _options(**extra):
    base = {"image": None, "images": None, "parallel": None, "expected_digest": None,
            "fulcio_url": None, "rekor_url": None}
    return dict(base, **extra)


def test_a_digest_with_a_trailing_newline_is_refused():
    params.check_image_options(_options(expected_digest=DIGEST))
    with pytest.raises(errors.CosignError, match="is not a digest"):
        params.check_image_options(_options(expected_digest=DIGEST + "\n"))


@pytest.mark.parametrize("option", ["fulcio_url", "rekor_url"])
def test_credentials_in_a_sigstore_url_are_refused_unseen(option):
    with pytest.raises(errors.CosignError) as exc:
        params.check_image_options(_options(**{option: "https://ci:s3cr3t-tok@fulcio.example"}))
    assert "credentials" in exc.value.message and "s3cr3t-tok" not in exc.value.message


def test_failure_results_are_redacted_and_printable():
    failure = errors.CosignError("registry_auth", "login to https://bob:hunter22@reg/x \x1b[2J",
                                 detail="password=hunter22", cmd=["cosign", "https://u:hunter22@r"])
    shown = str(failure.as_dict())
    assert "hunter22" not in shown and "\x1b" not in shown and "\\x1b" in shown
