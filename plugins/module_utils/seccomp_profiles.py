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

import posixpath
import re
import shutil
import subprocess

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    got,
    shown,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    MAX_CONFIG_BYTES,
    InputError,
    check_plain,
    load_json,
    read_text,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_output import (
    OutputError,
    contained_path,
)

# A profile's name becomes the file <name>.json; a subdirectory is such names joined by '/'.
# Whole-string match (\Z, never $, which would let a trailing newline through).
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")
NAME_RULE = "letters, digits, '.', '_' and '-', starting with a letter or digit, at most 128"
# Every Linux syscall name (and libseccomp's pseudo-syscalls) is lowercase, digits and '_';
# anything else is no syscall, and a name starting with '-' would be an option to the resolver.
SYSCALL_NAME = re.compile(r"[a-z_][a-z0-9_]{0,63}\Z")


def check_name(name, what="profile name"):
    """`name` when it is a usable profile name, else ValueError naming it."""
    if isinstance(name, (dict, list, tuple)):   # named by type: a mapping may hold a secret
        raise ValueError(f"{what} must be a profile name ({NAME_RULE}), got {got(name)}")
    if not isinstance(name, str) or not PROFILE_NAME.fullmatch(name):
        raise ValueError(f"{what} {shown(name)} is not a profile name ({NAME_RULE})")
    return name


def check_subdir(subdir):
    """`subdir` when it is a relative path of profile names (no '..', '.', '/' at either end,
    no empty parts): the kubelet's localhostProfile is relative to its seccomp directory."""
    parts = subdir.split("/") if isinstance(subdir, str) else None
    if not parts or not all(PROFILE_NAME.fullmatch(p) and p not in (".", "..") for p in parts):
        raise ValueError(f"seccomp_profiles_subdir {shown(subdir)} must be a relative path inside "
                         f"seccomp_profiles_dir: one or more names joined by '/' ({NAME_RULE} "
                         "each; no '..', no leading or trailing '/')")
    return subdir


def check_dir(directory):
    if not isinstance(directory, str) or not posixpath.isabs(directory) \
            or any(c in directory for c in "\x00\r\n") \
            or ".." in directory.split("/"):
        raise ValueError(f"seccomp_profiles_dir {shown(directory)} must be an absolute path "
                         "without '..' or line breaks")
    return directory


def destination(directory, subdir, name):
    """``<directory>/<subdir>/<name>.json``, always inside `directory` (safe_output's one
    containment check), or ValueError naming the part that would leave it."""
    check_dir(directory)
    check_subdir(subdir)
    check_name(name)
    try:
        return str(contained_path(directory, f"{subdir}/{name}.json", "seccomp profile"))
    except OutputError as exc:
        raise ValueError(str(exc)) from None


def profile_directory(directory, subdir):
    """``<directory>/<subdir>``, the role's own directory, by the same containment check."""
    check_dir(directory)
    check_subdir(subdir)
    try:
        return str(contained_path(directory, subdir, "seccomp_profiles_subdir"))
    except OutputError as exc:
        raise ValueError(str(exc)) from None


def entry_problems(entries, directory, subdir):
    """Every reason the role must not write: the directory, the subdirectory, each entry's name
    (unique) and its one source. Checked whether or not profiles are validated, before any
    host is touched. Empty list = fine."""
    problems = []
    for check, value in ((check_dir, directory), (check_subdir, subdir)):
        try:
            check(value)
        except ValueError as exc:
            problems.append(str(exc))
    if isinstance(entries, str) or not isinstance(entries, (list, tuple)):
        return problems + [f"the profiles must be a list of {{name, src|content|base}}, got "
                           f"{type(entries).__name__}"]
    seen = set()
    for index, entry in enumerate(entries):
        problems += [f"seccomp_profiles_extra entry {_short(entry)}: {reason}; it {_ENTRY_RULE}"
                     for reason in _entry_reasons(entry, index, seen)]
    if not problems:
        for entry in entries:
            try:
                destination(directory, subdir, entry["name"])
            except ValueError as exc:
                problems.append(f"profile {entry['name']}: {exc}")
    return problems


# The role's message since 0.1.0 (the reliability and integration tests look for it).
_ENTRY_RULE = ("needs a name (letters, digits, '.', '_', '-') and exactly one of src (a JSON "
               "file on the controller), content (the profile) or base (accepted: "
               "runtime-default, with remove_syscalls / add_syscalls)")


