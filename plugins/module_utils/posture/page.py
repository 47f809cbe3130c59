# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""posture.html: one self-contained page an ops lead reads, from one report.

Plain Python, no Ansible imports. Inline CSS, no script, no image, no font, and a
Content-Security-Policy that forbids every request, so it can be opened from disk, attached to
a ticket or printed. Every link is an in-page anchor: each matrix row to its section, each cell
to its layer there. Findings read one line per kind; a node's blocking vulnerabilities are a
CVE table with what fixes each.
"""

from __future__ import annotations

import html

from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
    LAYERS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.render import (
    finding_groups,
    headline,
    matrix,
)

CSP = ("default-src 'none'; style-src 'unsafe-inline'; img-src 'none'; font-src 'none'; "
       "base-uri 'none'; form-action 'none'")
MARK = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "unknown": "? unknown", None: "–"}
TITLE = {None: "not applicable: no check of this layer", "unknown": "could not be read"}

CSS = """
:root{--pass:#1a7f37;--warn:#9a6700;--fail:#cf222e;--unknown:#6639ba;--line:#d0d7de;
  font-family:system-ui,sans-serif}
body{margin:1rem auto;max-width:72rem;padding:0 1rem;color:#1f2328;line-height:1.4;
  overflow-wrap:anywhere}
