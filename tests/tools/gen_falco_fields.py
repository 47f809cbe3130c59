"""Generate plugins/module_utils/falco/fields.py, the field and event catalog of the rules linter.

Inputs (data, not code):
  * ``sysdig -l`` / ``sysdig -L`` / ``--version`` / ``--libs-version`` of Debian's sysdig, kept in
    tests/fixtures/falco/sysdig-<version>-{fields,events,version}.txt: the syscall-source fields
    (with their ARG_/EPF_ flags), event names and the falcosecurity libs version they describe;
  * the "Supported Fields" tables of the Falco plugins that extract on the syscall source
    (``container``, ``k8smeta``), read from a checkout of falcosecurity/plugins;
  * the value type (PT_*) of each libs field, from the field tables in a checkout of
    falcosecurity/libs (userspace/libsinsp/sinsp_filtercheck_*.cpp).
  Without the two checkouts, plugin fields and types are carried over from the current catalog
  (with the commits it names), so a lab without GitHub can still refresh the libs part.

Usage:
  make falco-fields      # sysdig from a fresh sid rootfs in the lab (.lab/sysdig-sid/), then this
  python tests/tools/gen_falco_fields.py --fixtures tests/fixtures/falco [--sysdig-rootfs DIR] \
      [--plugins-git PLUGINS.git --libs-git LIBS.git] --output plugins/module_utils/falco/fields.py
"""
from __future__ import annotations

import argparse
import re
import runpy
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


CATALOG = Path(__file__).resolve().parents[2] / "plugins" / "module_utils" / "falco" / "fields.py"


def sysdig_in(rootfs: str, *args: str) -> str:
    return subprocess.run(["chroot", rootfs, "sysdig", *args], check=True, capture_output=True,
                          text=True).stdout


def dump_sysdig(rootfs: str, fixtures: Path) -> str:
    """Write sysdig's field list, event list and versions into fixtures; return its version."""
    version_text = sysdig_in(rootfs, "--version") + sysdig_in(rootfs, "--libs-version")
    version = re.search(r"sysdig version (\d+\.\d+\.\d+)", version_text).group(1)
    (fixtures / f"sysdig-{version}-version.txt").write_text(version_text)
    (fixtures / f"sysdig-{version}-fields.txt").write_text(sysdig_in(rootfs, "-l"))
    (fixtures / f"sysdig-{version}-events.txt").write_text(sysdig_in(rootfs, "-L"))
    return version


def newest_fixture(fixtures: Path) -> str:
    versions = [p.name.split("-")[1] for p in fixtures.glob("sysdig-*-version.txt")]
    if not versions:
        raise SystemExit(f"no sysdig-<version>-version.txt in {fixtures}: pass --sysdig-rootfs")
    return max(versions, key=lambda v: tuple(int(x) for x in v.split(".")))


def lab_rootfs(snapshot: str) -> Path:
    """The lab's sid rootfs: the tests' one for an empty snapshot, else a fresh one whose recipe
    names the snapshot, so that it gets whatever sysdig sid serves that day."""
    import sys
    sys.path.insert(0, str(CATALOG.parents[3] / "tests" / "integration" / "falco_sysdig"))
    import sysdig_sid
    recipe = dict(sysdig_sid.RECIPE, expect_version="newest", snapshot=snapshot) if snapshot \
        else None
    rootfs, seconds = sysdig_sid.build(recipe)
    print(f"[falco-fields] sysdig {sysdig_sid.sysdig_version(rootfs)} in {rootfs} "
          f"({f'built in {seconds:.0f} s' if seconds else 'cached'})", file=sys.stderr)
    return rootfs


def git_rev(git_dir: str, rev: str) -> str:
    return subprocess.run(["git", "--git-dir", git_dir, "rev-parse", rev], check=True,
                          capture_output=True, text=True).stdout.strip()


