# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Seccomp profiles for the kubelet: structure checks and syscall names checked by libseccomp.

Plain Python, no Ansible imports: the `seccomp_profile_validate` module, the role and the
tests share it. A profile is the JSON the kubelet hands to the container runtime for a pod's
`seccompProfile: {type: Localhost, localhostProfile: ...}` (the OCI/Docker profile format:
`defaultAction`, `architectures`, `syscalls[]` with `names` and `action`).

Syscall names are resolved by libseccomp itself through `scmp_sys_resolver` (Debian package
`seccomp`), not by a list of our own: libseccomp is what runc/crun use to build the filter,
so a name it does not know is a name the runtime cannot apply.
"""
from __future__ import annotations

import json
import shutil
import subprocess


def builtin_profiles(names, directory):
    """[{name, src}] for the role's built-in profiles ``<directory>/<name>.json``, in order."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise ValueError(f"seccomp_profiles_builtin={names!r} must be a list of profile names")
    return [{"name": str(name), "src": f"{str(directory).rstrip('/')}/{name}.json"}
            for name in names]


ACTIONS = frozenset({
    "SCMP_ACT_KILL", "SCMP_ACT_KILL_PROCESS", "SCMP_ACT_KILL_THREAD", "SCMP_ACT_TRAP",
    "SCMP_ACT_ERRNO", "SCMP_ACT_TRACE", "SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_NOTIFY",
})

# OCI architecture constants -> the names scmp_sys_resolver's `-a` accepts.
ARCHITECTURES = {
    "SCMP_ARCH_X86": "x86",
    "SCMP_ARCH_X86_64": "x86_64",
    "SCMP_ARCH_X32": "x32",
    "SCMP_ARCH_ARM": "arm",
    "SCMP_ARCH_AARCH64": "aarch64",
    "SCMP_ARCH_LOONGARCH64": "loongarch64",
    "SCMP_ARCH_MIPS": "mips",
    "SCMP_ARCH_MIPS64": "mips64",
    "SCMP_ARCH_MIPS64N32": "mips64n32",
    "SCMP_ARCH_MIPSEL": "mipsel",
    "SCMP_ARCH_MIPSEL64": "mipsel64",
    "SCMP_ARCH_MIPSEL64N32": "mipsel64n32",
    "SCMP_ARCH_PPC": "ppc",
    "SCMP_ARCH_PPC64": "ppc64",
    "SCMP_ARCH_PPC64LE": "ppc64le",
    "SCMP_ARCH_RISCV64": "riscv64",
    "SCMP_ARCH_S390": "s390",
    "SCMP_ARCH_S390X": "s390x",
}

OPERATORS = frozenset({
    "SCMP_CMP_NE", "SCMP_CMP_LT", "SCMP_CMP_LE", "SCMP_CMP_EQ", "SCMP_CMP_GE",
    "SCMP_CMP_GT", "SCMP_CMP_MASKED_EQ",
})

# The OCI keys plus containers/common's `defaultErrno` / `errno` (pkg/seccomp types.go), which
# its default profile (/usr/share/containers/seccomp.json) carries beside defaultErrnoRet/errnoRet.
_TOP_KEYS = frozenset({
    "defaultAction", "defaultErrnoRet", "defaultErrno", "architectures", "archMap", "syscalls",
    "flags", "listenerPath", "listenerMetadata",
})
_RULE_KEYS = frozenset({"names", "action", "args", "errnoRet", "errno", "comment", "includes",
                        "excludes"})


class ProfileError(ValueError):
    """The profile cannot be checked at all (bad JSON, resolver missing)."""


def load(text, source="profile"):
    """Parse profile JSON; the error names the source and the position."""
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ProfileError(f"{source}: not valid JSON at line {exc.lineno} column {exc.colno}: "
                           f"{exc.msg}") from exc


