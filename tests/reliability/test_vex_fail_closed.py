# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""VEX, fail closed (issue 22): every row is a VEX document and a report where the VEX used to
hide a finding Trivy keeps, or a document that must be refused naming the field. In-process."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import (
    vex,
    vex_documents,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "vex"
CVE = "CVE-2026-1000"
LEAF = "pkg:deb/debian/bash@5.3"


def openvex(*statements, timestamp="2026-01-01T00:00:00Z"):
    doc = {"@context": "https://openvex.dev/ns/v0.2.0", "statements": list(statements)}
    if timestamp:
        doc["timestamp"] = timestamp
    return doc


def stmt(status, products, timestamp=None, **extra):
    out = {"vulnerability": {"name": CVE}, "status": status, "products": products, **extra}
    if timestamp:
        out["timestamp"] = timestamp
    return out


def package(uid, name, depends=(), relationship=""):
    out = {"ID": f"{name}@1", "Name": name, "Version": "1",
           "Identifier": {"UID": uid, "PURL": f"pkg:golang/example.com/{name}@1"},
           "DependsOn": [f"{d}@1" for d in depends]}
    if relationship:
        out["Relationship"] = relationship
    return out


def go_report(packages, vulnerable="leaf"):
    uid = next(p["Identifier"]["UID"] for p in packages if p["Name"] == vulnerable)
    return {"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem", "Results": [{
        "Target": "go.mod", "Class": "lang-pkgs", "Type": "gomod", "Packages": packages,
        "Vulnerabilities": [{"VulnerabilityID": CVE, "PkgName": vulnerable,
                             "InstalledVersion": "1", "Severity": "CRITICAL",
                             "PkgIdentifier": {"UID": uid, "PURL":
                                               f"pkg:golang/example.com/{vulnerable}@1"}}]}]}


def image_report(repo_digest="debian@sha256:" + "4" * 64):
    return {"SchemaVersion": 2, "ArtifactName": "debian:12", "ArtifactType": "container_image",
            "Metadata": {"RepoDigests": [repo_digest]}, "Results": [{
                "Target": "debian", "Class": "os-pkgs", "Type": "debian", "Vulnerabilities": [{
                    "VulnerabilityID": CVE, "PkgName": "bash", "InstalledVersion": "5.3",
                    "Severity": "CRITICAL", "PkgIdentifier": {"PURL": LEAF, "UID": "b"}}],
                "Packages": [{"ID": "bash@5.3", "Name": "bash", "Version": "5.3",
                              "Identifier": {"PURL": LEAF, "UID": "b"}}]}]}


def kept(report, doc, serial=None, version=None):
    index = vex.VexIndex(vex_documents.load_vex(doc, "row.json"))
    out = vex.filter_trivy_report(report, index, serial, version)
    return [v["VulnerabilityID"] for r in out["Results"] for v in r["Vulnerabilities"]]


def via(product, sub):
    return [{"@id": product, "subcomponents": [{"@id": sub}]}]


MULTI = [package("r", "root", ["a", "b"], "root"), package("a", "a", ["leaf"], "direct"),
         package("b", "b", ["leaf"], "direct"), package("l", "leaf", (), "indirect")]
CYCLE = [package("x", "x", ["leaf"]), package("l", "leaf", ["x"])]
CDX = json.loads((FIXTURES / "cyclonedx.json").read_text())

