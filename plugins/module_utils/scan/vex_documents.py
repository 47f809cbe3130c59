# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Reading VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX) into statements, for scan/vex.py.

A document is recognised by its own markers (OpenVEX ``@context``, CycloneDX ``bomFormat``,
CSAF ``document.csaf_version``) and read into statement dicts; anything else, or a field of
the wrong type, is refused with a ValueError naming the field (``statements[2].products[0]
.@id``). Timestamps are parsed to aware UTC datetimes, purls with ``packageurl``. How the
statements are matched to findings is scan/vex.py.
"""
from __future__ import annotations

import datetime as _dt
import itertools
import re
from decimal import Decimal

from ansible_collections.bulwark.container_security.plugins.module_utils.purl import (
    HAS_PACKAGEURL,
    PackageURL,
    parse_purl,
    purl_matches,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    load_json_file,
)

__all__ = ("PackageURL", "parse_purl", "purl_matches")  # read here by scan/vex.py

VEX_FORMATS = ("openvex", "cyclonedx", "csaf")
OPENVEX_STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
_CDX_STATE = {"not_affected": "not_affected", "false_positive": "not_affected",
              "resolved": "fixed", "resolved_with_pedigree": "fixed",
              "exploitable": "affected", "in_triage": "under_investigation"}
_CSAF_STATUS = {"known_not_affected": "not_affected", "fixed": "fixed",
                "known_affected": "affected", "under_investigation": "under_investigation"}
_CSAF_RELATIONSHIPS = ("default_component_of", "installed_on", "installed_with")
_DOCUMENTS = itertools.count(1)


# --------------------------------------------------------------------------- timestamps

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))",
    re.ASCII)


def parse_rfc3339(text, what):
    """(aware UTC datetime, fraction of a second) of an RFC 3339 timestamp; ValueError naming
    ``what`` otherwise. A leap second (``:60``) counts as the last instant of its minute."""
    match = _RFC3339.fullmatch(text) if isinstance(text, str) else None
    if match is None:
        raise ValueError(f"{what}: {text!r} is not an RFC 3339 timestamp "
                         "(YYYY-MM-DDTHH:MM:SS[.frac](Z|+HH:MM))")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    frac = Decimal("0." + match.group(7)) if match.group(7) else Decimal(0)
    if second == 60:
        second, frac = 59, frac + 1
    try:
        if match.group(8):
            tz = _dt.timezone.utc
        else:
            off_h, off_m = int(match.group(10)), int(match.group(11))
            if off_h > 23 or off_m > 59:
                raise ValueError("offset out of range")
            sign = -1 if match.group(9) == "-" else 1
            tz = _dt.timezone(sign * _dt.timedelta(hours=off_h, minutes=off_m))
        stamp = _dt.datetime(year, month, day, hour, minute, second, tzinfo=tz)
        return stamp.astimezone(_dt.timezone.utc), frac
    except (ValueError, OverflowError) as exc:
        raise ValueError(f"{what}: {text!r} is not a valid RFC 3339 timestamp ({exc})") from None


# --------------------------------------------------------------------------- purls

def _same_purl(a, b):
    pa, pb = parse_purl(a), parse_purl(b)
    return pa is not None and pb is not None and pa.to_dict() == pb.to_dict()


# --------------------------------------------------------------------------- reading

def _need(value, kind, path, optional=True):
    """``value`` checked to be of ``kind`` (dict, list, str, int) or absent (None)."""
    if value is None and optional:
        return {dict: {}, list: [], str: ""}.get(kind)
    ok = isinstance(value, kind) and not (kind is int and isinstance(value, bool))
    if not ok:
        names = {dict: "an object", list: "a list", str: "a string", int: "an integer"}
        raise ValueError(f"{path} must be {names[kind]}, got {type(value).__name__}")
    return value


def _statement(fmt, source, document, vuln, aliases, products, status, justification, text,
               timestamp=None):
    return {"format": fmt, "source": source, "document": document, "vulnerability": vuln,
            "aliases": [a for a in aliases if a and a != vuln], "products": products,
            "status": status, "justification": justification or "", "statement": text or "",
            "timestamp": timestamp}


def _openvex_component(item, path):
    """(@id, identifiers values with their purl flag, hashes) of an OpenVEX component."""
    if isinstance(item, str):  # OpenVEX 0.0.1 allowed a bare IRI
        return {"id": item, "ids": [], "purls": [], "hashes": []}
    item = _need(item, dict, path, optional=False)
    idents = _need(item.get("identifiers"), dict, f"{path}.identifiers")
    hashes = _need(item.get("hashes"), dict, f"{path}.hashes")
    for key, value in itertools.chain(idents.items(), hashes.items()):
        _need(value, str, f"{path}.{key}", optional=False)
    return {"id": _need(item.get("@id"), str, f"{path}.@id"),
            "ids": list(idents.values()),
            "purls": [v for k, v in idents.items() if k == "purl"],
            "hashes": list(hashes.values())}


def _openvex(doc, source, document):
    _need(doc.get("@context"), str, "@context", optional=False)
    doc_time = doc.get("timestamp")
    doc_stamp = parse_rfc3339(doc_time, "timestamp") if doc_time is not None else None
    out = []
    for i, raw_stmt in enumerate(_need(doc.get("statements"), list, "statements", optional=False)):
        where = f"statements[{i}]"
        stmt = _need(raw_stmt, dict, where, optional=False)
        vuln = stmt.get("vulnerability")
        if isinstance(vuln, str):
            name, aliases = vuln, []
        else:
            vuln = _need(vuln, dict, f"{where}.vulnerability", optional=False)
            name = _need(vuln.get("name"), str, f"{where}.vulnerability.name")
            aliases = [_need(vuln.get("@id"), str, f"{where}.vulnerability.@id")]
            for j, alias in enumerate(_need(vuln.get("aliases"), list,
                                            f"{where}.vulnerability.aliases")):
                aliases.append(_need(alias, str, f"{where}.vulnerability.aliases[{j}]", False))
            if not name and not any(aliases):
                raise ValueError(f"{where}.vulnerability has neither name nor @id")
        status = _need(stmt.get("status"), str, f"{where}.status", optional=False)
        if status not in OPENVEX_STATUSES:
            raise ValueError(f"{where}.status {status!r} is not one of "
                             f"{', '.join(OPENVEX_STATUSES)}")
        stamp = stmt.get("timestamp")
        stamp = parse_rfc3339(stamp, f"{where}.timestamp") if stamp is not None else doc_stamp
        products = []
        for j, product in enumerate(_need(stmt.get("products"), list, f"{where}.products")):
            ppath = f"{where}.products[{j}]"
            comp = _openvex_component(product, ppath)
            subs = product.get("subcomponents") if isinstance(product, dict) else None
            comp["subcomponents"] = [
                _openvex_component(sub, f"{ppath}.subcomponents[{k}]")
                for k, sub in enumerate(_need(subs, list, f"{ppath}.subcomponents"))]
            comp["kind"] = "openvex"
            products.append(comp)
        texts = [_need(stmt.get(k), str, f"{where}.{k}")
                 for k in ("impact_statement", "status_notes", "action_statement")]
        out.append(_statement("openvex", source, document, name, aliases, products, status,
                              _need(stmt.get("justification"), str, f"{where}.justification"),
                              next((t for t in texts if t), ""), stamp))
    return out


_BOM_LINK = re.compile(r"urn:cdx:([0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-"
                       r"[0-9a-fA-F]{12})/([1-9][0-9]*)#(.+)", re.DOTALL)


def _cyclonedx(doc, source, document):
    out = {}
    for i, raw_vuln in enumerate(_need(doc.get("vulnerabilities"), list, "vulnerabilities")):
        where = f"vulnerabilities[{i}]"
        vuln = _need(raw_vuln, dict, where, optional=False)
        ident = _need(vuln.get("id"), str, f"{where}.id", optional=False)
        analysis = _need(vuln.get("analysis"), dict, f"{where}.analysis")
        state = _need(analysis.get("state"), str, f"{where}.analysis.state")
        products = []
        for j, raw_affect in enumerate(_need(vuln.get("affects"), list, f"{where}.affects")):
            affect = _need(raw_affect, dict, f"{where}.affects[{j}]", optional=False)
            ref = _need(affect.get("ref"), str, f"{where}.affects[{j}].ref", optional=False)
            link = _BOM_LINK.fullmatch(ref)
            if link:  # anything else is not a BOM-link: Trivy skips it, so do we
                products.append({"kind": "cyclonedx", "serial": "urn:uuid:" + link.group(1),
                                 "version": int(link.group(2)), "ref": link.group(3)})
        # One statement per id: a later entry with the same id replaces the earlier (Trivy).
        out[ident] = _statement("cyclonedx", source, document, ident, [], products,
                                _CDX_STATE.get(state, "unknown"),
                                _need(analysis.get("justification"), str,
                                      f"{where}.analysis.justification"),
                                _need(analysis.get("detail"), str, f"{where}.analysis.detail"))
    return list(out.values())


def _csaf_products(tree):
    """product_id -> purls from the branches, full product names and relationships."""
    purls = {}

    def add(product, path):
        if product is None:
            return
        product = _need(product, dict, path, optional=False)
        pid = _need(product.get("product_id"), str, f"{path}.product_id", optional=False)
        helper = _need(product.get("product_identification_helper"), dict,
                       f"{path}.product_identification_helper")
        purl = _need(helper.get("purl"), str, f"{path}.product_identification_helper.purl")
        if purl:
            if parse_purl(purl) is None:
                raise ValueError(f"{path}.product_identification_helper.purl {purl!r} is not "
                                 "a package URL")
            purls.setdefault(pid, []).append(purl)

    def walk(branches, path, depth=0):
        for i, raw_branch in enumerate(_need(branches, list, path)):
            branch = _need(raw_branch, dict, f"{path}[{i}]", optional=False)
            add(branch.get("product"), f"{path}[{i}].product")
            walk(branch.get("branches"), f"{path}[{i}].branches", depth + 1)

    walk(tree.get("branches"), "product_tree.branches")
    for i, product in enumerate(_need(tree.get("full_product_names"), list,
                                      "product_tree.full_product_names")):
        add(product, f"product_tree.full_product_names[{i}]")
    return purls


def _csaf(doc, source, document):
    tree = _need(doc.get("product_tree"), dict, "product_tree")
    purls = _csaf_products(tree)
    relations = {}
    rels = _need(tree.get("relationships"), list, "product_tree.relationships")
    for i, raw_rel in enumerate(rels):
        where = f"product_tree.relationships[{i}]"
        rel = _need(raw_rel, dict, where, optional=False)
        full = _need(rel.get("full_product_name"), dict, f"{where}.full_product_name")
        full_id = _need(full.get("product_id"), str, f"{where}.full_product_name.product_id")
        category = _need(rel.get("category"), str, f"{where}.category")
        parent = _need(rel.get("relates_to_product_reference"), str,
                       f"{where}.relates_to_product_reference")
        child = _need(rel.get("product_reference"), str, f"{where}.product_reference")
        helper = _need(full.get("product_identification_helper"), dict,
                       f"{where}.full_product_name.product_identification_helper")
        if helper.get("purl"):
            purls.setdefault(full_id, []).append(
                _need(helper["purl"], str, f"{where}.full_product_name."
                      "product_identification_helper.purl"))
        if full_id and category in _CSAF_RELATIONSHIPS:
            relations.setdefault(full_id, []).append((parent, child))
    out, seen = [], set()
    vulns = _need(doc.get("vulnerabilities"), list, "vulnerabilities", optional=False)
    for i, raw_vuln in enumerate(vulns):
        where = f"vulnerabilities[{i}]"
        vuln = _need(raw_vuln, dict, where, optional=False)
        ident = _need(vuln.get("cve"), str, f"{where}.cve")
        impact = ""
        for j, raw_threat in enumerate(_need(vuln.get("threats"), list, f"{where}.threats")):
            threat = _need(raw_threat, dict, f"{where}.threats[{j}]", optional=False)
            if threat.get("category") == "impact" and not impact:
                impact = _need(threat.get("details"), str, f"{where}.threats[{j}].details")
        status_map = _need(vuln.get("product_status"), dict, f"{where}.product_status")
        if not ident or ident in seen:  # Trivy uses the first entry for a CVE
            continue
        seen.add(ident)
        for key, status in _CSAF_STATUS.items():
            pids = _need(status_map.get(key), list, f"{where}.product_status.{key}")
            for j, raw_pid in enumerate(pids):
                pid = _need(raw_pid, str, f"{where}.product_status.{key}[{j}]", optional=False)
                products = [{"kind": "csaf", "id": p, "subcomponents": []}
                            for p in purls.get(pid, [])]
                for parent, child in relations.get(pid, []):
                    products.extend({"kind": "csaf_relationship", "id": p,
                                     "subcomponents": list(purls.get(child, []))}
                                    for p in purls.get(parent, []))
                out.append(_statement("csaf", source, document, ident, [], products, status,
                                      impact, impact))
    return out


def vex_format(doc):
    """``openvex``, ``cyclonedx`` or ``csaf`` for a parsed VEX document, else ValueError."""
    if not isinstance(doc, dict):
        raise ValueError(f"VEX document must be a JSON object, got {type(doc).__name__}")
    if doc.get("bomFormat") == "CycloneDX":
        return "cyclonedx"
    context = doc.get("@context")
    if isinstance(context, str) and context.startswith("https://openvex.dev/ns"):
        return "openvex"
    document = doc.get("document")
    if isinstance(document, dict) and "csaf_version" in document:
        return "csaf"
    if "statements" in doc:
        raise ValueError("unknown VEX format: 'statements' without an OpenVEX @context "
                         "(https://openvex.dev/ns...)")
    raise ValueError("unknown VEX format: expected OpenVEX ('@context': https://openvex.dev/ns"
                     "), CycloneDX ('bomFormat': 'CycloneDX') or CSAF ('document.csaf_version')")


def load_vex(doc, source=""):
    """Statements of one parsed VEX document (dicts: vulnerability, aliases, products, status,
    justification, statement, format, source, document, timestamp); ValueError naming the
    field that is malformed."""
    try:
        if not HAS_PACKAGEURL:
            parse_purl("")  # raises the error that names the missing library
        fmt = vex_format(doc)
    except ValueError as exc:
        raise ValueError(f"{source or 'VEX document'}: {exc}") from None
    reader = {"openvex": _openvex, "cyclonedx": _cyclonedx, "csaf": _csaf}[fmt]
    try:
        return reader(doc, source, next(_DOCUMENTS))
    except RecursionError:
        raise ValueError(f"{source or 'VEX document'}: {fmt} document nested too deeply") \
            from None
    except ValueError as exc:
        raise ValueError(f"{source or 'VEX document'}: malformed {fmt} document: {exc}") \
            from None


def read_vex_file(path):
    """Statements of the VEX file at ``path`` (a regular file, size-capped, strict JSON)."""
    return load_vex(load_json_file(path, "VEX file"), str(path))
