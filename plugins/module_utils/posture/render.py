# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""posture.json and posture.md from one report (see report.build_report), and what the page
(page.py, posture.html) shares with them: the matrix rows with their anchors and history, and
the findings grouped one line per kind.

Plain Python, no Ansible imports.
"""

from __future__ import annotations

import json
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
    CONTROLS,
    LAYERS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)

ORDER = {"fail": 0, "warn": 1, "pass": 2}


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def _slug(text):
    return re.sub(r"[^a-z0-9]+", "-", str(text).lower()).strip("-")[:60]


def matrix(report):
    """The matrix rows, nodes then the cluster then the images: {key, kind, label, anchor,
    cells, history}. Anchors are in-page ids made of [a-z0-9-] only (unique: a name that slugs
    like another, or to nothing, gets its index), a cell's anchor is `<row anchor>-<layer>`."""
    history = {r["key"]: r for r in (report.get("history") or {}).get("rows", [])}
    rows, taken = [], set()

    def add(key, kind, label, cells, index):
        base = f"{kind}-{_slug(label)}".rstrip("-")
        anchor = base if base not in taken and base != kind else f"{base}-{index}"
        while anchor in taken:
            anchor += "-x"
        taken.add(anchor)
        rows.append({"key": key, "kind": kind, "label": label, "anchor": anchor, "cells": cells,
                     "history": history.get(key)})

    for index, node in enumerate(report["nodes"]):
        add(f"node:{node['name']}", "node", node["name"], node["cells"], index)
    if report["cluster"]:
        add("cluster", "cluster", "cluster", report["cluster"]["cells"], 0)
    for index, image in enumerate(report["images"]):
        add(f"image:{image['image']}", "image", image["image"], image["cells"], index)
    return rows


def finding_groups(checks):
    """The checks that do not pass, one group per (status, control, group text): worst first.
    Each: {status, control, group, checks, fix} where `fix` is the shared fix, or the control's
    fix with `<name>` for the subject when the subjects' fixes differ."""
    groups = {}
    for c in checks:
        if c["status"] != "pass":
            groups.setdefault((c["status"], c["control"], c["group"]), []).append(c)
    out = []
    for (status, control, group), members in sorted(
            groups.items(), key=lambda g: (ORDER[g[0][0]], g[0][1], g[0][2])):
        fixes = sorted({c["fix"] for c in members if c["fix"]})
        if len(fixes) > 1 and control in CONTROLS:
            fixes = [CONTROLS[control][3].replace("{name}", "<name>")]
        out.append({"status": status, "control": control, "group": group, "checks": members,
                    "fix": "; ".join(fixes) or None})
    return out


# Markdown's punctuation that can start markup (links, images, emphasis, code, headings,
# lists, tables): backslash-escaped; `<`, `>` and `&` become entities so no raw HTML passes.
_MD_PUNCT = re.compile(r"([\\`*_\[\]()|~])")
# ...and what GFM would turn into a link by itself (https://..., www.example).
_MD_AUTOLINK = re.compile(r"(?i)(:)(?=//)|(?<=\bwww)(\.)")
_MD_ENTITIES = {"&": "&amp;", "<": "&lt;", ">": "&gt;"}
_PLAIN_CODE = re.compile(r"[A-Za-z0-9._:/@=,+\-\[\]]+")


def _md(value):
    """Fact text as inert Markdown: one printable line (control characters and newlines
    escaped), entities for <, > and &, every other markup character backslash-escaped."""
    text = one_line(value)
    text = re.sub(r"[&<>]", lambda m: _MD_ENTITIES[m.group()], text)
    text = _MD_PUNCT.sub(r"\\\1", text)
    return _MD_AUTOLINK.sub(lambda m: "\\" + m.group(), text)


def _md_code(value):
    """`value` as an inline code span when it is plain (an id, a variable name), else _md."""
    text = str(value)
    return f"`{text}`" if _PLAIN_CODE.fullmatch(text) and "](" not in text else _md(text)


ICON = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail", "unknown": "❔ unknown", None: "–"}


def headline(report):
    """The counts line every format starts with: nodes and images failing, the cluster, the
    cells that could not be read, and the checks per part."""
    s, parts = report["summary"], report["summary"]["parts"]
    cluster = report["cluster"]
    bits = [f"nodes: {s['failing']['nodes']} of {s['nodes']} fail",
            f"images: {s['failing']['images']} of {s['images']} fail"]
    if cluster:
        bits.append(f"cluster ({cluster['state']}): {cluster['verdict']['status']}")
    bits.append(f"unknown: {s['unknown_cells']} cell(s)")
    counts = "; ".join(f"{name} {c['pass']} pass, {c['warn']} warn, {c['fail']} fail"
                       for name, c in parts.items() if name != "cluster" or cluster)
    return " · ".join(bits), f"checks: {counts}"


def render_markdown(report):
    first, second = headline(report)
    lines = [f"## Bulwark posture: {report['summary']['status'].upper()}", "",
             f"{_md(first)}; {_md(second)} (generated {_md(report['generated'])})", ""]
    history = report.get("history")
    if history:
        lines += [f"Compared with the report of {_md(history['previous_generated'])}: "
                  f"{history['changed']} cell(s) changed (was → now)"
                  + (f"; gone: {_md(', '.join(history['gone']))}" if history["gone"] else ""), ""]
    lines += ["| row | " + " | ".join(LAYERS) + " |", "|---|" + "---|" * len(LAYERS)]
    for row in matrix(report):
        old = row["history"]
        cells = []
        for lay in LAYERS:
            text = ICON[row["cells"][lay]]
            if old and old["cells"][lay]["changed"]:
                text = f"**{ICON[old['cells'][lay]['previous']]} → {text}**"
            cells.append(text)
        new = " (new)" if old and old["state"] == "new" else ""
        lines.append(f"| {_md(row['label'])}{new} | " + " | ".join(cells) + " |")
    groups = [(n["name"], n["checks"], n["vulnerabilities"]) for n in report["nodes"]]
    if report["cluster"]:
        groups.append((f"cluster ({report['cluster']['state']})", report["cluster"]["checks"], []))
    if report["images"]:
        groups.append(("images", [c for i in report["images"] for c in i["checks"]], []))
    for name, checks, cves in groups:
        found = finding_groups(checks)
        if not found and not cves:
            continue
        lines += ["", f"### {_md(name)}", ""]
        for g in found:
            fix = f" — fix: {_md_code(g['fix'])}" if g["fix"] else ""
            if len(g["checks"]) == 1:
                c = g["checks"][0]
                lines.append(f"- {ICON[c['status']]} {_md_code(c['id'])}: {_md(c['reason'])}{fix}")
            else:
                subjects = ", ".join(_md(c["subject"] or c["id"]) for c in g["checks"])
                lines.append(f"- {ICON[g['status']]} {_md_code(g['control'])} "
                             f"×{len(g['checks'])}: {_md(g['group'])}: {subjects}{fix}")
        if cves:
            lines += ["", "| CVE | severity | package | installed | fixed | image |",
                      "|---|---|---|---|---|---|"]
            lines += [f"| {_md(v['id'])} | {_md(v['severity'])} | {_md(v['package'])} | "
                      f"{_md(v['installed'])} | {_md(v['fixed'] or 'none yet')} | "
                      f"{_md(v['image'])} |" for v in cves]
    return "\n".join(lines) + "\n"
