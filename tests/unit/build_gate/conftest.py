# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Test data of the build gate: upstream files copied into tests/fixtures (see PROVENANCE.md)."""
from __future__ import annotations

import json

import pytest


@pytest.fixture(scope="session")
def fixtures(repo_root):
    """tests/fixtures of this checkout; a missing file fails the test that reads it."""
    path = repo_root / "tests" / "fixtures"
    assert path.is_dir(), f"test data missing: {path}"
    return path


@pytest.fixture(scope="session")
def load(fixtures):
    def read(name):
        return json.loads((fixtures / name).read_text())
    return read
