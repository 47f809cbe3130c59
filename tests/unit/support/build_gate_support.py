# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Constants and test data shared by the build gate tests (no conftest.py here: it would
shadow tests/conftest.py for `from conftest import ...`)."""
from __future__ import annotations

import datetime as dt
import json


def load(shared_fixtures, name):
    """A JSON file of tests/fixtures (the ``shared_fixtures`` directory), parsed; a missing
    file fails the test that reads it."""
    return json.loads((shared_fixtures / name).read_text())


TODAY = dt.date(2026, 11, 25)
# The seed project's policy, verbatim.
SEED_POLICY = """package misujob.security

deny[msg] {
  input.results[_].vulnerability.severity == "Critical"
  msg := "Critical vulnerability found in image. Deployment blocked."
}
"""