FAIL_OPEN = [
    # another product, with subcomponents: was taken to be the scanned artifact
    ("another_product_with_subcomponents", image_report(),
     openvex(stmt("not_affected", via("pkg:oci/other", "pkg:deb/debian/bash")))),
    ("product_unknown_without_repo_digests",
     dict(image_report(), Metadata={}),
     openvex(stmt("not_affected", via("pkg:oci/debian", "pkg:deb/debian/bash")))),
    # two paths from the product, the statement covers one
    ("multi_path_one_covered", go_report(MULTI),
     openvex(stmt("not_affected", via("pkg:golang/example.com/a", "pkg:golang/example.com/leaf")))),
    # CycloneDX BOM-link to another SBOM
    ("cyclonedx_other_serial", dict(image_report(), ArtifactType="cyclonedx"), None),
    # a cycle with no path to the artifact: Trivy keeps the finding
    ("cyclic_graph", go_report(CYCLE),
     openvex(stmt("not_affected", via("pkg:golang/example.com/root",
                                      "pkg:golang/example.com/leaf")))),
    # a package that depends only on itself (Trivy would hide it without any statement)
    ("self_dependency", go_report([package("l", "leaf", ["leaf"])]),
     openvex(stmt("not_affected", via("pkg:golang/example.com/root",
                                      "pkg:golang/example.com/leaf")))),
    # timestamps compared as text: an older not_affected beat a newer affected
    ("offset_plus_two_hours", image_report(), openvex(
        stmt("not_affected", [{"@id": LEAF}], "2026-03-01T10:30:00+02:00"),
        stmt("affected", [{"@id": LEAF}], "2026-03-01T09:00:00Z", action_statement="fix"))),
    ("lower_case_t", image_report(), openvex(
        stmt("not_affected", [{"@id": LEAF}], "2026-03-01t23:00:00Z"),
        stmt("affected", [{"@id": LEAF}], "2026-03-01T23:30:00Z", action_statement="fix"))),
    ("year_2999", image_report(), openvex(
        stmt("affected", [{"@id": LEAF}], "2999-01-01T00:00:00Z", action_statement="fix"),
        stmt("not_affected", [{"@id": LEAF}], "2026-12-31T23:59:59Z"))),
    ("fraction_after_whole_second", image_report(), openvex(
        stmt("not_affected", [{"@id": LEAF}], "2026-03-01T10:00:00Z"),
        stmt("affected", [{"@id": LEAF}], "2026-03-01T10:00:00.5Z", action_statement="fix"))),
    ("nanosecond_fractions", image_report(), openvex(
        stmt("not_affected", [{"@id": LEAF}], "2026-03-01T10:00:00.853479631-06:00"),
        stmt("affected", [{"@id": LEAF}], "2026-03-01T10:00:00.853479632-06:00",
             action_statement="fix"))),
    ("equal_times_affected_wins", image_report(), openvex(
        stmt("not_affected", [{"@id": LEAF}]), stmt("affected", [{"@id": LEAF}]))),
]


@pytest.mark.parametrize(("report", "doc"), [r[1:] for r in FAIL_OPEN],
                         ids=[r[0] for r in FAIL_OPEN])
def test_fail_open_row_vex_keeps_the_finding(report, doc):
    if doc is None:  # CycloneDX: Trivy's document, the scanned SBOM has another serial
        report["Results"][0]["Vulnerabilities"][0].update(
            VulnerabilityID="CVE-2021-44228",
            PkgIdentifier={"PURL": "pkg:maven/org.springframework.boot/spring-boot@2.6.0"})
        report["Results"][0]["Packages"][0]["Identifier"] = \
            report["Results"][0]["Vulnerabilities"][0]["PkgIdentifier"]
        assert kept(report, CDX, "urn:uuid:00000000-0000-0000-0000-000000000000", 1) == \
            ["CVE-2021-44228"]
        assert kept(report, CDX) == ["CVE-2021-44228"]
        # the control: the SBOM the BOM-links name
        assert kept(report, CDX, "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79", 1) == []
        return
    assert kept(report, doc) == [CVE]


