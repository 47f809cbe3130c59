# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Until a release is recorded in changelogs/changelog.yaml, the fragments describe a first
release: nothing was there before it to break, fix, deprecate or remove."""
from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
NOT_IN_A_FIRST_RELEASE = ("breaking_changes", "bugfixes", "deprecated_features", "removed_features",
                          "security_fixes")


def first_release_problems(fragments: dict[str, dict]) -> list[str]:
    return [f"{name}: {section}" for name, data in sorted(fragments.items())
            for section in NOT_IN_A_FIRST_RELEASE if (data or {}).get(section)]


def test_fragments_of_a_first_release_list_no_breaking_changes_or_fixes():
    changes = yaml.safe_load((ROOT / "changelogs" / "changelog.yaml").read_text())
    fragments = {p.name: yaml.safe_load(p.read_text())
                 for p in sorted((ROOT / "changelogs" / "fragments").glob("*.yml"))}
    assert fragments
    if not changes.get("releases"):
        assert first_release_problems(fragments) == []


def test_the_check_names_a_fragment_with_a_fix():
    assert first_release_problems({"a.yml": {"minor_changes": ["x"]},
                                   "b.yml": {"bugfixes": ["y"], "breaking_changes": ["z"]}}) == [
        "b.yml: breaking_changes", "b.yml: bugfixes"]
