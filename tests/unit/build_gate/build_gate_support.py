# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Constants shared by the build gate tests."""
from __future__ import annotations

import datetime as dt

TODAY = dt.date(2026, 11, 25)
# The seed project's policy, verbatim.
SEED_POLICY = """package misujob.security

deny[msg] {
  input.results[_].vulnerability.severity == "Critical"
  msg := "Critical vulnerability found in image. Deployment blocked."
}
"""
