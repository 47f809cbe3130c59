# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The signature layouts and formats cosign writes (registry.py tells them apart).
"""
from __future__ import annotations

import re

LAYOUT_LEGACY = "legacy-sig-tag"
LAYOUT_REFERRER = "bundle-referrer"
LAYOUT_TAG_FALLBACK = "bundle-tag-fallback"
LAYOUT_BUNDLE_UNKNOWN = "bundle"

FORMATS = ("legacy", "bundle")

_SIG_TAG_RE = re.compile(r"sha256-([0-9a-f]{64})(?:\.sig)?\s*$")