def main() -> None:  # noqa: PLR0914
    ap = argparse.ArgumentParser()
    ap.add_argument("--fixtures", type=Path, required=True)
    ap.add_argument("--sysdig-rootfs", help="a rootfs with sysdig (run through chroot)")
    ap.add_argument("--lab-snapshot", help="build (or reuse) the lab's sid rootfs with the "
                    "newest sysdig, one per snapshot name (tests/integration/falco_sysdig)")
    ap.add_argument("--plugins-git")
    ap.add_argument("--rev", default="HEAD")
    ap.add_argument("--libs-git")
    ap.add_argument("--libs-rev", default="HEAD")
    ap.add_argument("--output", type=Path, help="write here instead of stdout")
    a = ap.parse_args()
    if a.lab_snapshot is not None:
        a.sysdig_rootfs = str(lab_rootfs(a.lab_snapshot))
    version = (dump_sysdig(a.sysdig_rootfs, a.fixtures) if a.sysdig_rootfs
               else newest_fixture(a.fixtures))
    libs_version = re.search(r"libs version (\S+)",
                             (a.fixtures / f"sysdig-{version}-version.txt").read_text()).group(1)
    previous = runpy.run_path(str(CATALOG))
    previous_doc = previous["__doc__"]
    fields = libs_fields((a.fixtures / f"sysdig-{version}-fields.txt").read_text())
    for name in HIDDEN_FIELDS:
        fields.setdefault(name, ("syscall", "hidden"))
    if a.libs_git:
        libs_rev = git_rev(a.libs_git, a.libs_rev)
        types = libs_types(a.libs_git, libs_rev)
    else:       # carried over: the types the current catalog has for libs fields
        libs_rev = re.search(r"falcosecurity/libs@([0-9a-f]{40})", previous_doc).group(1)
        types = {n: f.split("type:")[1] for n, (o, f) in previous["FIELDS"].items()
                 if o == "syscall" and "type:" in f}
    for name, typ in types.items():
        if name in fields:
            origin, flags = fields[name]
            fields[name] = (origin, " ".join(filter(None, [flags, f"type:{typ}"])))
    if a.plugins_git:
        rev = git_rev(a.plugins_git, a.rev)
        for plugin in PLUGINS:
            readme = subprocess.run(["git", "--git-dir", a.plugins_git, "show",
                                     f"{rev}:plugins/{plugin}/README.md"],
                                    check=True, capture_output=True, text=True).stdout
            for name, value in plugin_fields(plugin, readme).items():
                fields.setdefault(name, value)
    else:
        rev = re.search(r"falcosecurity/plugins@([0-9a-f]{40})", previous_doc).group(1)
        for name, value in previous["FIELDS"].items():
            if value[0].startswith("plugin:"):
                fields.setdefault(name, value)
    events_text = (a.fixtures / f"sysdig-{version}-events.txt").read_text()
    evts = events(events_text)
    out = [
        "# Copyright (c) 2026 Bulwark maintainers",
        "# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)",
        "# SPDX-License-Identifier: Apache-2.0",
        '"""Falco field and event catalog for the rules linter. GENERATED: do not edit.',
        "",
        "Generated data, not code: exempt from the 600-line limit on Python files.",
        "",
        "Regenerate with `make falco-fields` (tests/tools/gen_falco_fields.py). Sources:",
        f"  syscall fields and events: `sysdig -l` / `sysdig -L` of Debian sysdig {version}",
        f"  (falcosecurity libs {libs_version});",
        "  field types (type:PT_NAME): the field tables of",
        f"  falcosecurity/libs@{libs_rev};",
        f"  plugin fields: falcosecurity/plugins@{rev}",
        f"  README tables of: {', '.join(PLUGINS)}.",
        "The Falco release the linter judges against (engine.py) may be built on newer libs, whose",
        "new fields this catalog lacks: give `falco --list` of a node to the linter (--fields).",
        "",
        "FIELDS maps a field name to (origin, flags); origin is 'syscall' (known to the libs",
        "filter compiler) or 'plugin:<name>'; flags are space-separated words among",
        f"{', '.join(sorted([*FLAG_NAMES.values(), 'hidden']))}",
        "(hidden: accepted by the compiler but not listed by `sysdig -l`), and for plugin",
        "fields type:<type> from the plugin's table.",
        "EVENT_ARGS: the parameter names of all events (for evt.arg.NAME).",
        '"""',
        "",
        "# The sysdig and falcosecurity libs versions this catalog describes.",
        f"CATALOG_SYSDIG_VERSION = {version!r}",
        f"CATALOG_LIBS_VERSION = {libs_version!r}",
        "",
        "FIELDS = {",
    ]
    out += [f"    {name!r}: {value!r}," for name, value in fields.items()]
    out += ["}", "", "EVENTS = frozenset({"]
    out += [f"    {e!r}," for e in evts]
    out += ["})", "", "EVENT_ARGS = frozenset({"]
    out += [f"    {e!r}," for e in event_args(events_text)]
    out += ["})"]
    text = "\n".join(out) + "\n"
    if a.output:
        a.output.write_text(text)
    else:
        print(text, end="")


if __name__ == "__main__":
    main()
