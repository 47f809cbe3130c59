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

_TOP_KEYS = frozenset({
    "defaultAction", "defaultErrnoRet", "architectures", "archMap", "syscalls", "flags",
    "listenerPath", "listenerMetadata",
})
_RULE_KEYS = frozenset({"names", "action", "args", "errnoRet", "comment", "includes", "excludes"})


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
