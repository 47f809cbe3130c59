# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The pattern playbooks/scan.yml applies with Ansible's regex_replace (re.sub) prefixes
bulwark_workdir to exactly the relative paths."""
from __future__ import annotations

import re
from pathlib import Path

import yaml
from hypothesis import given
from hypothesis import strategies as st

SCAN_YML = Path(__file__).resolve().parents[2] / "playbooks" / "scan.yml"
PATTERN = yaml.safe_load(SCAN_YML.read_text())[0]["vars"]["scan_relative"]


@given(st.text(max_size=40))
def test_only_relative_paths_get_the_workdir(path):
    resolved = re.sub(PATTERN, "/work/job/", path)   # what regex_replace does
    if path and not path.startswith(("/", "~")):
        assert resolved == "/work/job/" + path
    else:
        assert resolved == path   # absolute, ~user and empty (an unset option) unchanged
