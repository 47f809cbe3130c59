"""Generate plugins/module_utils/falco/fields.py, the field and event catalog of the rules linter.

Inputs (data, not code):
  * ``sysdig -l`` / ``sysdig -L`` of Debian's sysdig 0.41.4 (falcosecurity libs 0.23), kept in
    tests/fixtures/falco/: the syscall-source fields (with their ARG_/EPF_ flags) and event names;
  * the "Supported Fields" tables of the Falco plugins that extract on the syscall source
    (``container``, ``k8smeta``), read from a checkout of falcosecurity/plugins.

  * the value type (PT_*) of each libs field, from the field tables in a checkout of
    falcosecurity/libs (userspace/libsinsp/sinsp_filtercheck_*.cpp).

Usage:
  python tests/tools/gen_falco_fields.py --fixtures tests/fixtures/falco \
      --plugins-git PLUGINS.git --libs-git LIBS.git > plugins/module_utils/falco/fields.py
"""
from __future__ import annotations

import argparse
import re
import subprocess
from pathlib import Path

PLUGINS = ("container", "k8smeta")
# Fields the libs compiler accepts but `sysdig -l` hides (EPF_TABLE_ONLY / EPF_DEPRECATED in
# falcosecurity/libs userspace/libsinsp/sinsp_filtercheck_*.cpp). Each one was checked with the
# real compiler (`sysdig -r /nonexistent.scap "<field> exists"` only complains about the file);
# tests/integration/falco_sysdig re-checks them on every run.
HIDDEN_FIELDS = (
    "evt.buflen.file",
    "evt.buflen.file.in",
    "evt.buflen.file.out",
    "evt.buflen.in",
    "evt.buflen.net",
    "evt.buflen.net.in",
    "evt.buflen.net.out",
    "evt.buflen.out",
    "evt.count.procinfo",
    "evt.count.threadinfo",
    "evt.dir",
    "evt.infra.docker.container.id",
    "evt.infra.docker.container.image",
    "evt.infra.docker.container.name",
    "evt.infra.docker.name",
    "evt.latency",
    "evt.latency.human",
    "evt.latency.ns",
    "evt.latency.quantized",
    "evt.latency.s",
    "evt.outputtime",
    "evt.wait_latency",
    "thread.nametid",
    "thread.vmrss.b",
    "thread.vmsize.b",
)
FLAG_NAMES = {
    "ARG_REQUIRED": "arg_required", "ARG_ALLOWED": "arg_allowed", "EPF_NO_RHS": "no_rhs",
    "EPF_NO_TRANSFORMER": "no_transformer", "FILTER_ONLY": "filter_only", "EPF_IS_LIST": "is_list",
}


def libs_fields(text: str) -> dict[str, tuple[str, str]]:
    fields = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z][a-zA-Z0-9_.]*)(?:\s+\(([A-Z_,]+)\))?(?:\s|$)", line)
        if not m:
            continue
        flags = [FLAG_NAMES[f] for f in (m.group(2) or "").split(",") if f in FLAG_NAMES]
        fields[m.group(1)] = ("syscall", " ".join(flags))
    return fields


def plugin_fields(plugin: str, readme: str) -> dict[str, tuple[str, str]]:
    fields = {}
    for line in readme.splitlines():
        m = re.match(r"^\|\s*`([a-z][a-zA-Z0-9_.]*)`\s*\|\s*`([^`]*)`\s*\|\s*([^|]*?)\s*\|", line)
        if not m:
            continue
        arg = m.group(3)
        flags = []
        if "Required" in arg:
            flags.append("arg_required")
        elif arg not in ("None", ""):
            flags.append("arg_allowed")
        if "(list)" in m.group(2):
            flags.append("is_list")
        flags.append("type:" + m.group(2).split()[0])
        fields[m.group(1)] = (f"plugin:{plugin}", " ".join(flags))
    return fields


