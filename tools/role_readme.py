"""Generate the "Variables" section of each role README from its meta/argument_specs.yml.

    python3 tools/role_readme.py            # rewrite the sections in place
    python3 tools/role_readme.py --check    # exit 1 when a README is out of date

The section lives between the two marker lines below; the rest of the README is the role
author's prose. A README without markers gets the section appended.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
BEGIN = "<!-- BEGIN generated from meta/argument_specs.yml: python3 tools/role_readme.py -->"
END = "<!-- END generated -->"


def _text(value) -> str:
    if isinstance(value, list):
        value = " ".join(str(v) for v in value)
    return " ".join(str(value or "").split()).replace("|", "\\|")


def _default(opt: dict) -> str:
    if opt.get("required"):
        return "*required*"
    if "default" not in opt:
        return ""
    value = opt["default"]
    shown = yaml.safe_dump(value, default_flow_style=True, width=10_000).strip()
    shown = shown.removesuffix("...").strip()
    return f"`{shown}`".replace("|", "\\|")


def _type(opt: dict) -> str:
    kind = opt.get("type", "str")
    if kind == "list" and opt.get("elements"):
        kind = f"list of {opt['elements']}"
    if opt.get("choices"):
        kind += " (" + ", ".join(f"`{c}`" for c in opt["choices"]) + ")"
    return kind


def render(role: Path) -> str:
    specs = yaml.safe_load((role / "meta" / "argument_specs.yml").read_text())["argument_specs"]
    out = [BEGIN, ""]
    for entry, spec in specs.items():
        title = "Variables" if entry == "main" else f"Variables of entry point `{entry}`"
        out += [f"## {title}", ""]
        if spec.get("short_description"):
            out += [_text(spec["short_description"]), ""]
        out += ["| variable | type | default | description |", "|---|---|---|---|"]
        for name, opt in sorted((spec.get("options") or {}).items()):
            out.append(f"| `{name}` | {_type(opt)} | {_default(opt)} | "
                       f"{_text(opt.get('description'))} |")
        out.append("")
    out.append(END)
    return "\n".join(out) + "\n"


def update(role: Path, check: bool) -> bool:
    readme = role / "README.md"
    current = readme.read_text() if readme.exists() else f"# Role `{role.name}`\n"
    section = render(role)
    if BEGIN in current and END in current:
        head, rest = current.split(BEGIN, 1)
        tail = rest.split(END, 1)[1].lstrip("\n")
        new = head + section + (("\n" + tail) if tail else "")
    else:
        new = current.rstrip("\n") + "\n\n" + section
    if new == current:
        return True
    if check:
        print(f"{readme.relative_to(ROOT)} is out of date: run python3 tools/role_readme.py")
        return False
    readme.write_text(new)
    print(f"updated {readme.relative_to(ROOT)}")
    return True


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--check", action="store_true")
    args = ap.parse_args(argv)
    roles = sorted(p.parent.parent for p in ROOT.glob("roles/*/meta/argument_specs.yml"))
    results = [update(role, args.check) for role in roles]  # all of them, not up to the first stale
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())
