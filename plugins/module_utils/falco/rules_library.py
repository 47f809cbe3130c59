# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Bulwark's Falco rules library, built from the falco role's variables.

One builder for both deployments: the falco role writes ``build_rules_library(variables)``
through the ``falco_rules_library`` filter, the Pulumi program puts the same text in the Falco
chart's customRules. The defaults live here (DEFAULTS; the role's defaults/main.yml repeats them
for its users and a unit test keeps the two equal), so no caller reads another part's files.

Every variable is checked before anything is built (``problems``): a wrong type, an allowlist
entry that is not an address or a port, a Falco exception without a name, and any name that
would not stay one value once Falco inserts it into a condition (``a,b``, ``x) or (y``, a
quote) is refused, naming the variable and the entry. The text is the one the retired Jinja
template rendered, byte for byte (tests/fixtures/falco_library/ are its goldens), including
its header line.
"""
from __future__ import annotations

import copy
import json
import re
from collections.abc import Mapping
from typing import NamedTuple

from ansible_collections.bulwark.container_security.plugins.module_utils.falco import grammar
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.library import (
    ALLOWLISTS,
    library_errors,
)

FILE_NAME = "bulwark_10_library.yaml"
# The header the role's template wrote (ansible_managed at its default); the Pulumi program
# writes the same, so a library's sha256 is the same on a node and in the chart.
HEADER = "# Ansible managed\n"

# The role's user-visible defaults of every variable the library reads.
DEFAULTS = {
    "falco_rules_disabled": [],
    "falco_protected_dirs": ["/etc", "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/usr/lib",
                             "/usr/local/bin", "/lib", "/boot", "/root/.ssh"],
    "falco_allowed_writers": ["dpkg", "apt", "apt-get", "unattended-upgr", "rpm", "dnf", "yum",
                              "systemd", "systemd-tmpfile", "ldconfig", "update-alternat",
                              "ca-certificates", "useradd", "usermod", "passwd", "chpasswd",
                              "sshd"],
    "falco_shell_binaries": ["ash", "bash", "csh", "ksh", "sh", "tcsh", "zsh", "dash"],
    "falco_package_managers": ["apt", "apt-get", "aptitude", "dpkg", "rpm", "yum", "dnf",
                               "microdnf", "zypper", "apk", "pip", "pip3", "npm", "gem"],
    "falco_sensitive_files": ["/etc/shadow", "/etc/gshadow", "/etc/sudoers", "/etc/pam.conf",
                              "/etc/security/pwquality.conf", "/root/.ssh/authorized_keys"],
    "falco_sensitive_file_readers": ["sshd", "sudo", "su", "login", "passwd", "chage",
                                     "unix_chkpwd", "systemd", "systemd-logind", "cron",
                                     "useradd", "usermod", "chpasswd"],
    "falco_trusted_images": [],
    "falco_no_egress_images": [],
    "falco_egress_allowed_by_image": {},
    "falco_egress_allowed_by_namespace": {},
    "falco_listen_allowed_ports": [],
    "falco_listen_allowed_by_image": {},
    "falco_rule_exceptions": {},
}
# Variables that are lists of names (Falco list items, or rule titles for falco_rules_disabled).
NAME_LISTS = ("falco_rules_disabled", "falco_protected_dirs", "falco_allowed_writers",
              "falco_shell_binaries", "falco_package_managers", "falco_sensitive_files",
              "falco_sensitive_file_readers", "falco_trusted_images", "falco_no_egress_images")

PREAMBLE = """\
# Bulwark's Falco rules library. Lists are fed from the falco role's variables. Site tuning is
# never a condition edit: every allowance is a Falco exception (`exceptions:`), built from the
# allowlist variables and falco_rule_exceptions (one list per rule key). Fields are Falco's
# syscall-source fields plus the container plugin's.

"""

MACROS = """\
- macro: bulwark_in_container
  condition: (container.id != host and container.id != "")

- macro: bulwark_spawned_process
  condition: (evt.type in (execve, execveat))

- macro: bulwark_outbound
  condition: >
    (evt.type = connect and (fd.typechar = 4 or fd.typechar = 6)
     and fd.ip != "0.0.0.0" and fd.net != "127.0.0.0/8"
     and (evt.rawres >= 0 or evt.res = EINPROGRESS))

- macro: bulwark_egress_controlled
  condition: >
    (container.image.repository in (bulwark_egress_controlled_images)
     or k8s.ns.name in (bulwark_egress_controlled_namespaces))

"""


class Rule(NamedTuple):
    key: str            # its falco_rule_exceptions key (library.RULE_KEYS)
    title: str
    desc: str
    condition: str
    output: str
    priority: str
    tags: tuple


RULES = (
    Rule("shell_in_container", "Bulwark shell spawned in container", """\