def _entry_reasons(entry, index, seen):
    if not isinstance(entry, dict):
        return [f"profile {index} is not a mapping"]
    reasons = []
    name = entry.get("name")
    try:
        check_name(name, "name")
    except ValueError as exc:
        reasons.append(str(exc))
    else:
        if name in seen:
            reasons.append(f"profile {name} is listed twice (each name is one file)")
        seen.add(name)
    sources = [key for key in ("src", "content", "base") if key in entry]
    if len(sources) != 1:
        reasons.append(f"sources given: {', '.join(sources) or 'none'}")
    elif "base" in entry and not _choice(entry["base"], BASES):
        reasons.append(f"base {_short(entry['base'])} is unknown; accepted: "
                       f"{', '.join(sorted(BASES))}")
    return reasons


def builtin_profiles(names, directory):
    """[{name, src}] for the role's built-in profiles ``<directory>/<name>.json``, in order."""
    if isinstance(names, str) or not isinstance(names, (list, tuple)):
        raise ValueError(f"seccomp_profiles_builtin must be a list of profile names, got "
                         f"{got(names)}")
    return [{"name": check_name(name, "seccomp_profiles_builtin entry"),
             "src": f"{str(directory).rstrip('/')}/{name}.json"} for name in names]


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
_ARG_KEYS = frozenset({"index", "value", "valueTwo", "op"})
_CONDITION_KEYS = frozenset({"arches", "caps", "minKernel"})
FLAGS = frozenset({"SECCOMP_FILTER_FLAG_TSYNC", "SECCOMP_FILTER_FLAG_LOG",
                   "SECCOMP_FILTER_FLAG_SPEC_ALLOW", "SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV"})
MAX_ARG_INDEX = 5             # libseccomp: a syscall has arguments 0 to 5
MAX_UINT64 = 2 ** 64 - 1      # runtime-spec: value, valueTwo are uint64
MAX_ERRNO = 4095              # the kernel clamps a SECCOMP_RET_ERRNO above MAX_ERRNO


class ProfileError(ValueError):
    """The profile cannot be checked at all (bad JSON, resolver missing)."""


def load(text, source="profile"):
    """Parse profile JSON (safe_input: NaN/Infinity, lone surrogates, depth refused); the
    error names the source and the position."""
    try:
        return load_json(text, source)
    except InputError as exc:
        raise ProfileError(str(exc)) from None


def read_profile(path, source=None):
    """The parsed profile in the regular file `path` (size capped, safe_input)."""
    try:
        return load_json(read_text(path, "seccomp profile", MAX_CONFIG_BYTES), source or path)
    except InputError as exc:
        raise ProfileError(str(exc)) from None


def check_document(profile, source="profile"):
    """A mapping handed in as data (not JSON text) must still be plain JSON data."""
    try:
        check_plain(profile, source)
    except InputError as exc:
        raise ProfileError(str(exc)) from None
    return profile


def _is_int(value, low, high):
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _choice(value, choices):
    return isinstance(value, str) and value in choices


def _short(value):
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _errno_errors(container, key, where):
    if key not in container:
        return []
    value = container[key]
    if key in ("errnoRet", "defaultErrnoRet"):
        if not _is_int(value, 0, MAX_ERRNO):
            return [f"{where}{key} {_short(value)} must be an integer errno 0-{MAX_ERRNO}"]
    elif not isinstance(value, str) or not re.fullmatch(r"E[A-Z0-9]+\Z", value):
        return [f"{where}{key} {_short(value)} must be an errno name such as EPERM"]
    return []


def _condition_errors(value, where):
    if not isinstance(value, dict):
        return [f"{where} must be an object with arches, caps or minKernel"]
    errors = [f"{where}: unknown key {k!r}" for k in sorted(map(str, set(value) - _CONDITION_KEYS))]
    for key in ("arches", "caps"):
        items = value.get(key, [])
        if not isinstance(items, list) or not all(isinstance(i, str) and i for i in items):
            errors.append(f"{where}.{key} must be a list of names")
    if "minKernel" in value and not isinstance(value["minKernel"], str):
        errors.append(f"{where}.minKernel must be a kernel version string such as 5.8")
    return errors


def _arg_errors(args, where):
    if not isinstance(args, list):
        return [f"{where}.args must be a list of {{index, value, op}} objects"]
    errors = []
    for a_index, arg in enumerate(args):
        at = f"{where}.args[{a_index}]"
        if not isinstance(arg, dict) or not {"index", "value", "op"} <= set(arg):
            errors.append(f"{at}: needs index, value and op")
            continue
        errors += [f"{at}: unknown key {k!r}" for k in sorted(map(str, set(arg) - _ARG_KEYS))]
        if not _is_int(arg["index"], 0, MAX_ARG_INDEX):
            errors.append(f"{at}.index {_short(arg['index'])} must be an integer 0-"
                          f"{MAX_ARG_INDEX} (a syscall has six arguments)")
        for key in ("value", "valueTwo"):
            if key in arg and not _is_int(arg[key], 0, MAX_UINT64):
                errors.append(f"{at}.{key} {_short(arg[key])} must be an unsigned 64-bit integer")
        if not _choice(arg["op"], OPERATORS):
            errors.append(f"{at}: op {_short(arg['op'])} is not one of "
                          f"{', '.join(sorted(OPERATORS))}")
    return errors


