# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Lists the falco and seccomp_profiles roles used to build with Jinja accumulators."""
from __future__ import annotations

import pytest
from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.filter.falco_config import (
    FilterModule as FalcoFilters,
)
from ansible_collections.bulwark.container_security.plugins.filter.seccomp_profiles import (
    FilterModule as SeccompFilters,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.config import (
    validate_argv,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.seccomp_profiles import (
    builtin_profiles,
)


def test_falco_validate_argv_puts_the_option_before_each_file():
    assert validate_argv(["a.yaml", "b.yaml"], "-V") == ["-V", "a.yaml", "-V", "b.yaml"]
    assert validate_argv(["a.yaml", "b.yaml"], "") == ["a.yaml", "b.yaml"]
    assert validate_argv([], "-V") == []
    assert FalcoFilters().filters()["falco_rules_validate_argv"](["r.yaml"], "-V") == \
        ["-V", "r.yaml"]


def test_falco_validate_argv_refuses_a_single_string():
    with pytest.raises(ValueError, match="must be a list"):
        validate_argv("a.yaml", "-V")


def test_seccomp_builtin_profiles_in_order():
    assert builtin_profiles(["b", "a"], "/role/files/profiles/") == [
        {"name": "b", "src": "/role/files/profiles/b.json"},
        {"name": "a", "src": "/role/files/profiles/a.json"}]
    seccomp = SeccompFilters().filters()["seccomp_builtin_profiles"]
    assert seccomp(["x"], "/d") == [{"name": "x", "src": "/d/x.json"}]
    with pytest.raises(AnsibleFilterError, match="must be a list"):
        seccomp("x", "/d")