A shell started inside a container. Images built for production rarely need one at run time;
an interactive or injected shell is a common first step after an intrusion.""", """\
bulwark_spawned_process and bulwark_in_container
and proc.name in (bulwark_shell_binaries)""", """\
Shell spawned in a container | shell=%proc.name parent=%proc.pname cmdline=%proc.cmdline
tty=%proc.tty user=%user.name container_id=%container.id image=%container.image.repository""",
         "WARNING", ("bulwark", "container", "shell", "mitre_execution", "TA0002", "T1059.004")),
    Rule("protected_dir_write", "Bulwark write below protected directory", """\
A file below a protected directory (falco_protected_dirs) was opened for writing by a process
that is not an allowed writer (falco_allowed_writers): tampering with binaries, libraries,
boot files or system configuration.""", """\
evt.type in (open, openat, openat2) and evt.is_open_write = true
and fd.typechar = 'f' and fd.num >= 0
and fd.name pmatch (bulwark_protected_dirs)""", """\
File below a protected directory opened for writing | file=%fd.name flags=%evt.arg.flags
process=%proc.name cmdline=%proc.cmdline parent=%proc.pname user=%user.name
container_id=%container.id image=%container.image.repository""",
         "ERROR", ("bulwark", "filesystem", "mitre_persistence", "TA0003", "T1543",
                   "mitre_defense_evasion", "T1562")),
    Rule("package_manager_in_container", "Bulwark package manager in container", """\
A package manager ran inside a container. Containers are immutable by design: software
installed at run time is drift from the scanned and signed image.""", """\
bulwark_spawned_process and bulwark_in_container
and proc.name in (bulwark_package_managers)""", """\
Package manager run in a container | process=%proc.name cmdline=%proc.cmdline
parent=%proc.pname user=%user.name container_id=%container.id image=%container.image.repository""",
         "ERROR", ("bulwark", "container", "process", "software_mgmt", "mitre_persistence",
                   "TA0003", "T1554")),
    Rule("sensitive_file_read", "Bulwark read of sensitive file by non-trusted program", """\
A credential or authentication file (falco_sensitive_files) was opened for reading by a
program that is not trusted to read it (falco_sensitive_file_readers).""", """\
evt.type in (open, openat, openat2) and evt.is_open_read = true
and fd.typechar = 'f' and fd.num >= 0
and fd.name in (bulwark_sensitive_files)""", """\
Sensitive file opened for reading by a non-trusted program | file=%fd.name
process=%proc.name exe=%proc.exepath cmdline=%proc.cmdline parent=%proc.pname
user=%user.name container_id=%container.id image=%container.image.repository""",
         "WARNING", ("bulwark", "filesystem", "mitre_credential_access", "TA0006", "T1555",
                     "T1003.008")),
    Rule("container_drift", "Bulwark new executable run in container", """\
Drift: a process was started from an executable that is not part of the container image
(it lives in the overlayfs upper layer, so it was written after the container started).""", """\
bulwark_spawned_process and bulwark_in_container
and proc.is_exe_upper_layer = true""", """\
Executable not in the container image was run | exe=%proc.exepath process=%proc.name
cmdline=%proc.cmdline parent=%proc.pname user=%user.name container_id=%container.id
image=%container.image.repository""",
         "CRITICAL", ("bulwark", "container", "process", "drift", "mitre_execution", "TA0002",
                      "T1204", "mitre_persistence", "TA0003")),
    Rule("unexpected_outbound", "Bulwark unexpected outbound connection", """\
A container whose image or Kubernetes namespace has an egress allowlist
(falco_egress_allowed_by_image, falco_egress_allowed_by_namespace; falco_no_egress_images
allow nothing) connected to a destination outside it: exfiltration or command and control.""",
         """\
bulwark_outbound and bulwark_in_container and bulwark_egress_controlled""", """\
Outbound connection to a destination outside the allowlist | connection=%fd.name
destination=%fd.sip port=%fd.sport process=%proc.name cmdline=%proc.cmdline user=%user.name
container_id=%container.id image=%container.image.repository namespace=%k8s.ns.name""",
         "ERROR", ("bulwark", "network", "container", "mitre_command_and_control", "TA0011",
                   "T1071", "mitre_exfiltration", "TA0010", "T1041")),
    Rule("unexpected_listen", "Bulwark unexpected listening socket", """\