def _rule_errors(rule, where):
    errors = []
    for key in sorted(map(str, set(rule) - _RULE_KEYS)):
        errors.append(f"{where}: unknown key {key!r}"
                      + (" (use 'names', a list)" if key == "name" else ""))
    names = rule.get("names")
    if not isinstance(names, list) or not names:
        errors.append(f"{where}: 'names' must be a non-empty list of syscall names")
    elif not all(isinstance(n, str) and n for n in names):
        errors.append(f"{where}: every entry of 'names' must be a non-empty string")
    else:
        for n_index, name in enumerate(names):
            if not SYSCALL_NAME.fullmatch(name):
                errors.append(f"{where}.names[{n_index}] {_short(name)} is not a syscall name "
                              "(lowercase letters, digits and '_')")
    if not _choice(rule.get("action"), ACTIONS):
        errors.append(f"{where}: action {_short(rule.get('action'))} is not a seccomp action")
    errors += _errno_errors(rule, "errnoRet", f"{where}.")
    errors += _errno_errors(rule, "errno", f"{where}.")
    if "args" in rule and rule["args"] is not None:
        errors += _arg_errors(rule["args"], where)
    if "comment" in rule and not isinstance(rule["comment"], str):
        errors.append(f"{where}.comment must be a string")
    for key in ("includes", "excludes"):
        if key in rule:
            errors += _condition_errors(rule[key], f"{where}.{key}")
    return errors


def _conflicts(syscalls):
    """Unconditional rules (no args, includes or excludes) that give one syscall two different
    outcomes: libseccomp (2.5) keeps the first and silently drops the later one, so the profile
    would not do what it says."""
    first = {}
    errors = []
    for index, rule in enumerate(syscalls):
        if not isinstance(rule, dict) or rule.get("args") or rule.get("includes") \
                or rule.get("excludes") or not isinstance(rule.get("names"), list):
            continue
        outcome = (rule.get("action"), rule.get("errnoRet"))
        for name in rule["names"]:
            if not isinstance(name, str) or not isinstance(outcome[0], str):
                continue
            seen = first.setdefault(name, (index, outcome))
            if seen[1] != outcome and isinstance(seen[1][0], str):
                errors.append(f"syscalls[{index}]: {name!r} already has action {seen[1][0]}"
                              + (f" (errnoRet {seen[1][1]})" if seen[1][1] is not None else "")
                              + f" in syscalls[{seen[0]}]; libseccomp applies only the first "
                              "of two conflicting rules for one syscall")
    return errors


def structure_errors(profile):
    """Every structural problem of a profile, as readable messages naming the path (empty
    list = fine). Any JSON value is answered: a wrong type is an error, never an exception."""
    errors = []
    if not isinstance(profile, dict):
        return ["the profile must be a JSON object"]
    for key in sorted(map(str, set(profile) - _TOP_KEYS)):
        errors.append(f"unknown top-level key {key!r}; accepted: {', '.join(sorted(_TOP_KEYS))}")
    action = profile.get("defaultAction")
    if action is None:
        errors.append("defaultAction is missing")
    elif not _choice(action, ACTIONS):
        errors.append(f"defaultAction {_short(action)} is not a seccomp action; accepted: "
                      f"{', '.join(sorted(ACTIONS))}")
    errors += _errno_errors(profile, "defaultErrnoRet", "")
    errors += _errno_errors(profile, "defaultErrno", "")
    arches = profile.get("architectures", [])
    if not isinstance(arches, list):
        errors.append("architectures must be a list")
        arches = []
    for a_index, arch in enumerate(arches):
        if not _choice(arch, ARCHITECTURES):
            errors.append(f"architecture {_short(arch)} is unknown (architectures[{a_index}]); "
                          f"accepted: {', '.join(sorted(ARCHITECTURES))}")
    arch_map = profile.get("archMap", [])
    if not isinstance(arch_map, list):
        errors.append("archMap must be a list of {architecture, subArchitectures}")
        arch_map = []
    for m_index, item in enumerate(arch_map):
        at = f"archMap[{m_index}]"
        if not isinstance(item, dict) or not _choice(item.get("architecture"), ARCHITECTURES):
            errors.append(f"{at} must be {{architecture, subArchitectures}} with a known "
                          "architecture")
        elif not isinstance(item.get("subArchitectures", []), list) or not all(
                _choice(a, ARCHITECTURES) for a in item.get("subArchitectures", [])):
            errors.append(f"{at}.subArchitectures must be a list of known architectures")
    flags = profile.get("flags", [])
    if not isinstance(flags, list) or not all(_choice(f, FLAGS) for f in flags):
        errors.append(f"flags must be a list of {', '.join(sorted(FLAGS))}")
    for key in ("listenerPath", "listenerMetadata"):
        if key in profile and not isinstance(profile[key], str):
            errors.append(f"{key} must be a string")
    syscalls = profile.get("syscalls", [])
    if syscalls is None:
        syscalls = []
    if not isinstance(syscalls, list):
        return errors + ["syscalls must be a list"]
    for index, rule in enumerate(syscalls):
        where = f"syscalls[{index}]"
        if not isinstance(rule, dict):
            errors.append(f"{where} must be an object")
            continue
        errors += _rule_errors(rule, where)
    return errors + _conflicts(syscalls)


