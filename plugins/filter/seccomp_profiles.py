# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters for the seccomp_profiles role (logic in module_utils.seccomp_profiles)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.seccomp_profiles import (
    builtin_profiles,
    derived_profiles,
    destination,
    entry_problems,
    profile_directory,
    syscall_changes,
)


def seccomp_builtin_profiles(names, directory):
    """[{name, src}] of the role's built-in profiles, ``<directory>/<name>.json`` each."""
    try:
        return builtin_profiles(names, directory)
    except ValueError as exc:
        raise AnsibleFilterError(f"seccomp_builtin_profiles: {exc}") from exc


def seccomp_profiles_problems(entries, directory, subdir):
    """Every reason not to write the profiles (directory, subdirectory, names, sources): a
    list of messages, empty when all is well; the role asserts it is empty before any write."""
    return entry_problems(entries, directory, subdir)


def seccomp_profile_destination(name, directory, subdir):
    """``<directory>/<subdir>/<name>.json`` resolved inside `directory`, or a refusal: every
    path the role reads, writes or removes comes from here, never from Jinja string joins."""
    try:
        return destination(directory, subdir, name)
    except ValueError as exc:
        raise AnsibleFilterError(f"seccomp_profile_destination: {exc}; nothing was written") \
            from None


def seccomp_profile_directory(directory, subdir):
    """``<directory>/<subdir>`` resolved inside `directory`, or a refusal."""
    try:
        return profile_directory(directory, subdir)
    except ValueError as exc:
        raise AnsibleFilterError(f"seccomp_profile_directory: {exc}; nothing was written") \
            from None


def seccomp_derived_profiles(entries, base_text, base_path):
    """[{name, content, changes}] of the entries with ``base:``, derived from the base profile."""
    try:
        return derived_profiles(entries, base_text, base_path)
    except ValueError as exc:
        raise AnsibleFilterError(f"seccomp_derived_profiles: {exc}") from exc


def seccomp_syscall_changes(old, new):
    """{added, removed}: the syscalls `new` lets through that `old` did not, and the reverse."""
    try:
        return syscall_changes(old, new)
    except ValueError as exc:
        raise AnsibleFilterError(f"seccomp_syscall_changes: {exc}") from exc


class FilterModule:
    def filters(self):
        return {"seccomp_builtin_profiles": seccomp_builtin_profiles,
                "seccomp_derived_profiles": seccomp_derived_profiles,
                "seccomp_profile_destination": seccomp_profile_destination,
                "seccomp_profile_directory": seccomp_profile_directory,
                "seccomp_profiles_problems": seccomp_profiles_problems,
                "seccomp_syscall_changes": seccomp_syscall_changes}