A process in a container started listening on a port that is neither allowed for every
container (falco_listen_allowed_ports) nor for its image (falco_listen_allowed_by_image):
a bind shell, a backdoor or an unreviewed service.""", """\
evt.type = listen and evt.rawres >= 0 and bulwark_in_container""", """\
Listening socket not in the allowlist | port=%fd.lport socket=%fd.name process=%proc.name
cmdline=%proc.cmdline user=%user.name container_id=%container.id
image=%container.image.repository""",
         "WARNING", ("bulwark", "network", "container", "mitre_persistence", "TA0003", "T1205",
                     "mitre_command_and_control", "TA0011", "T1571")),
)


def _list_exception(name: str, field: str, falco_list: str) -> dict:
    return {"name": name, "fields": field, "comps": "in", "values": [falco_list]}


def _pair_exception(name: str, key_field: str, field: str, values: list) -> dict:
    return {"name": name, "fields": [key_field, field], "comps": ["=", "in"], "values": values}


TRUSTED_IMAGES = _list_exception("trusted_images", "container.image.repository",
                                 "bulwark_trusted_images")


def _builtin_exceptions(key: str, allowlists: dict) -> list:
    """The library's own exceptions of a rule, before the site's falco_rule_exceptions."""
    if key == "protected_dir_write":
        return [_list_exception("allowed_writers", "proc.name", "bulwark_allowed_writers")]
    if key == "sensitive_file_read":
        return [_list_exception("trusted_programs", "proc.name",
                                "bulwark_sensitive_file_readers")]
    if key == "unexpected_outbound":
        return [
            _pair_exception("image_destinations", "container.image.repository", "fd.snet",
                            allowlists["falco_egress_allowed_by_image"]),
            _pair_exception("namespace_destinations", "k8s.ns.name", "fd.snet",
                            allowlists["falco_egress_allowed_by_namespace"])]
    if key == "unexpected_listen":
        return [TRUSTED_IMAGES,
                _list_exception("allowed_ports", "fd.lport", "bulwark_listen_allowed_ports"),
                _pair_exception("image_ports", "container.image.repository", "fd.lport",
                                allowlists["falco_listen_allowed_by_image"])]
    return [TRUSTED_IMAGES]


# The orderings of Jinja's (and so Ansible's) unique, sort and dictsort: case-insensitive.
def _fold(value):
    return value.lower() if isinstance(value, str) else value


def _unique(values) -> list:
    seen, kept = set(), []
    for value in values:
        if _fold(value) not in seen:
            seen.add(_fold(value))
            kept.append(value)
    return kept


def _sorted(values) -> list:
    return sorted(values, key=_fold)


# A character outside the BMP: JSON writes it as a surrogate pair, which YAML cannot read;
# YAML's own escape is \UXXXXXXXX. Only an unescaped backslash starts an escape.
_SURROGATE_PAIR = re.compile(r"(?<!\\)((?:\\\\)*)\\u(d[89ab][0-9a-f]{2})\\u(d[c-f][0-9a-f]{2})")


def _astral(match) -> str:
    high, low = int(match.group(2), 16), int(match.group(3), 16)
    return f"{match.group(1)}\\U{0x10000 + ((high - 0xD800) << 10) + (low - 0xDC00):08x}"


def _json(value) -> str:
    """Ansible's to_json (json.dumps, ASCII), made YAML-safe for characters outside the BMP."""
    return _SURROGATE_PAIR.sub(_astral, json.dumps(value))


def _destination(entry: str) -> str:
    """fd.snet takes networks only: an address without a prefix length is one host."""
    if "/" in entry:
        return entry
    return entry + ("/128" if ":" in entry else "/32")


def _allowlist_values(allowlist: dict, kind: str) -> list:
    """[[key, [entries]], ...] in key order, keys without entries left out."""
    values = []
    for key in _sorted(allowlist):
        if not allowlist[key]:
            continue
        entries = [str(e).strip() for e in allowlist[key]]
        entries = [str(int(e)) if kind == "port" else _destination(e) for e in entries]
        values.append([key, _sorted(_unique(entries))])
    return values


def _one_value(item: str) -> bool:
    """Whether Falco, inserting `item` into a condition (quoted when it has a space), reads
    one value: the parser of the collection's linter decides."""
    token = f'"{item}"' if " " in item and item[:1] not in ("'", '"') else item
    try:
        node = grammar.parse_condition(f"proc.name in ({token})")
    except grammar.FilterSyntaxError:
        return False
    return isinstance(node, grammar.Check) and isinstance(node.value, list) \
        and len(node.value) == 1


def _name_problem(variable: str, where: str, item) -> str | None:
    shown = repr(item)[:120]
    if not isinstance(item, str):
        return f"{variable}{where}: {shown} must be a string, got {type(item).__name__}"
    if variable == "falco_rules_disabled":
        return None   # a rule title, compared, never inserted into a condition
    if not item or not item.isprintable() or not _one_value(item):
        return (f"{variable}{where}: {shown} is not one Falco value (it is empty, has a control "
                "character, or has a quote, comma, '=' or parenthesis that would split it once "
                "Falco inserts it into a condition)")
    return None