h1{font-size:1.5rem;margin:0 0 .25rem}
h2{font-size:1.2rem;margin-top:1.5rem;border-bottom:1px solid var(--line)}
h3{font-size:1rem;margin:.75rem 0 .25rem}
.meta{color:#59636e;font-size:.9rem}
.headline{font-size:1.05rem;font-weight:600}
table{border-collapse:collapse;width:100%;margin:.5rem 0}
th,td{border:1px solid var(--line);padding:.3rem .5rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
a{color:inherit}
.pass{color:var(--pass);font-weight:600}.warn{color:var(--warn);font-weight:600}
.fail{color:var(--fail);font-weight:600}.unknown{color:var(--unknown);font-weight:600}
td.cell.pass{background:#dafbe1}td.cell.warn{background:#fff8c5}td.cell.fail{background:#ffebe9}
td.cell.unknown{background:#fbefff}
td.cell.changed{outline:3px solid #0969da;outline-offset:-3px}
.was{display:block;font-size:.8rem;font-weight:400;color:#59636e}
.delta{color:#0969da;font-weight:700}
.new{font-size:.75rem;background:#0969da;color:#fff;border-radius:.5rem;padding:0 .35rem}
code{font-size:.85em;word-break:break-all}
table.matrix th[scope=row]{overflow-wrap:anywhere;word-break:break-word}
table.matrix td.cell{white-space:nowrap;width:7.5rem}
table.cves td{white-space:nowrap}table.cves code{word-break:normal}
table.cves td[data-label=image],table.cves td[data-label=fix]{white-space:normal;min-width:12rem}
table.cves td[data-label=image] code{word-break:break-all}
.wrap{overflow-x:auto}
ul.findings{padding-left:1.2rem}ul.findings li{margin:.25rem 0}
.subject{white-space:normal}
section:target,div.layer:target,tr:target{background:#ddf4ff}
@media (max-width:40rem){
  table.stack thead{display:none}
  table.stack tr{display:block;border:1px solid var(--line);margin-bottom:.5rem}
  table.stack td,table.stack th{display:block;border:0}
  table.stack td::before{content:attr(data-label) ": ";font-weight:400;color:#59636e}
  table.matrix td.cell{width:auto}
  table.cves td,table.cves td[data-label=fix],table.cves td[data-label=image]{white-space:normal;
    min-width:0}
}
@media print{
  body{max-width:none;margin:0;font-size:10pt}
  td.cell{background:none!important}
  h2{break-after:avoid}tr,li{break-inside:avoid}
}
"""


def _e(value):
    return html.escape(str(value), quote=True)


def _td(label, content, cls=""):
    klass = f' class="{cls}"' if cls else ""
    return f'<td{klass} data-label="{_e(label)}">{content}</td>'


def _cell(row, layer):
    status = row["cells"][layer]
    classes = f"cell {status or 'none'}"
    was = ""
    old = row["history"]
    if old and old["state"] != "new":
        previous = old["cells"][layer]["previous"]
        if old["cells"][layer]["changed"]:
            classes += " changed"
            was = (f'<span class="was"><span class="delta" title="changed since the previous '
                   f'report">Δ</span> was {_e(MARK[previous])}</span>')
        elif status is not None or previous is not None:
            was = f'<span class="was">was {_e(MARK[previous])}</span>'
    title = f' title="{_e(TITLE[status])}"' if status in TITLE else ""
    return (f'<td class="{classes}" data-layer="{_e(layer)}" data-label="{_e(layer)}"{title}>'
            f'<a href="#{row["anchor"]}-{layer}">{_e(MARK[status])}</a>{was}</td>')


def _finding(group):
    status, checks = group["status"], group["checks"]
    extra = []
    if group["fix"]:
        extra.append(f"fix: <code>{_e(group['fix'])}</code>")
    nist = checks[0]["nist"]
    if nist:
        extra.append(f"NIST SP 800-190 {_e(nist)}")
    meta = f' <span class="meta">({"; ".join(extra)})</span>' if extra else ""
    mark = f'<span class="{status}">{_e(MARK[status])}</span>'
    if len(checks) == 1:
        c = checks[0]
        return (f'<li class="finding {status}" data-check="{_e(c["id"])}" '
                f'data-control="{_e(c["control"])}">{mark} <code>{_e(c["id"])}</code>: '
                f'{_e(c["reason"])}{meta}</li>')
    subjects = ", ".join(
        f'<span class="subject" data-check="{_e(c["id"])}" title="{_e(c["reason"])}">'
        f'{_e(c["subject"] or c["id"])}</span>' for c in checks)
    return (f'<li class="finding {status} group" data-control="{_e(group["control"])}" '
            f'data-count="{len(checks)}">{mark} <code>{_e(group["control"])}</code> '
            f'×{len(checks)}: {_e(group["group"])}: {subjects}{meta}</li>')


def _findings(checks):
    groups = finding_groups(checks)
    if not groups:
        return '<p class="pass">every check passes</p>'
    return '<ul class="findings">' + "".join(_finding(g) for g in groups) + "</ul>"


def _table(cls, heads, rows):
    head = "".join(f"<th>{_e(h)}</th>" for h in heads)
    return (f'<div class="wrap"><table class="stack {cls}"><thead><tr>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table></div>')


def _cves(node):
    rows = []
    for v in node["vulnerabilities"]:
        rows.append(
            f'<tr class="cve" data-cve="{_e(v["id"])}">'
            + _td("CVE", f"<code>{_e(v['id'])}</code>")
            + _td("severity", _e(v["severity"]), "fail" if v["blocking"] else "warn")
            + _td("package", f"<code>{_e(v['package'])}</code>")
            + _td("installed", f"<code>{_e(v['installed'])}</code>")
            + _td("fixed", f"<code>{_e(v['fixed'])}</code>" if v["fixed"] else "none yet")
            + _td("image", f"<code>{_e(v['image'])}</code>")
            + _td("fix", _e(v["remedy"])) + "</tr>")
    if not rows:
        return ""
    shown = len(rows)
    return ("<h3>Vulnerabilities (CRITICAL blocks, HIGH warns)</h3>"
            + _table("cves", ("CVE", "severity", "package", "installed", "fixed", "image",
                              "fix"), rows)
            + f'<p class="meta">{shown} finding(s) from the newest rescan reports</p>')


def _node_section(node, row):
    parts = [f'<section class="node" id="{row["anchor"]}"><h2>{_e(node["name"])}</h2>',
             f'<p class="verdict {node["verdict"]["status"]}">{_e(node["verdict"]["line"])}</p>']
    for layer in LAYERS:
        checks = [c for c in node["checks"] if c["layer"] == layer]
        status = node["cells"][layer]
        why = ""
        if not checks:
            why = (' <span class="unknown">— nothing of this layer could be read from the node'
                   "</span>" if status == "unknown" else
                   ' <span class="meta">— no check of this layer on the node</span>')
        parts.append(f'<div class="layer" id="{row["anchor"]}-{layer}"><h3>{_e(layer)}: '
                     f'<span class="{status or ""}">{_e(MARK[status])}</span>{why}</h3>')
        if checks:
            parts.append(_findings(checks))
        if layer == "build":
            parts.append(_cves(node))
        parts.append("</div>")
    parts.append("</section>")
    return "".join(parts)


def _namespace_row(ns):
    netpols = ", ".join(p["name"] for p in ns["network_policies"]) or "none"
    return ("<tr>" + _td("namespace", _e(ns["name"]))
            + _td("Pod Security enforce", _e(ns["enforce"] or "not set"))
            + _td("NetworkPolicies", _e(netpols)) + "</tr>")


def _report_row(r):
    return ("<tr>" + _td("policy", _e(r["policy"])) + "".join(
        _td(k, str(r[k]), "fail" if k in ("fail", "error") and r[k] else "")
        for k in ("fail", "error", "warn", "pass"))
        + _td("resources", _e(", ".join(r["resources"]))) + "</tr>")


def _exception_row(e):
    state = "expired" if e["expired"] else "no expiry" if e["expires_at"] is None else "active"
    return (f'<tr class="exception" data-state="{state}">' + _td("exception", _e(e["name"]))
            + _td("namespace", _e(e["namespace"] or "(cluster)"))
            + _td("expires", _e(e["expires_at"] or "never"))
            + _td("state", state, "warn" if state != "active" else "pass") + "</tr>")


def _cluster_section(cluster, row):
    live = cluster["state"] == "live"
    state = ("live: read from the cluster" if live else
             "intended: built from kyverno_policy_settings, not read from a cluster")
    parts = [f'<section id="{row["anchor"]}"><h2>Cluster (admission)</h2>',
             f'<p class="state" data-state="{_e(cluster["state"])}"><strong>{_e(state)}</strong>'
             f' — {_e(cluster["source"])}</p>',
             f'<div class="layer" id="{row["anchor"]}-admit">']
    for layer in LAYERS:
        if layer != "admit":
            parts.append(f'<span id="{row["anchor"]}-{layer}"></span>')
    parts.append(_table("policies", ("policy", "kind", "actions"), [
        "<tr>" + _td("policy", _e(p.get("title") or p["name"])) + _td("kind", _e(p["kind"]))
        + _td("actions", _e(", ".join(p["actions"]) or "none")) + "</tr>"
        for p in cluster["policies"]]))
    parts.append(_table("namespaces", ("namespace", "Pod Security enforce", "NetworkPolicies"),
                        [_namespace_row(n) for n in cluster["namespaces"]]))
    if live:
        parts.append("<h3>PolicyReports</h3>" + (_table(
            "reports", ("policy", "fail", "error", "warn", "pass", "resources"),
            [_report_row(r) for r in cluster["reports"]]) if cluster["reports"]
            else '<p class="meta">no PolicyReport results</p>'))
        parts.append("<h3>PolicyExceptions</h3>" + (_table(
            "exceptions", ("exception", "namespace", "expires", "state"),
            [_exception_row(e) for e in cluster["exceptions"]]) if cluster["exceptions"]
            else '<p class="meta">no PolicyException</p>'))
    if cluster["unread"]:
        parts.append('<h3 class="unknown">Unknown: not read from the cluster</h3><ul>' + "".join(
            f'<li class="unknown" data-kind="{_e(u["kind"])}">{_e(u["kind"])}: {_e(u["reason"])}'
            "</li>" for u in cluster["unread"]) + "</ul>")
    parts.append(_findings(cluster["checks"]) + "</div></section>")
    return "".join(parts)


def _images_section(report, rows):
    table = []
    for image, row in zip(report["images"], rows):
        sig = next(c for c in image["checks"] if c["control"] == "sign.image")
        att = next(c for c in image["checks"] if c["control"] == "scan.image")
        # the row is the image's section; its cells' anchors land on it too
        ref = "".join(f'<span id="{row["anchor"]}-{layer}"></span>' for layer in LAYERS)
        ref += "<code>" + _e(image["image"]) + "</code>"
        table.append(
            f'<tr id="{row["anchor"]}">{_td("image", ref)}'
            + _td("signed", _e(sig["reason"]), "cell " + sig["status"])
            + _td("vulnerability attestation", _e(att["reason"]), "cell " + att["status"])
            + "</tr>")
    return ('<section id="images"><h2>Images (supply chain)</h2>'
            + _table("images", ("image", "signed", "vulnerability attestation"), table)
            + _findings([c for i in report["images"] for c in i["checks"]]) + "</section>")


def render_html(report):
    s = report["summary"]
    first, second = headline(report)
    rows = matrix(report)
    body = []
    for row in rows:
        new = (' <span class="new" title="not in the previous report">new</span>'
               if row["history"] and row["history"]["state"] == "new" else "")
        body.append(f'<tr data-node="{_e(row["label"])}" data-kind="{row["kind"]}">'
                    f'<th scope="row"><a href="#{row["anchor"]}">{_e(row["label"])}</a>{new}</th>'
                    + "".join(_cell(row, layer) for layer in LAYERS) + "</tr>")
    history = report.get("history")
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        f'<meta http-equiv="Content-Security-Policy" content="{_e(CSP)}">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        '<meta name="referrer" content="no-referrer">',
        "<title>Bulwark posture</title>",
        f"<style>{CSS}</style></head><body>",
        f'<h1>Bulwark posture: <span class="{s["status"]}">{_e(s["status"].upper())}</span></h1>',
        f'<p class="headline">{_e(first)}</p>',
        f'<p class="meta">{_e(second)}; generated {_e(report["generated"])} '
        f'from {_e(report["source"] or "the inventory")}</p>',
    ]
    if history:
        gone = f"; gone since: {_e(', '.join(history['gone']))}" if history["gone"] else ""
        parts.append(f'<p class="history">Compared with the report of '
                     f'{_e(history["previous_generated"])}: <strong>{history["changed"]} '
                     f'cell(s) changed</strong> (<span class="delta">Δ</span>, outlined){gone}</p>')
    parts.append("<h2>Matrix</h2>"
                 '<div class="wrap"><table class="matrix stack"><thead><tr><th>row</th>'
                 + "".join(f"<th>{_e(layer)}</th>" for layer in LAYERS)
                 + "</tr></thead><tbody>" + "".join(body) + "</tbody></table></div>")
    by_key = {r["key"]: r for r in rows}
    for node in report["nodes"]:
        parts.append(_node_section(node, by_key[f"node:{node['name']}"]))
    if report["cluster"]:
        parts.append(_cluster_section(report["cluster"], by_key["cluster"]))
    if report["images"]:
        parts.append(_images_section(report, [r for r in rows if r["kind"] == "image"]))
    parts.append("</body></html>\n")
    return "\n".join(parts)
