# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""VEX properties: generated documents, reports and findings; refused clearly or right."""
from __future__ import annotations

import datetime as dt

from ansible_collections.bulwark.container_security.plugins.module_utils.scan import (
    vex,
    vex_documents,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import refused_or_right

CVE = "CVE-2026-7"
NAMES = st.sampled_from(["a", "b", "c", "leaf", "lib"])
JSONISH = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=8),
                       lambda inner: st.lists(inner, max_size=3)
                       | st.dictionaries(st.text(max_size=6), inner, max_size=3), max_leaves=8)
STATUSES = st.sampled_from(list(vex_documents.OPENVEX_STATUSES))


def purl(name, version="1"):
    return f"pkg:golang/example.com/{name}" + (f"@{version}" if version else "")


def finding(name):
    return {"kind": "vulnerability", "id": CVE, "target": "go.mod", "purl": purl(name)}


def openvex(*statements):
    return {"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "2026-01-01T00:00:00Z",
            "statements": list(statements)}


FIELDS = {"vulnerability": st.one_of(st.just({"name": CVE}), JSONISH),
          "status": st.one_of(STATUSES, JSONISH),
          "products": st.one_of(st.just([{"@id": purl("leaf", None)}]), JSONISH),
          "timestamp": st.one_of(st.just("2026-02-01T00:00:00Z"), JSONISH),
          "justification": JSONISH}


@given(st.fixed_dictionaries({}, optional=FIELDS), st.sampled_from(["top", "statement"]),
       JSONISH)
def test_generated_documents_refused_or_right(statement, where, noise):
    """Refused clearly or right, never a traceback: any OpenVEX-shaped document with wrong
    types is refused with a message, or read; a read one gives a statement or None."""
    doc = openvex(statement)
    if where == "top":
        doc["timestamp"] = noise

    def call():
        index = vex.VexIndex(vex_documents.load_vex(doc, "gen.json"))
        return index.match(finding("leaf"))

    refused_or_right(call, (ValueError,), lambda stmt: stmt is None or
                     stmt["status"] in vex.SUPPRESSING)


@given(JSONISH)
def test_generated_any_json_refused_or_right(doc):
    """Refused clearly or right, never a traceback: any JSON value as a VEX document."""
    refused_or_right(lambda: vex_documents.load_vex(doc, "gen.json"), (ValueError,),
                     lambda stmts: isinstance(stmts, list))


@given(NAMES, NAMES, NAMES, st.booleans(), st.sampled_from(["not_affected", "fixed"]))
def test_statement_about_another_product_never_suppresses(pkg, product, sub, with_sub, status):
    """Never a pass that should block: a statement whose product is not the finding's package
    (nor, with a graph, above it) never hides the finding."""
    if product == pkg:
        product = pkg + "x"
    entry = {"@id": purl(product, None)}
    if with_sub:
        entry["subcomponents"] = [{"@id": purl(sub, None)}]
    index = vex.VexIndex(vex_documents.load_vex(openvex({"vulnerability": {"name": CVE},
                                                         "status": status,
                                                         "products": [entry]})))
    assert index.match(finding(pkg)) is None
    # A report where the product is not a package at all: bound, still never hidden.
    report = graph_report({pkg: []}, pkg)
    assert index.bind(report).match(finding(pkg)) is None
    assert vex.filter_trivy_report(report, index)["Results"][0]["Vulnerabilities"]


OFFSETS = st.integers(min_value=-23 * 60 - 59, max_value=23 * 60 + 59)
INSTANTS = st.datetimes(min_value=dt.datetime(1970, 1, 1), max_value=dt.datetime(2999, 12, 31),
                        timezones=st.just(dt.timezone.utc))


def rfc3339(instant, offset, lower, digits):
    local = instant.astimezone(dt.timezone(dt.timedelta(minutes=offset)))
    text = local.strftime("%Y-%m-%dT%H:%M:%S")
    if digits:
        text += "." + f"{local.microsecond:06d}"[:digits]
    if offset == 0 and lower is not None:
        text += "z" if lower else "Z"
    else:
        sign = "-" if offset < 0 else "+"
        text += f"{sign}{abs(offset) // 60:02d}:{abs(offset) % 60:02d}"
    return text.replace("T", "t") if lower else text


