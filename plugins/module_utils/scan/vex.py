# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX) that suppress findings, as ``trivy --vex``.

A statement suppresses a finding when its vulnerability id (or an alias) names the finding's
id or one of its aliases, its final status is ``not_affected`` or ``fixed``, and a product
matches the finding's package purl the way Trivy's ``pkg/vex`` does:

* a product without subcomponents matches when its purl matches the package's purl;
* a product with subcomponents matches when a subcomponent's purl matches the package's
  purl. Trivy also checks that the product is an ancestor of the package in the dependency
  graph; a JSON report carries no graph, so the product is taken to be the scanned artifact
  (each report is one artifact).

Purl matching is go-vex's: type, namespace and name must be equal; a version or qualifiers
given in the statement must be equal too, so ``pkg:golang/x/y`` covers every version.
OpenVEX statements are ordered by timestamp and the latest matching one decides (a later
``affected`` revokes an earlier ``not_affected``). CycloneDX ``affects`` refs are BOM-links
or bom-refs; their purl part is matched (Trivy additionally needs the SBOM the link points
to). CSAF products come from ``product_identification_helper.purl`` in the product tree, and
relationships (``default_component_of``, ``installed_on``, ``installed_with``) give a product
with its subcomponent.
"""
from __future__ import annotations

import copy
from urllib.parse import unquote

from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.ignores import (
    parse_purl,
)

SUPPRESSING = ("not_affected", "fixed")
VEX_FORMATS = ("openvex", "cyclonedx", "csaf")
_CDX_STATE = {"not_affected": "not_affected", "false_positive": "not_affected",
              "resolved": "fixed", "resolved_with_pedigree": "fixed",
              "exploitable": "affected", "in_triage": "under_investigation"}
_CSAF_STATUS = {"known_not_affected": "not_affected", "fixed": "fixed",
                "known_affected": "affected", "under_investigation": "under_investigation"}
_CSAF_RELATIONSHIPS = ("default_component_of", "installed_on", "installed_with")


# --------------------------------------------------------------------------- purls

_PURL_CACHE = {}


def _purl(text):
    """Parsed purl with percent-decoded parts (cached), or None when not a purl."""
    if text in _PURL_CACHE:
        return _PURL_CACHE[text]
    parsed = parse_purl(text) if isinstance(text, str) else None
    if parsed is not None:
        ptype, namespace, name, version, quals = parsed
        parsed = (ptype, unquote(namespace), unquote(name), unquote(version),
                  {k: unquote(v) for k, v in quals.items()})
    _PURL_CACHE[text] = parsed
    return parsed


def purl_matches(pattern, purl):
    """go-vex's PurlMatches: the statement's purl ``pattern`` covers the package ``purl``."""
    if pattern == purl:
        return bool(pattern)
    p, t = _purl(pattern), _purl(purl)
    if p is None or t is None or p[:3] != t[:3]:
        return False
    if p[3] and p[3] != t[3]:
        return False
    return all(t[4].get(k) == v for k, v in p[4].items())


# --------------------------------------------------------------------------- documents

def _statement(fmt, source, vuln, aliases, products, status, justification, text,
               timestamp=""):
    return {"format": fmt, "source": source, "vulnerability": vuln,
            "aliases": [a for a in aliases if a and a != vuln], "products": products,
            "status": status, "justification": justification or "", "statement": text or "",
            "timestamp": timestamp or ""}


def _openvex_component(item):
    if isinstance(item, str):
        return [item]
    if not isinstance(item, dict):
        return []
    ids = [item.get("@id")] + list((item.get("identifiers") or {}).values())
    return [i for i in ids if isinstance(i, str) and i]


def _openvex(doc, source):
    out = []
    doc_time = doc.get("timestamp") or ""
    for stmt in doc.get("statements") or ():
        vuln = stmt.get("vulnerability")
        if isinstance(vuln, dict):
            name = vuln.get("name") or vuln.get("@id") or ""
            aliases = [vuln.get("@id")] + list(vuln.get("aliases") or [])
        else:
            name, aliases = str(vuln or ""), []
        top_subs = [s for sub in stmt.get("subcomponents") or () for s in _openvex_component(sub)]
        products = []
        for product in stmt.get("products") or ():
            subs = top_subs + ([s for sub in (product.get("subcomponents") or ())
                                for s in _openvex_component(sub)]
                               if isinstance(product, dict) else [])
            products.extend({"id": pid, "subcomponents": subs}
                            for pid in _openvex_component(product))
        text = stmt.get("impact_statement") or stmt.get("status_notes") or \
            stmt.get("action_statement") or ""
        out.append(_statement("openvex", source, name, aliases, products, stmt.get("status", ""),
                              stmt.get("justification"), text,
                              stmt.get("timestamp") or doc_time))
    # The latest statement wins: keep document order for equal times (a stable sort).
    out.sort(key=lambda s: s["timestamp"])
    return out


def _bom_ref_purl(ref):
    ref = str(ref or "")
    if ref.startswith("urn:cdx:") and "#" in ref:
        ref = ref.split("#", 1)[1]
    return ref


def _cyclonedx(doc, source):
    out = []
    for vuln in doc.get("vulnerabilities") or ():
        analysis = vuln.get("analysis") or {}
        products = [{"id": _bom_ref_purl(a.get("ref")), "subcomponents": []}
                    for a in vuln.get("affects") or () if a.get("ref")]
        aliases = [r.get("id") for r in vuln.get("references") or () if r.get("id")]
        out.append(_statement("cyclonedx", source, vuln.get("id") or "", aliases, products,
                              _CDX_STATE.get(analysis.get("state"), "unknown"),
                              analysis.get("justification"), analysis.get("detail")))
    return out


def _csaf_products(tree):
    """product_id -> purls, from the branches and full_product_names of a CSAF product tree."""
    purls = {}

    def add(product):
        if not isinstance(product, dict) or not product.get("product_id"):
            return
        helper = product.get("product_identification_helper") or {}
        if helper.get("purl"):
            purls.setdefault(product["product_id"], []).append(helper["purl"])

    def walk(branches):
        for branch in branches or ():
            add(branch.get("product"))
            walk(branch.get("branches"))

    walk(tree.get("branches"))
    for product in tree.get("full_product_names") or ():
        add(product)
    return purls


def _csaf(doc, source):
    tree = doc.get("product_tree") or {}
    purls = _csaf_products(tree)
    relations = {}
    for rel in tree.get("relationships") or ():
        full = (rel.get("full_product_name") or {}).get("product_id")
        if full and rel.get("category") in _CSAF_RELATIONSHIPS:
            relations.setdefault(full, []).append(
                (purls.get(rel.get("relates_to_product_reference"), []),
                 purls.get(rel.get("product_reference"), [])))
    out = []
    for vuln in doc.get("vulnerabilities") or ():
        ident = vuln.get("cve") or next((i.get("text") for i in vuln.get("ids") or ()), "")
        impact = next((t.get("details") for t in vuln.get("threats") or ()
                       if t.get("category") == "impact"), "")
        flags = {pid: f.get("label") for f in vuln.get("flags") or ()
                 for pid in f.get("product_ids") or ()}
        for key, status in _CSAF_STATUS.items():
            for pid in (vuln.get("product_status") or {}).get(key) or ():
                products = [{"id": p, "subcomponents": []} for p in purls.get(pid, [])]
                for parents, subs in relations.get(pid, []):
                    products.extend({"id": p, "subcomponents": list(subs)} for p in parents)
                out.append(_statement("csaf", source, ident, [], products, status,
                                      flags.get(pid) or impact, impact))
    return out


def vex_format(doc):
    """``openvex``, ``cyclonedx`` or ``csaf`` for a parsed VEX document, else ValueError."""
    if not isinstance(doc, dict):
        raise ValueError(f"VEX document must be a JSON object, got {type(doc).__name__}")
    if "statements" in doc or "openvex" in str(doc.get("@context", "")):
        return "openvex"
    if doc.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    if isinstance(doc.get("document"), dict) and "csaf_version" in doc["document"]:
        return "csaf"
    raise ValueError("unknown VEX format: expected OpenVEX ('statements'), CycloneDX "
                     "('bomFormat': 'CycloneDX') or CSAF ('document.csaf_version')")


def load_vex(doc, source=""):
    """Statements of one parsed VEX document (dicts: vulnerability, aliases, products, status,
    justification, statement, format, source), in the order they take effect."""
    fmt = vex_format(doc)
    try:
        return {"openvex": _openvex, "cyclonedx": _cyclonedx, "csaf": _csaf}[fmt](doc, source)
    except (AttributeError, TypeError) as exc:
        raise ValueError(f"{source or 'VEX document'}: malformed {fmt} document ({exc})") from exc


# --------------------------------------------------------------------------- matching

def _product_matches(product, purl):
    if not product["subcomponents"]:
        return purl_matches(product["id"], purl)
    return any(purl_matches(sub, purl) for sub in product["subcomponents"])


class VexIndex:
    """Statements indexed by vulnerability id; ``match(finding)`` gives the suppressing one."""

    def __init__(self, statements):
        self.statements = list(statements)
        self._by_id = {}
        for order, stmt in enumerate(self.statements):
            for ident in {stmt["vulnerability"], *stmt["aliases"]}:
                if ident:
                    self._by_id.setdefault(ident, []).append((order, stmt))

    def __bool__(self):
        return bool(self.statements)

    def decide(self, ident, aliases, purl):
        """The statement that decides (the latest matching one), or None."""
        if not purl:
            return None
        hits = []
        for name in (ident, *aliases):
            hits.extend(self._by_id.get(name, ()))
        matching = [(order, s) for order, s in hits
                    if any(_product_matches(p, purl) for p in s["products"])]
        return max(matching, key=lambda pair: pair[0])[1] if matching else None

    def match(self, finding):
        """The statement suppressing a normalised finding, or None."""
        if finding.get("kind", "vulnerability") != "vulnerability":
            return None
        stmt = self.decide(finding.get("id"), finding.get("aliases") or (), finding.get("purl"))
        return stmt if stmt is not None and stmt["status"] in SUPPRESSING else None


def vex_reason(stmt):
    """Why a finding is hidden, for the gate's ``ignored`` list."""
    why = stmt["justification"] or stmt["statement"]
    text = f"VEX {stmt['status']} ({stmt['format']}"
    text += f" {stmt['source']})" if stmt["source"] else ")"
    return f"{text}: {why}" if why else text


def filter_trivy_report(report, index):
    """A copy of a Trivy report without the vulnerabilities VEX suppresses (``trivy --vex``)."""
    out = copy.deepcopy(report)
    for result in out.get("Results") or ():
        vulns = result.get("Vulnerabilities")
        if not vulns:
            continue
        kept = []
        for vuln in vulns:
            purl = (vuln.get("PkgIdentifier") or {}).get("PURL")
            stmt = index.decide(vuln.get("VulnerabilityID"), vuln.get("VendorIDs") or (), purl)
            if stmt is None or stmt["status"] not in SUPPRESSING:
                kept.append(vuln)
        result["Vulnerabilities"] = kept
    return out
