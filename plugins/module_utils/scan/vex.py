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

Documents are read into statements by vex_documents.py (load_vex, read_vex_file); this file
holds the report's dependency graph and the matching of statements to findings.
"""
from __future__ import annotations

import copy

from ansible_collections.bulwark.container_security.plugins.module_utils.scan.vex_documents import (
    PackageURL,
    _need,
    _same_purl,
    purl_matches,
)

SUPPRESSING = ("not_affected", "fixed")
# Trivy's AggregatingTypes: their packages hang directly under the artifact.
_AGGREGATING = ("python-pkg", "conda-pkg", "gemspec", "node-pkg", "jar")
MAX_PATH_STEPS = 200_000  # DFS steps per finding; beyond it the finding is kept (fail closed)


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
