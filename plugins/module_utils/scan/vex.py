# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX) that suppress findings, as ``trivy --vex``.

The rules are Trivy's ``pkg/vex`` (reimplemented, not copied):

* **Reachability.** A vulnerable package is hidden only when every dependency path from it up
  to the scanned artifact passes a component that a statement declares ``not_affected`` or
  ``fixed`` (with the package as that component's subcomponent), or when a statement names the
  package itself. The graph is Trivy's SBOM graph of the report: artifact (``pkg:oci/...`` for
  an image with ``Metadata.RepoDigests``) -> OS or application component -> packages without a
  parent (``Packages[].DependsOn``) -> their dependencies. A cycle ends a path that is not
  suppressed there (Trivy's fail-safe: the finding is kept; so is a package that only
  depends on itself, which Trivy would hide without any statement). Without the graph (no
  ``Packages`` in the report, or :meth:`VexIndex.match` on an unbound index) only statements
  about the package itself apply: a statement about another product is never taken on trust.
* **Purls** are parsed with ``packageurl``: type, namespace and name equal; a version (and for
  CSAF a subpath) in the statement must be equal; the statement's qualifiers must all be in
  the package's.
* **OpenVEX**: the latest matching statement of a document decides; timestamps are RFC 3339
  parsed to aware datetimes (a statement without one takes the document's). Equal times: a
  non-suppressing statement wins (fail closed).
* **CycloneDX VEX** applies only to a CycloneDX SBOM scan: each ``affects`` ref must be a
  BOM-link (``urn:cdx:<serial>/<version>#<ref>``) to that SBOM's serial number and version,
  which a Trivy JSON report does not carry: pass them to :meth:`VexIndex.bind`.
* **CSAF**: the first vulnerability whose ``cve`` is the finding's id; products from
  ``product_identification_helper.purl`` (branches, full product names, relationships) in
  ``known_not_affected`` or ``fixed``; relationships (``default_component_of``,
  ``installed_on``, ``installed_with``) name a product with its subcomponent.
* Several documents: a finding is hidden when any document hides it (Trivy's client).

Anything that is not one of these documents, or has a field of the wrong type, is refused with
a ValueError naming the field (``statements[2].products[0].@id``).
"""
from __future__ import annotations

import copy
import datetime as _dt
import itertools
import re
from decimal import Decimal

from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    load_json_file,
)

try:
    from packageurl import PackageURL
    HAS_PACKAGEURL = True
except ImportError:  # requirements.txt installs it; without it VEX is refused, never ignored
    PackageURL = None
    HAS_PACKAGEURL = False

SUPPRESSING = ("not_affected", "fixed")
VEX_FORMATS = ("openvex", "cyclonedx", "csaf")
OPENVEX_STATUSES = ("not_affected", "affected", "fixed", "under_investigation")
_CDX_STATE = {"not_affected": "not_affected", "false_positive": "not_affected",
              "resolved": "fixed", "resolved_with_pedigree": "fixed",
              "exploitable": "affected", "in_triage": "under_investigation"}
_CSAF_STATUS = {"known_not_affected": "not_affected", "fixed": "fixed",
                "known_affected": "affected", "under_investigation": "under_investigation"}
_CSAF_RELATIONSHIPS = ("default_component_of", "installed_on", "installed_with")
# Trivy's AggregatingTypes: their packages hang directly under the artifact.
_AGGREGATING = ("python-pkg", "conda-pkg", "gemspec", "node-pkg", "jar")
MAX_PATH_STEPS = 200_000  # DFS steps per finding; beyond it the finding is kept (fail closed)
_DOCUMENTS = itertools.count(1)


# --------------------------------------------------------------------------- timestamps

_RFC3339 = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(?:\.(\d+))?(?:([Zz])|([+-])(\d{2}):(\d{2}))")


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

_PURL_CACHE = {}


def parse_purl(text):
    """A PackageURL for ``text``, or None when it is not one (cached)."""
    if not HAS_PACKAGEURL:
        raise ValueError("VEX needs the packageurl-python library on the host running the gate "
                         "(the collection's requirements.txt installs it)")
    if not isinstance(text, str):
        return None
    if text not in _PURL_CACHE:
        if len(_PURL_CACHE) > 100_000:
            _PURL_CACHE.clear()
        try:
            _PURL_CACHE[text] = PackageURL.from_string(text) if text.startswith("pkg:") else None
        except ValueError:
            _PURL_CACHE[text] = None
    return _PURL_CACHE[text]


def purl_matches(pattern, purl, subpath=False):
    """The statement's purl ``pattern`` covers the package ``purl`` (strings or PackageURLs):
    type, namespace and name equal; the pattern's version (and with ``subpath`` its subpath),
    when given, equal; every qualifier of the pattern present with the same value."""
    pat = pattern if isinstance(pattern, PackageURL) else parse_purl(pattern)
    tgt = purl if isinstance(purl, PackageURL) else parse_purl(purl)
    if pat is None or tgt is None:
        return False
    if (pat.type, pat.namespace or "", pat.name) != (tgt.type, tgt.namespace or "", tgt.name):
        return False
    if pat.version and pat.version != tgt.version:
        return False
    if subpath and pat.subpath and pat.subpath != tgt.subpath:
        return False
    quals = tgt.qualifiers or {}
    return all(quals.get(k) == v for k, v in (pat.qualifiers or {}).items())


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
    if not HAS_PACKAGEURL:
        parse_purl("")  # raises the error that names the missing library
    fmt = vex_format(doc)
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


# --------------------------------------------------------------------------- the graph

def _oci_purl(report):
    """Trivy's purl of a scanned image: ``pkg:oci/<name>@<digest>?repository_url=..&arch=..``
    from ``Metadata.RepoDigests[0]``; None without one (the artifact has no purl then)."""
    meta = report.get("Metadata")
    if report.get("ArtifactType") != "container_image" or not isinstance(meta, dict):
        return None
    digests = meta.get("RepoDigests")
    if not isinstance(digests, list) or not digests or not isinstance(digests[0], str):
        return None
    repo, sep, digest = digests[0].partition("@")
    if not sep or not repo or ":" not in digest:
        return None
    first, slash, rest = repo.partition("/")
    if not slash or ("." not in first and ":" not in first and first != "localhost"):
        first, rest = "index.docker.io", repo  # Docker Hub, as go-containerregistry names it
    if first in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        first = "index.docker.io"
        if "/" not in rest:
            rest = f"library/{rest}"
    quals = {"repository_url": f"{first}/{rest}"}
    config = meta.get("ImageConfig")
    arch = config.get("architecture") if isinstance(config, dict) else None
    if isinstance(arch, str) and arch:
        quals["arch"] = arch
    return PackageURL(type="oci", name=rest.rsplit("/", 1)[-1].lower(), version=digest,
                      qualifiers=quals).to_string()


class DependencyGraph:
    """Trivy's component graph of one JSON report (see the module docstring).

    Nodes are ints; ``purl[n]``/``bom_ref[n]`` identify them, ``parents[n]`` lists parents,
    node 0 is the artifact. ``package(result_index, uid)`` finds a package's node."""

    def __init__(self, report):
        if not isinstance(report, dict):
            raise ValueError(f"report must be a JSON object, got {type(report).__name__}")
        self.purl, self.bom_ref, self.parents = [_oci_purl(report)], [""], [[]]
        self.by_uid, self.by_target = {}, {}
        results = _need(report.get("Results"), list, "Results")
        for i, result in enumerate(results):
            if isinstance(result, dict) and result.get("Packages") is not None:
                self._add_result(i, result, f"Results[{i}]")

    def _node(self, purl="", bom_ref="", parents=()):
        self.purl.append(purl or None)
        self.bom_ref.append(bom_ref or "")
        self.parents.append(list(parents))
        return len(self.purl) - 1

    def _add_result(self, index, result, where):
        packages = _need(result.get("Packages"), list, f"{where}.Packages")
        rtype = result.get("Type") or ""
        if rtype in _AGGREGATING:
            top = 0
        elif result.get("Class") in ("os-pkgs", "lang-pkgs"):
            top = self._node(parents=[0])
        else:
            return
        nodes, by_id, has_root, uids = [], {}, False, {}
        for j, raw_pkg in enumerate(packages):
            path = f"{where}.Packages[{j}]"
            pkg = _need(raw_pkg, dict, path, optional=False)
            ident = _need(pkg.get("Identifier"), dict, f"{path}.Identifier")
            purl = _need(ident.get("PURL"), str, f"{path}.Identifier.PURL")
            name = _need(pkg.get("Name"), str, f"{path}.Name")
            version = _need(pkg.get("Version"), str, f"{path}.Version")
            pkg_id = _need(pkg.get("ID"), str, f"{path}.ID") or f"{name}@{version}"
            depends = _need(pkg.get("DependsOn"), list, f"{path}.DependsOn")
            for k, dep in enumerate(depends):
                _need(dep, str, f"{path}.DependsOn[{k}]", optional=False)
            relationship = _need(pkg.get("Relationship"), str, f"{path}.Relationship")
            has_root = has_root or relationship == "root"
            node = self._node(purl, _need(ident.get("BOMRef"), str, f"{path}.Identifier.BOMRef"))
            nodes.append((node, pkg_id, depends, relationship))
            by_id[pkg_id] = node
            uid = _need(ident.get("UID"), str, f"{path}.Identifier.UID")
            if uid:
                uids[uid] = node
            if purl:
                self.by_target.setdefault((result.get("Target") or "", purl), []).append(node)
        has_parent = set()
        for node, _pkg_id, depends, _rel in nodes:
            for dep in depends:
                if dep in by_id:
                    self.parents[by_id[dep]].append(node)
                    has_parent.add(by_id[dep])
        for node, _pkg_id, _depends, relationship in nodes:
            if (not has_root) if relationship == "direct" else node not in has_parent:
                self.parents[node].append(top)
        self.by_uid[index] = uids

    def package(self, result_index, uid):
        return self.by_uid.get(result_index, {}).get(uid) if uid else None


# --------------------------------------------------------------------------- matching

def _component_matches(comp, purl):
    """go-vex's Component.Matches: @id equal or (a purl) covering; identifiers; hashes."""
    if not purl:
        return False
    if comp["id"] and (comp["id"] == purl or
                       (comp["id"].startswith("pkg:") and purl_matches(comp["id"], purl))):
        return True
    if purl in comp["ids"] or purl in comp["hashes"]:
        return True
    return any(purl_matches(p, purl) for p in comp["purls"])


def _product_matches(product, purl, sub_purl, bom=None, bom_ref=""):
    """Does ``product`` (of a statement) name the component ``purl`` with ``sub_purl`` below
    it (None: the component itself is the vulnerable one)?"""
    kind = product["kind"]
    if kind == "openvex":
        if not _component_matches(product, purl):
            return False
        return sub_purl is None or not product["subcomponents"] or \
            any(_component_matches(s, sub_purl) for s in product["subcomponents"])
    if kind == "csaf":
        return bool(purl) and purl_matches(product["id"], purl, subpath=True)
    if kind == "csaf_relationship":
        return bool(purl) and sub_purl is not None and \
            purl_matches(product["id"], purl, subpath=True) and \
            any(purl_matches(s, sub_purl, subpath=True) for s in product["subcomponents"])
    # cyclonedx: the BOM-link must point into the scanned SBOM
    if bom is None or (product["serial"], product["version"]) != bom:
        return False
    ref = product["ref"]
    return (bool(bom_ref) and ref == bom_ref) or (bool(purl) and _same_purl(ref, purl))


def _time_key(stmt):
    stamp = stmt["timestamp"]
    return (0,) if stamp is None else (1, stamp)


class VexIndex:
    """Statements indexed by vulnerability id.

    ``match(finding)`` gives the suppressing statement or None. Unbound, only statements about
    the vulnerable package itself apply; :meth:`bind` gives an index that knows the report's
    dependency graph (and, for CycloneDX VEX, the scanned SBOM)."""

    def __init__(self, statements, graph=None, bom=None):
        self.statements = list(statements)
        self.graph, self.bom = graph, bom
        self._by_id = {}
        for stmt in self.statements:
            for ident in {stmt["vulnerability"], *stmt["aliases"]}:
                if ident:
                    self._by_id.setdefault(ident, []).append(stmt)

    def __bool__(self):
        return bool(self.statements)

    def bind(self, report, sbom_serial=None, sbom_version=None):
        """This index over ``report``'s dependency graph (ValueError when the report is
        malformed). ``sbom_serial``/``sbom_version``: the CycloneDX SBOM that was scanned
        (``serialNumber``, ``version``); CycloneDX VEX applies only with them."""
        bom = None
        if sbom_serial is not None:
            if not isinstance(sbom_serial, str) or not isinstance(sbom_version, int):
                raise ValueError("sbom_serial must be a string and sbom_version an integer")
            bom = (sbom_serial, sbom_version)
        if any(s["format"] == "cyclonedx" for s in self.statements) and \
                isinstance(report, dict) and report.get("ArtifactType") != "cyclonedx":
            raise ValueError("CycloneDX VEX can be used only with a CycloneDX SBOM scan "
                             f"(report ArtifactType is {report.get('ArtifactType')!r})")
        index = VexIndex([], DependencyGraph(report), bom)
        index.statements, index._by_id = self.statements, self._by_id
        return index

    def _candidates(self, ident):
        return self._by_id.get(ident, ()) if ident else ()

    def _at(self, candidates, purl, sub_purl, bom_ref=""):
        """The statement hiding the finding at component ``purl`` (with the vulnerable
        ``sub_purl`` below it, None when it is the component), or None."""
        decided = {}
        for stmt in candidates:
            if not any(_product_matches(p, purl, sub_purl, self.bom, bom_ref)
                       for p in stmt["products"]):
                continue
            doc = stmt["document"]
            if stmt["format"] == "openvex":
                best = decided.get(doc)
                # the latest decides; at equal times a non-suppressing statement wins
                if best is None or _time_key(stmt) > _time_key(best) or (
                        _time_key(stmt) == _time_key(best) and stmt["status"] not in SUPPRESSING):
                    decided[doc] = stmt
            elif stmt["status"] in SUPPRESSING:
                decided.setdefault(doc, stmt)
        return next((s for s in decided.values() if s["status"] in SUPPRESSING), None)

    def _decide_node(self, candidates, leaf):
        """Trivy's walk from the vulnerable package to the artifact: the statement that hides
        it on every path, or None when one path reaches the artifact (or a dead end)."""
        graph = self.graph
        leaf_purl = graph.purl[leaf]
        if not leaf_purl:
            return None
        hit = self._at(candidates, leaf_purl, None, graph.bom_ref[leaf])
        if hit is not None:
            return hit
        memo, found = {}, None

        def hides(node):
            if node not in memo:
                memo[node] = self._at(candidates, graph.purl[node], leaf_purl,
                                      graph.bom_ref[node]) if graph.purl[node] or \
                    graph.bom_ref[node] else None
            return memo[node]

        stack, steps = [(leaf, frozenset())], 0
        while stack:
            node, visited = stack.pop()
            steps += 1
            if steps > MAX_PATH_STEPS:
                return None
            stmt = hides(node)
            if stmt is not None:
                found = found or stmt
                continue
            parents = graph.parents[node]
            # Reaches the artifact, or a dead end: Trivy keeps the finding. A package that
            # depends on itself only is a dead end too (Trivy would hide it without a
            # statement: its walk has no branch left there).
            if node == 0 or not set(parents) - visited - {node}:
                return None
            visited = visited | {node}
            stack.extend((p, visited) for p in parents if p not in visited)
        return found

    def decide(self, ident, aliases=(), purl=None, node=None):
        """The statement hiding vulnerability ``ident`` at package ``purl`` (or graph ``node``
        of a bound index), or None. ``aliases`` is accepted for compatibility and not used:
        Trivy matches statements on the finding's own id only."""
        del aliases
        candidates = self._candidates(ident)
        if not candidates:
            return None
        if node is not None and self.graph is not None:
            return self._decide_node(candidates, node)
        if not purl:
            return None
        return self._at(candidates, purl, None)

    def match(self, finding):
        """The statement suppressing a normalised finding, or None."""
        if not isinstance(finding, dict) or \
                finding.get("kind", "vulnerability") != "vulnerability":
            return None
        purl = finding.get("purl")
        if not isinstance(purl, str) or not purl:
            return None
        ident = finding.get("id")
        nodes = []
        if self.graph is not None:
            nodes = self.graph.by_target.get((finding.get("target") or "", purl), [])
        if not nodes:
            return self.decide(ident, (), purl)
        # Several packages with this purl in the target: hidden only when all of them are.
        decided = [self.decide(ident, (), purl, node) for node in nodes]
        return decided[0] if all(s is not None for s in decided) else None


def vex_reason(stmt):
    """Why a finding is hidden, for the gate's ``ignored`` list."""
    why = stmt["justification"] or stmt["statement"]
    text = f"VEX {stmt['status']} ({stmt['format']}"
    text += f" {stmt['source']})" if stmt["source"] else ")"
    return f"{text}: {why}" if why else text


def filter_trivy_report(report, index, sbom_serial=None, sbom_version=None):
    """A copy of a Trivy report without the vulnerabilities VEX suppresses (``trivy --vex``),
    decided over the report's own dependency graph."""
    bound = index.bind(report, sbom_serial, sbom_version) if index.graph is None else index
    out = copy.deepcopy(report)
    for i, result in enumerate(out.get("Results") or ()):
        vulns = result.get("Vulnerabilities") if isinstance(result, dict) else None
        if not vulns:
            continue
        kept = []
        for j, raw_vuln in enumerate(_need(vulns, list, f"Results[{i}].Vulnerabilities")):
            vuln = _need(raw_vuln, dict, f"Results[{i}].Vulnerabilities[{j}]", optional=False)
            ident = _need(vuln.get("PkgIdentifier"), dict,
                          f"Results[{i}].Vulnerabilities[{j}].PkgIdentifier")
            node = bound.graph.package(i, ident.get("UID"))
            stmt = bound.decide(vuln.get("VulnerabilityID"), (), ident.get("PURL"), node)
            if stmt is None:
                kept.append(vuln)
        result["Vulnerabilities"] = kept
    return out
