# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""posture.json, posture.html and posture.md from one report (see report.build_report).

Plain Python, no Ansible imports. The HTML page is one self-contained file: inline CSS, no
script, no image, no font, and a Content-Security-Policy that forbids every request, so it can
be opened from disk, attached to a ticket or printed.
"""

from __future__ import annotations

import html
import json
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
    LAYERS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; font-src 'none'; "
       "base-uri 'none'; form-action 'none'")
MARK = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", None: "–"}

CSS = """
:root{--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--line:#d0d7de;font-family:system-ui,sans-serif}
body{margin:1rem auto;max-width:72rem;padding:0 1rem;color:#1f2328;line-height:1.4;
  overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.2rem;margin-top:1.5rem;border-bottom:1px solid var(--line)}
.meta{color:#59636e;font-size:.9rem}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
.pass{color:var(--pass);font-weight:600}.warn{color:var(--warn);font-weight:600}.fail{color:var(--fail);font-weight:600}
td.cell.pass{background:#dafbe1}td.cell.warn{background:#fff8c5}td.cell.fail{background:#ffebe9}
code{font-size:.85em;word-break:break-all}
.wrap{overflow-x:auto}
ul.findings{padding-left:1.2rem}ul.findings li{margin:.25rem 0}
@media (max-width:40rem){
  table.matrix thead{display:none}
  table.matrix tr{display:block;border:1px solid var(--line);margin-bottom:.5rem}
  table.matrix td,table.matrix th{display:block;border:0}
  table.matrix td::before{content:attr(data-layer) ": ";font-weight:400;color:#59636e}
}
@media print{
  body{max-width:none;margin:0;font-size:10pt}
  td.cell.pass,td.cell.warn,td.cell.fail{background:none}
  h2{break-after:avoid}tr,li{break-inside:avoid}
}
"""


def render_json(report):
    return json.dumps(report, indent=2, sort_keys=True) + "\n"


def _e(value):
    return html.escape(str(value), quote=True)


def _cell(status, layer):
    return f'<td class="cell {status or "none"}" data-layer="{_e(layer)}">{_e(MARK[status])}</td>'


def _finding(c):
    extra = []
    if c["fix"]:
        extra.append(f"fix: <code>{_e(c['fix'])}</code>")
    if c["nist"]:
        extra.append(f"NIST SP 800-190 {_e(c['nist'])}")
    extra.append(f"practice: {_e(c['practice'])}")
    return (
        f'<li class="finding {c["status"]}" data-check="{_e(c["id"])}"><span class="{c["status"]}">'
        f"{_e(MARK[c['status']])}</span> <code>{_e(c['id'])}</code>: {_e(c['reason'])} "
        f'<span class="meta">({"; ".join(extra)})</span></li>'
    )


def _findings(checks):
    shown = [c for c in checks if c["status"] != "pass"]
    if not shown:
        return '<p class="pass">every check passes</p>'
    shown.sort(key=lambda c: (c["status"] != "fail", c["id"]))
    return '<ul class="findings">' + "".join(_finding(c) for c in shown) + "</ul>"


def render_html(report):
    s = report["summary"]
    rows = []
    for node in report["nodes"]:
        rows.append(
            f'<tr data-node="{_e(node["name"])}"><th scope="row">{_e(node["name"])}</th>'
            + "".join(_cell(node["cells"][layer], layer) for layer in LAYERS)
            + "</tr>"
        )
    cluster = report["cluster"]
    if cluster:
        cells = {layer: None for layer in LAYERS}
        cells["admit"] = cluster["verdict"]["status"]
        rows.append(
            '<tr data-node="cluster"><th scope="row">cluster (policy bundle)</th>'
            + "".join(_cell(cells[layer], layer) for layer in LAYERS)
            + "</tr>"
        )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        "<title>Bulwark posture</title>",
        f"<style>{CSS}</style></head><body>",
        f'<h1>Bulwark posture: <span class="{s["status"]}">{_e(s["status"].upper())}</span></h1>',
        f'<p class="meta">generated {_e(report["generated"])} '
        f'from {_e(report["source"] or "the inventory")}; '
        f"{s['nodes']} node(s), {s['images']} image(s); checks: {s['counts']['pass']} pass, "
        f"{s['counts']['warn']} warn, {s['counts']['fail']} fail</p>",
        "<h2>Node × layer</h2>",
        '<div class="wrap"><table class="matrix"><thead><tr><th>node</th>'
        + "".join(f"<th>{_e(layer)}</th>" for layer in LAYERS)
        + "</tr></thead><tbody>"
        + "".join(rows)
        + "</tbody></table></div>",
    ]
    for node in report["nodes"]:
        parts.append(
            f'<section class="node" id="node-{_e(node["name"])}"><h2>{_e(node["name"])}</h2>'
            f'<p class="verdict {node["verdict"]["status"]}">{_e(node["verdict"]["line"])}</p>'
            f"{_findings(node['checks'])}</section>"
        )
    if cluster:
        parts.append('<section id="cluster"><h2>Cluster (admission)</h2>')
        parts.append(
            '<div class="wrap"><table><thead><tr><th>policy</th><th>kind</th><th>actions</th></tr>'
            "</thead>"
            "<tbody>"
            + "".join(
                f"<tr><td>{_e(p['title'])}</td><td>{_e(p['kind'])}</td>"
                f"<td>{_e(', '.join(p['actions']))}</td></tr>"
                for p in cluster["policies"]
            )
            + "</tbody></table></div>"
        )
        parts.append(
            '<div class="wrap"><table><thead><tr><th>namespace</th><th>Pod Security enforce</th>'
            "<th>NetworkPolicies</th></tr></thead><tbody>"
            + "".join(
                f"<tr><td>{_e(n['name'])}</td><td>{_e(n['enforce'] or 'not set')}</td>"
                f"<td>{_e(', '.join(p['name'] for p in n['network_policies']) or 'none')}</td></tr>"
                for n in cluster["namespaces"]
            )
            + "</tbody></table></div>"
        )
        parts.append(_findings(cluster["checks"]) + "</section>")
    if report["images"]:
        parts.append(
            '<section id="images"><h2>Images (supply chain)</h2>'
            '<div class="wrap"><table><thead><tr>'
            "<th>image</th><th>signed</th><th>vulnerability attestation</th></tr></thead><tbody>"
        )
        for image in report["images"]:
            sig, att = image["checks"][0], image["checks"][1]
            parts.append(
                f"<tr><td><code>{_e(image['image'])}</code></td>"
                f'<td class="cell {sig["status"]}">{_e(sig["reason"])}</td>'
                f'<td class="cell {att["status"]}">{_e(att["reason"])}</td></tr>'
            )
        parts.append(
            "</tbody></table></div>"
            + _findings([c for i in report["images"] for c in i["checks"]])
            + "</section>"
        )
    parts.append("</body></html>\n")
    return "\n".join(parts)


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


def render_markdown(report):
    s = report["summary"]
    icon = {"pass": "✅ pass", "warn": "⚠️ warn", "fail": "❌ fail", None: "–"}
    lines = [
        f"## Bulwark posture: {s['status'].upper()}",
        "",
        f"{s['nodes']} node(s), {s['images']} image(s); checks: {s['counts']['pass']} pass, "
        f"{s['counts']['warn']} warn, {s['counts']['fail']} fail "
        f"(generated {_md(report['generated'])})",
        "",
        "| node | " + " | ".join(LAYERS) + " |",
        "|---|" + "---|" * len(LAYERS),
    ]
    for node in report["nodes"]:
        lines.append(
            f"| {_md(node['name'])} | "
            + " | ".join(icon[node["cells"][lay]] for lay in LAYERS)
            + " |"
        )
    if report["cluster"]:
        lines.append(
            "| cluster | "
            + " | ".join(
                icon[report["cluster"]["verdict"]["status"] if lay == "admit" else None]
                for lay in LAYERS
            )
            + " |"
        )
    groups = [(n["name"], n["checks"]) for n in report["nodes"]]
    if report["cluster"]:
        groups.append(("cluster", report["cluster"]["checks"]))
    if report["images"]:
        groups.append(("images", [c for i in report["images"] for c in i["checks"]]))
    for name, checks in groups:
        bad = sorted(
            (c for c in checks if c["status"] != "pass"),
            key=lambda c: (c["status"] != "fail", c["id"]),
        )
        if not bad:
            continue
        lines += ["", f"### {_md(name)}", ""]
        for c in bad:
            fix = f" — fix: {_md_code(c['fix'])}" if c["fix"] else ""
            nist = f" (NIST SP 800-190 {_md(c['nist'])})" if c["nist"] else ""
            lines.append(f"- {icon[c['status']]} {_md_code(c['id'])}: {_md(c['reason'])}"
                         f"{fix}{nist}")
    return "\n".join(lines) + "\n"