def structure_errors(profile):
    """Every structural problem of a profile, as readable messages (empty list = fine)."""
    errors = []
    if not isinstance(profile, dict):
        return ["the profile must be a JSON object"]
    for key in sorted(set(profile) - _TOP_KEYS):
        errors.append(f"unknown top-level key {key!r}; accepted: {', '.join(sorted(_TOP_KEYS))}")
    action = profile.get("defaultAction")
    if action is None:
        errors.append("defaultAction is missing")
    elif action not in ACTIONS:
        errors.append(f"defaultAction {action!r} is not a seccomp action; accepted: "
                      f"{', '.join(sorted(ACTIONS))}")
    arches = profile.get("architectures", [])
    if not isinstance(arches, list):
        errors.append("architectures must be a list")
        arches = []
    for arch in arches:
        if arch not in ARCHITECTURES:
            errors.append(f"architecture {arch!r} is unknown; accepted: "
                          f"{', '.join(sorted(ARCHITECTURES))}")
    syscalls = profile.get("syscalls", [])
    if not isinstance(syscalls, list):
        return errors + ["syscalls must be a list"]
    for index, rule in enumerate(syscalls):
        where = f"syscalls[{index}]"
        if not isinstance(rule, dict):
            errors.append(f"{where} must be an object")
            continue
        for key in sorted(set(rule) - _RULE_KEYS):
            errors.append(f"{where}: unknown key {key!r}"
                          + (" (use 'names', a list)" if key == "name" else ""))
        names = rule.get("names")
        if not isinstance(names, list) or not names:
            errors.append(f"{where}: 'names' must be a non-empty list of syscall names")
        elif not all(isinstance(n, str) and n for n in names):
            errors.append(f"{where}: every entry of 'names' must be a non-empty string")
        if rule.get("action") not in ACTIONS:
            errors.append(f"{where}: action {rule.get('action')!r} is not a seccomp action")
        for a_index, arg in enumerate(rule.get("args") or []):
            if not isinstance(arg, dict) or not {"index", "value", "op"} <= set(arg):
                errors.append(f"{where}.args[{a_index}]: needs index, value and op")
            elif arg["op"] not in OPERATORS:
                errors.append(f"{where}.args[{a_index}]: op {arg['op']!r} is not one of "
                              f"{', '.join(sorted(OPERATORS))}")
    return errors


def syscall_names(profile):
    """Every syscall name a profile mentions, in first-seen order."""
    seen = {}
    for rule in profile.get("syscalls") or []:
        if isinstance(rule, dict) and isinstance(rule.get("names"), list):
            for name in rule["names"]:
                if isinstance(name, str):
                    seen.setdefault(name, None)
    return list(seen)


def resolver_path(resolver="scmp_sys_resolver"):
    path = shutil.which(resolver)
    if not path:
        raise ProfileError(f"{resolver} not found: install the Debian package 'seccomp' "
                           "(libseccomp's tools) on the machine that validates profiles")
    return path


def unknown_syscalls(names, architecture=None, resolver="scmp_sys_resolver", runner=None):
    """Names libseccomp does not know. scmp_sys_resolver answers -1 for an unknown name and a
    number (negative for names that exist only on other architectures) for a known one."""
    exe = resolver_path(resolver) if runner is None else resolver
    run = runner or (lambda argv: subprocess.run(argv, capture_output=True, text=True,
                                                 check=False).stdout)
    arch_args = ["-a", ARCHITECTURES[architecture]] if architecture in ARCHITECTURES else []
    unknown = []
    for name in names:
        answer = run([exe, *arch_args, name]).strip()
        if answer == "-1" or not answer.lstrip("-").isdigit():
            unknown.append(name)
    return unknown


def validate(profile, resolver="scmp_sys_resolver", runner=None):
    """All errors of a profile: structure first, then each unknown syscall by name."""
    errors = structure_errors(profile)
    if not isinstance(profile, dict):
        return errors
    arches = [a for a in profile.get("architectures") or [] if a in ARCHITECTURES]
    for name in unknown_syscalls(syscall_names(profile), arches[0] if arches else None,
                                 resolver=resolver, runner=runner):
        errors.append(f"syscall {name!r} is unknown to libseccomp (misspelled, or not a "
                      "Linux syscall)")
    return errors


# Bases a profile can start from, with the file each one is read from on the node.
BASES = {"runtime-default": "/usr/share/containers/seccomp.json"}
_PERMIT = ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG")


def _as_profile(value, source):
    if value is None or value == "":
        return None
    return load(value, source) if isinstance(value, (str, bytes)) else value


def permitted_syscalls(profile) -> set:
    """Names a profile lets through: those of its allow/log rules when it denies by default;
    when it allows by default, None stands for "everything" and the denied names are returned
    through denied_syscalls instead."""
    return {n for rule in (profile or {}).get("syscalls") or [] if isinstance(rule, dict)
            and rule.get("action") in _PERMIT for n in rule.get("names") or []}