@given(INSTANTS, st.timedeltas(min_value=dt.timedelta(seconds=1),
                               max_value=dt.timedelta(days=400 * 365)),
       OFFSETS, OFFSETS, st.booleans(), st.booleans(), st.integers(0, 6), st.booleans())
def test_newer_affected_never_leaves_the_finding_suppressed(older, gap, off1, off2, low1, low2,
                                                            digits, affected_first):
    """Never a pass that should block: an `affected` statement newer than a `not_affected`
    one (any RFC 3339 spelling: offsets, lower-case t/z, fractions, far years) revokes it."""
    newer = older + gap
    if newer.year > 9999:
        return
    not_affected = {"vulnerability": {"name": CVE}, "status": "not_affected",
                    "justification": "component_not_present",
                    "products": [{"@id": purl("leaf", None)}],
                    "timestamp": rfc3339(older.replace(microsecond=0), off1, low1, 0)}
    affected = {"vulnerability": {"name": CVE}, "status": "affected", "action_statement": "up",
                "products": [{"@id": purl("leaf")}],
                "timestamp": rfc3339(newer.replace(microsecond=0), off2, low2, digits)}
    alone = vex.VexIndex(vex_documents.load_vex(openvex(not_affected)))
    assert alone.match(finding("leaf")) is not None
    pair = [affected, not_affected] if affected_first else [not_affected, affected]
    index = vex.VexIndex(vex_documents.load_vex(openvex(*pair)))
    assert index.match(finding("leaf")) is None


# --------------------------------------------------------------------------- graphs

GRAPHS = st.dictionaries(NAMES, st.lists(NAMES, max_size=3, unique=True), min_size=1,
                         max_size=5)


def graph_report(deps, vulnerable):
    deps = dict(deps)
    deps.setdefault(vulnerable, [])
    packages = [{"ID": f"{n}@1", "Name": n, "Version": "1",
                 "Identifier": {"UID": n, "PURL": purl(n)},
                 "DependsOn": [f"{d}@1" for d in ds]} for n, ds in deps.items()]
    return {"SchemaVersion": 2, "ArtifactType": "filesystem", "Results": [{
        "Target": "go.mod", "Class": "lang-pkgs", "Type": "gomod", "Packages": packages,
        "Vulnerabilities": [{"VulnerabilityID": CVE, "PkgName": vulnerable,
                             "InstalledVersion": "1",
                             "PkgIdentifier": {"UID": vulnerable, "PURL": purl(vulnerable)}}]}]}


def trivy_keeps(deps, leaf, covered):
    """Trivy's reachRoot, written out recursively over the abstract graph (the reference):
    True when the finding stays. ``covered``: packages a statement names with leaf below."""
    deps = dict(deps)
    deps.setdefault(leaf, [])
    parents = {n: [] for n in deps}
    for node, ds in deps.items():
        for d in ds:
            if d in parents:
                parents[d].append(node)
    parents = {n: [*ps] + (["TOP"] if not ps else []) for n, ps in parents.items()}
    parents["TOP"], parents["ROOT"] = ["ROOT"], []
    for n, ps in parents.items():
        parents[n] = list(dict.fromkeys(ps))

    def dfs(node, visited):
        if node in covered:
            return False
        if node == "ROOT":
            return True
        if not set(parents[node]) - visited - {node}:
            return True  # Trivy: `- visited` only; a self-only parent hides (see vex.py)
        visited = visited | {node}
        return any(dfs(p, visited) for p in parents[node] if p not in visited)

    return dfs(leaf, frozenset())


@given(GRAPHS, NAMES, st.lists(NAMES, max_size=3, unique=True))
def test_graph_decision_is_trivys(deps, leaf, covered):
    """Right, never a pass that should block: over any dependency graph (cycles included) the
    finding is hidden exactly when Trivy's walk from it to the artifact hides it."""
    covered = [c for c in covered if c != leaf]
    products = [{"@id": purl(c, None), "subcomponents": [{"@id": purl(leaf, None)}]}
                for c in covered]
    if not products:
        return
    index = vex.VexIndex(vex_documents.load_vex(openvex({"vulnerability": {"name": CVE},
                                                         "status": "fixed",
                                                         "products": products})))
    out = vex.filter_trivy_report(graph_report(deps, leaf), index)
    kept = bool(out["Results"][0]["Vulnerabilities"])
    assert kept == trivy_keeps(deps, leaf, set(covered))
