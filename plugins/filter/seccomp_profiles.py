# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters for the seccomp_profiles role (logic in module_utils.seccomp_profiles)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.seccomp_profiles import (
    builtin_profiles,
)


def seccomp_builtin_profiles(names, directory):
    """[{name, src}] of the role's built-in profiles, ``<directory>/<name>.json`` each."""
    try:
        return builtin_profiles(names, directory)
    except ValueError as exc:
        raise AnsibleFilterError(f"seccomp_builtin_profiles: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"seccomp_builtin_profiles": seccomp_builtin_profiles}