def denied_syscalls(profile) -> set:
    return {n for rule in (profile or {}).get("syscalls") or [] if isinstance(rule, dict)
            and rule.get("action") not in _PERMIT for n in rule.get("names") or []}


def syscall_changes(old, new) -> dict:
    """{added, removed}: syscalls a new profile lets through that the old one did not, and the
    reverse (sorted). A profile that allows by default lets through all but its denied names;
    an absent old profile (None or '') lets nothing through."""
    old, new = _as_profile(old, "installed profile"), _as_profile(new, "new profile")

    def allows_by_default(p):
        return p is not None and p.get("defaultAction") in _PERMIT

    if allows_by_default(old) and allows_by_default(new):
        before, after = denied_syscalls(old), denied_syscalls(new)
        return {"added": sorted(before - after), "removed": sorted(after - before)}
    before = permitted_syscalls(old) if old is not None and not allows_by_default(old) else set()
    after = permitted_syscalls(new) if not allows_by_default(new) else set()
    if allows_by_default(new) or allows_by_default(old):     # a switch of default: say so by name
        other = new if allows_by_default(new) else old
        label = ["(every syscall not denied: " + ", ".join(sorted(denied_syscalls(other))) + ")"]
        return {"added": label if allows_by_default(new) else [],
                "removed": label if allows_by_default(old) else []}
    return {"added": sorted(after - before), "removed": sorted(before - after)}


def derive_profile(base, remove=(), add=(), source="base profile"):
    """(profile, {added, removed}) from a base profile with syscalls removed and added by name.

    Removing a name drops it from every allow/log rule (rules left with no names go); its deny
    rules stay. Adding appends one SCMP_ACT_ALLOW rule with the names the base does not already
    let through. A name to remove that the base does not let through, or a name both added and
    removed, is a ValueError naming it: such input is a mistake, not a no-op."""
    profile = _as_profile(base, source)
    if not isinstance(profile, dict):
        raise ValueError(f"{source}: not a seccomp profile (a JSON object)")
    remove, add = remove or [], add or []
    for what, names in (("remove_syscalls", remove), ("add_syscalls", add)):
        if not isinstance(names, (list, tuple)) or not all(isinstance(n, str) and n for n in names):
            raise ValueError(f"{what} must be a list of syscall names, got {names!r}")
    both = sorted(set(remove) & set(add))
    if both:
        raise ValueError(f"{', '.join(both)} both added and removed")
    if profile.get("defaultAction") in _PERMIT:
        raise ValueError(f"{source} allows every syscall by default: removing or adding "
                         "allowed syscalls by name needs a profile that denies by default")
    allowed = permitted_syscalls(profile)
    missing = sorted(set(remove) - allowed)
    if missing:
        raise ValueError(f"remove_syscalls names {', '.join(missing)}, which {source} does not "
                         "allow")
    rules = []
    for rule in profile.get("syscalls") or []:
        if isinstance(rule, dict) and rule.get("action") in _PERMIT and remove:
            names = [n for n in rule.get("names") or [] if n not in remove]
            if names:
                rules.append(dict(rule, names=names))
            continue
        rules.append(rule)
    new = sorted(set(add) - allowed)
    if new:
        rules.append({"names": new, "action": "SCMP_ACT_ALLOW",
                      "comment": "added by bulwark.container_security.seccomp_profiles"})
    derived = dict(profile, syscalls=rules)
    return derived, syscall_changes(profile, derived)


def derived_profiles(entries, base_text, base_path):
    """[{name, content, changes}] for the entries that start from a base profile (``base:``),
    each derived from `base_text` (the file `base_path` read on the node)."""
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or "base" not in entry:
            continue
        name = entry.get("name", "?")
        if entry["base"] not in BASES:
            raise ValueError(f"profile {name}: base {entry['base']!r} is unknown; accepted: "
                             f"{', '.join(sorted(BASES))}")
        try:
            profile, changes = derive_profile(base_text, entry.get("remove_syscalls"),
                                              entry.get("add_syscalls"), source=base_path)
        except ValueError as exc:
            raise ValueError(f"profile {name}: {exc}") from exc
        out.append({"name": name, "content": profile, "changes": changes})
    return out