REFUSED = [
    ("statements_not_a_list", openvex(), {"statements": {}}, "statements must be a list"),
    ("statement_not_an_object", openvex(), {"statements": ["x"]},
     "statements[0] must be an object"),
    ("status_missing", openvex({"vulnerability": {"name": CVE}}), {},
     "statements[0].status must be a string"),
    ("status_unknown", openvex(stmt("maybe", [])), {}, "statements[0].status 'maybe'"),
    ("product_id_number", openvex(stmt("fixed", [{"@id": 7}])), {},
     "statements[0].products[0].@id must be a string"),
    ("subcomponents_object", openvex(stmt("fixed", [{"@id": LEAF, "subcomponents": {}}])), {},
     "statements[0].products[0].subcomponents must be a list"),
    ("timestamp_unparseable", openvex(stmt("fixed", [], "yesterday")), {},
     "statements[0].timestamp: 'yesterday' is not an RFC 3339 timestamp"),
    ("timestamp_february_30", openvex(stmt("fixed", [], "2026-02-30T00:00:00Z")), {},
     "statements[0].timestamp: '2026-02-30T00:00:00Z' is not a valid RFC 3339"),
    ("timestamp_trailing_newline", openvex(stmt("fixed", [], "2026-02-01T00:00:00Z\n")), {},
     "statements[0].timestamp"),
    ("document_timestamp_no_zone", openvex(timestamp="2026-02-01T00:00:00"), {},
     "timestamp: '2026-02-01T00:00:00' is not an RFC 3339"),
    ("statements_without_context", {"statements": []}, {},
     "'statements' without an OpenVEX @context"),
    ("spdx_document", {"spdxVersion": "SPDX-2.3"}, {}, "unknown VEX format"),
    ("cyclonedx_affects_ref_number", CDX,
     {"vulnerabilities": [{"id": CVE, "affects": [{"ref": 1}]}]},
     "vulnerabilities[0].affects[0].ref must be a string"),
    ("cyclonedx_state_list", CDX, {"vulnerabilities": [{"id": CVE, "analysis": {"state": []}}]},
     "vulnerabilities[0].analysis.state must be a string"),
    ("csaf_status_string", json.loads((FIXTURES / "csaf.json").read_text()),
     {"vulnerabilities": [{"cve": CVE, "product_status": {"fixed": "p1"}}]},
     "vulnerabilities[0].product_status.fixed must be a list"),
    ("csaf_bad_purl", json.loads((FIXTURES / "csaf.json").read_text()),
     {"product_tree": {"full_product_names": [{"product_id": "p", "product_identification_helper":
                                               {"purl": "not a purl"}}]}},
     "full_product_names[0].product_identification_helper.purl 'not a purl'"),
]


@pytest.mark.parametrize(("doc", "patch", "message"), [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
def test_fail_open_row_vex_malformed_refused(doc, patch, message):
    doc = dict(doc, **patch)
    with pytest.raises(ValueError) as err:
        vex_documents.load_vex(doc, "row.json")
    assert message in str(err.value)
    if "format" not in message and "@context" not in message:
        assert str(err.value).startswith("row.json: malformed ")


READ = [
    ("not_json", b"{not json", "is not valid JSON"),
    ("nan", b'{"@context": "https://openvex.dev/ns", "statements": [], "x": NaN}',
     "is not valid JSON"),
    ("a_list", b"[]", "VEX document must be a JSON object"),
]


@pytest.mark.parametrize(("data", "message"), [r[1:] for r in READ], ids=[r[0] for r in READ])
def test_fail_open_row_vex_file_refused(tmp_path, data, message):
    path = tmp_path / "doc.json"
    path.write_bytes(data)
    with pytest.raises(ValueError) as err:
        vex_documents.read_vex_file(path)
    assert message in str(err.value)


def test_fail_open_row_vex_file_not_regular(tmp_path):
    with pytest.raises(InputError, match="VEX file"):
        vex_documents.read_vex_file(tmp_path)


def test_fail_open_row_vex_report_graph_malformed():
    report = go_report(MULTI)
    report["Results"][0]["Packages"][1]["DependsOn"] = "leaf@1"
    statements = vex_documents.load_vex(openvex(stmt("fixed", [{"@id": LEAF}])), "row.json")
    index = vex.VexIndex(statements)
    with pytest.raises(ValueError, match=r"Results\[0\]\.Packages\[1\]\.DependsOn must be a list"):
        vex.filter_trivy_report(report, index)
