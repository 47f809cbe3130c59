# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""bulwark:falcoRulesFiles: a relative entry stays inside the repository, checked by name
before any file is looked at."""
from __future__ import annotations

import pytest
from bulwark_platform import settings as platform_settings


@pytest.mark.parametrize("entry", ["../../../../../etc/passwd", "roles/../../outside.yaml",
                                   "pulumi/../../x"])
def test_relative_entry_leaving_the_repository_is_refused(entry):
    with pytest.raises(platform_settings.StackConfigError) as err:
        platform_settings.from_mapping({"bulwark:falcoRulesFiles": [entry]})
    assert f"bulwark:falcoRulesFiles[0]: {entry!r} leaves the repository" in str(err.value)


def test_dotdot_inside_the_repository_and_absolute_paths_are_kept(tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text("- list: x\n  items: []\n")
    got = platform_settings.from_mapping({"bulwark:falcoRulesFiles": [
        "roles/../roles/falco/files/../../falco/defaults/main.yml", str(rules)]})
    assert [p.name for p in got.falco_rules_files] == ["main.yml", "rules.yaml"]