def syscall_names(profile):
    """Every syscall name a profile mentions, in first-seen order (only names that can be
    syscalls: the structure check names the others)."""
    seen = {}
    for rule in _rules(profile if isinstance(profile, dict) else None):
        for name in _names(rule):
            if SYSCALL_NAME.fullmatch(name):
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
    listed = profile.get("architectures")
    arches = [a for a in listed if _choice(a, ARCHITECTURES)] if isinstance(listed, list) else []
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
    profile = load(value, source) if isinstance(value, (str, bytes)) else value
    if not isinstance(profile, dict):
        raise ProfileError(f"{source}: not a seccomp profile (a JSON object)")
    return profile


def _names(rule):
    names = rule.get("names") if isinstance(rule, dict) else None
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _rules(profile):
    rules = (profile or {}).get("syscalls")
    return [r for r in rules if isinstance(r, dict)] if isinstance(rules, list) else []


def permitted_syscalls(profile) -> set:
    """Names a profile lets through: those of its allow/log rules when it denies by default;
    when it allows by default, None stands for "everything" and the denied names are returned
    through denied_syscalls instead."""
    return {n for rule in _rules(profile) if rule.get("action") in _PERMIT
            for n in _names(rule)}


def denied_syscalls(profile) -> set:
    return {n for rule in _rules(profile) if rule.get("action") not in _PERMIT
            for n in _names(rule)}


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
    let through, and drops them from the deny rules without arguments (libseccomp applies the
    first rule for a syscall, so the allow rule would be ignored behind them). A name to
    remove that the base does not let through, or a name both added and removed, is a
    ValueError naming it: such input is a mistake, not a no-op."""
    profile = _as_profile(base, source)
    if not isinstance(profile, dict):
        raise ValueError(f"{source}: not a seccomp profile (a JSON object)")
    problems = structure_errors(profile)
    if problems:
        raise ProfileError(f"{source}: " + "; ".join(problems[:5]))
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
    new = sorted(set(add) - allowed)
    rules = []
    for rule in profile.get("syscalls") or []:
        if isinstance(rule, dict) and rule.get("action") in _PERMIT and remove:
            names = [n for n in _names(rule) if n not in remove]
            if names:
                rules.append(dict(rule, names=names))
            continue
        if isinstance(rule, dict) and rule.get("action") not in _PERMIT and new \
                and not rule.get("args") and set(new) & set(_names(rule)):
            # libseccomp applies the first rule for a syscall: an added name must leave the
            # deny rules without arguments, or its allow rule would be silently ignored.
            names = [n for n in _names(rule) if n not in new]
            if names:
                rules.append(dict(rule, names=names))
            continue
        rules.append(rule)
    if new:
        rules.append({"names": new, "action": "SCMP_ACT_ALLOW",
                      "comment": "added by bulwark.container_security.seccomp_profiles"})
    derived = dict(profile, syscalls=rules)
    return derived, syscall_changes(profile, derived)


def derived_profiles(entries, base_text, base_path):
    """[{name, content, changes}] for the entries that start from a base profile (``base:``),
    each derived from `base_text` (the file `base_path` read on the node)."""
    expect(entries, (list, tuple), "seccomp_profiles entries")
    expect(base_text, str, "the base profile's text", optional=True)
    expect(base_path, str, "the base profile's path", optional=True)
    out = []
    for entry in entries:
        if not isinstance(entry, dict) or "base" not in entry:
            continue
        name = check_name(entry.get("name"))
        if not isinstance(entry["base"], str) or entry["base"] not in BASES:
            raise ValueError(f"profile {name}: base {entry['base']!r} is unknown; accepted: "
                             f"{', '.join(sorted(BASES))}")
        try:
            profile, changes = derive_profile(base_text, entry.get("remove_syscalls"),
                                              entry.get("add_syscalls"), source=base_path)
        except ValueError as exc:
            raise ValueError(f"profile {name}: {exc}") from exc
        out.append({"name": name, "content": profile, "changes": changes})
    return out