def _names_problems(variable: str, value) -> list:
    if not isinstance(value, list):
        return [f"{variable} must be a list of strings, got {type(value).__name__}"]
    found = (_name_problem(variable, f"[{i}]", item) for i, item in enumerate(value))
    return [p for p in found if p]


def _exception_strings(value):
    """Every string inside a Falco exception's values (they become condition values)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, list):
        for item in value:
            yield from _exception_strings(item)


def problems(variables) -> list:
    """Every problem of the library's variables given in `variables` (name -> value), one
    message each naming the variable and the entry; variables not given are not checked."""
    if not isinstance(variables, Mapping):
        return [f"the library's variables must be a mapping of variable name to value, got "
                f"{type(variables).__name__}"]
    unknown = sorted(str(k) for k in variables if k not in DEFAULTS)
    if unknown:
        return [f"unknown variables {unknown}; accepted: {', '.join(DEFAULTS)}"]
    found = []
    for name in NAME_LISTS:
        if name in variables:
            found += _names_problems(name, variables[name])
    if not isinstance(variables.get("falco_listen_allowed_ports", []), list):
        found.append("falco_listen_allowed_ports must be a list of port numbers, got "
                     f"{type(variables['falco_listen_allowed_ports']).__name__}")
    found += library_errors(dict(variables))
    for name in ALLOWLISTS:
        if isinstance(variables.get(name), dict):
            found += [p for p in (_name_problem(name, " key", k) for k in variables[name]
                                  if isinstance(k, str) and k.strip()) if p]
    exceptions = variables.get("falco_rule_exceptions", {})
    for key, listed in (exceptions.items() if isinstance(exceptions, dict) else ()):
        for i, exc in enumerate(listed if isinstance(listed, list) else ()):
            if isinstance(exc, dict):
                where = f"[{key!r}][{i}].values"
                found += [p for p in (_name_problem("falco_rule_exceptions", where, s)
                                      for s in _exception_strings(exc.get("values"))) if p]
    return found


def _rule_text(rule: Rule, exceptions: list, disabled: bool) -> str:
    def block(text):
        return "".join(f"    {line}\n" for line in text.split("\n"))

    return (f"- rule: {rule.title}\n  desc: >\n{block(rule.desc)}"
            f"  condition: >\n{block(rule.condition)}  output: >\n{block(rule.output)}"
            f"  priority: {rule.priority}\n  tags: [{', '.join(rule.tags)}]\n"
            f"  exceptions: {_json(exceptions)}\n" + ("  enabled: false" if disabled else ""))


def build_rules_library(variables: Mapping | None = None) -> str:
    """The rules library (YAML text) for `variables` over DEFAULTS; ValueError listing every
    problem (``problems``) when a variable is not valid."""
    found = problems({} if variables is None else variables)
    if found:
        raise ValueError("; ".join(found))
    v = {**copy.deepcopy(DEFAULTS), **(variables or {})}
    protected = [re.sub("^$", "/", re.sub("/*$", "", d)) for d in v["falco_protected_dirs"]]
    lists = [
        ("bulwark_protected_dirs", protected),
        ("bulwark_allowed_writers", v["falco_allowed_writers"]),
        ("bulwark_shell_binaries", v["falco_shell_binaries"]),
        ("bulwark_package_managers", v["falco_package_managers"]),
        ("bulwark_sensitive_files", v["falco_sensitive_files"]),
        ("bulwark_sensitive_file_readers", v["falco_sensitive_file_readers"]),
        ("bulwark_trusted_images", v["falco_trusted_images"]),
        ("bulwark_egress_controlled_images", _sorted(_unique(
            v["falco_no_egress_images"] + list(v["falco_egress_allowed_by_image"])))),
        ("bulwark_egress_controlled_namespaces", _sorted(v["falco_egress_allowed_by_namespace"])),
        ("bulwark_listen_allowed_ports", [int(p) for p in v["falco_listen_allowed_ports"]]),
    ]
    allowlists = {name: _allowlist_values(v[name], kind) for name, kind in ALLOWLISTS.items()}
    rules = [_rule_text(rule, _builtin_exceptions(rule.key, allowlists)
                        + v["falco_rule_exceptions"].get(rule.key, []),
                        rule.title in v["falco_rules_disabled"]) for rule in RULES]
    text = (HEADER + PREAMBLE + "".join(f"- list: {name}\n  items: {_json(items)}\n\n"
                                        for name, items in lists)
            + MACROS + "\n\n".join(rules))
    return text if text.endswith("\n") else text + "\n"