def libs_types(libs_git: str, rev: str) -> dict[str, str]:
    """field name -> PT_ type (without the prefix) from the libs field tables."""
    files = subprocess.run(["git", "--git-dir", libs_git, "ls-tree", "-r", "--name-only", rev,
                            "userspace/libsinsp"], check=True, capture_output=True,
                           text=True).stdout.split()
    types = {}
    for f in files:
        if not re.search(r"sinsp_filtercheck_\w+\.cpp$", f):
            continue
        text = subprocess.run(["git", "--git-dir", libs_git, "show", f"{rev}:{f}"], check=True,
                              capture_output=True, text=True).stdout
        entry = r'\{\s*PT_([A-Z0-9_]+)\s*,[^,]+,\s*PF_[A-Z0-9_]+\s*,\s*"([a-z0-9_.]+)"'
        for m in re.finditer(entry, text):
            types.setdefault(m.group(2), m.group(1))
    return types


def event_args(text: str) -> list[str]:
    """Parameter names of every event: what `evt.arg.NAME` / `evt.rawarg.NAME` may use."""
    names = set()
    for m in re.finditer(r"^[<>] [a-z0-9_]+\((.*)\)$", text, re.M):
        for param in filter(None, (p.strip() for p in m.group(1).split(","))):
            names.add(param.split()[-1])
    return sorted(names)


def events(text: str) -> list[str]:
    return sorted({m.group(1) for m in re.finditer(r"^[<>] ([a-z0-9_]+)\(", text, re.M)})


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", type=Path, required=True)
    ap.add_argument("--plugins-git", required=True)
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--libs-git", required=True)
    ap.add_argument("--libs-rev", default="HEAD")
    a = ap.parse_args()
    rev = subprocess.run(["git", "--git-dir", a.plugins_git, "rev-parse", a.rev], check=True,
                         capture_output=True, text=True).stdout.strip()
    fields = libs_fields((a.fixtures / "sysdig-0.41.4-fields.txt").read_text())
    for name in HIDDEN_FIELDS:
        fields.setdefault(name, ("syscall", "hidden"))
    libs_rev = subprocess.run(["git", "--git-dir", a.libs_git, "rev-parse", a.libs_rev],
                              check=True, capture_output=True, text=True).stdout.strip()
    for name, typ in libs_types(a.libs_git, libs_rev).items():
        if name in fields:
            origin, flags = fields[name]
            fields[name] = (origin, " ".join(filter(None, [flags, f"type:{typ}"])))
    for plugin in PLUGINS:
        readme = subprocess.run(["git", "--git-dir", a.plugins_git, "show",
                                 f"{rev}:plugins/{plugin}/README.md"],
                                check=True, capture_output=True, text=True).stdout
        for name, value in plugin_fields(plugin, readme).items():
            fields.setdefault(name, value)
    events_text = (a.fixtures / "sysdig-0.41.4-events.txt").read_text()
    evts = events(events_text)
    out = [
        "# Copyright (c) 2026 Bulwark maintainers",
        "# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)",
        "# SPDX-License-Identifier: Apache-2.0",
        '"""Falco field and event catalog for the rules linter. GENERATED: do not edit.',
        "",
        "Generated data, not code: exempt from the 600-line limit on Python files.",
        "",
        "Regenerate with tests/tools/gen_falco_fields.py. Sources:",
        "  syscall fields and events: `sysdig -l` / `sysdig -L` of Debian sysdig 0.41.4",
        "  (falcosecurity libs 0.23);",
        "  field types (type:PT_NAME): the field tables of",
        f"  falcosecurity/libs@{libs_rev};",
        f"  plugin fields: falcosecurity/plugins@{rev}",
        f"  README tables of: {', '.join(PLUGINS)}.",
        "",
        "FIELDS maps a field name to (origin, flags); origin is 'syscall' (known to the libs",
        "filter compiler) or 'plugin:<name>'; flags are space-separated words among",
        f"{', '.join(sorted([*FLAG_NAMES.values(), 'hidden']))}",
        "(hidden: accepted by the compiler but not listed by `sysdig -l`), and for plugin",
        "fields type:<type> from the plugin's table.",
        "EVENT_ARGS: the parameter names of all events (for evt.arg.NAME).",
        '"""',
        "",
        "FIELDS = {",
    ]
    out += [f"    {name!r}: {value!r}," for name, value in fields.items()]
    out += ["}", "", "EVENTS = frozenset({"]
    out += [f"    {e!r}," for e in evts]
    out += ["})", "", "EVENT_ARGS = frozenset({"]
    out += [f"    {e!r}," for e in event_args(events_text)]
    out += ["})", ""]
    print("\n".join(out))


if __name__ == "__main__":
    main()
