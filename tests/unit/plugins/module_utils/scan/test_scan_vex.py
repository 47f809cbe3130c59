# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""VEX documents from Trivy's test data: the gomod pair must come out exactly as trivy --vex."""
from __future__ import annotations

import json

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import (
    vex,
    vex_documents,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
    read_vex,
)
from build_gate_support import TODAY, load


def keyset(report):
    return {(r["Target"], v["VulnerabilityID"], v["PkgName"], v["InstalledVersion"])
            for r in report["Results"] for v in r.get("Vulnerabilities") or []}


def index(shared_fixtures, name):
    return vex.VexIndex(vex_documents.load_vex(load(shared_fixtures, f"trivy/vex/{name}"), name))


def with_packages(report):
    """gomod.json as ``trivy --list-all-pkgs`` writes it: go.mod's packages under the root
    module github.com/testdata/testdata (the graph Trivy decided on when it wrote
    gomod-vex.json)."""
    report = json.loads(json.dumps(report))
    for result in report["Results"]:
        pkgs = {v["PkgID"]: {"ID": v["PkgID"], "Name": v["PkgName"],
                             "Version": v["InstalledVersion"], "Relationship": "direct",
                             "Identifier": v["PkgIdentifier"]}
                for v in result["Vulnerabilities"]}
        root = {"ID": "github.com/testdata/testdata", "Name": "github.com/testdata/testdata",
                "Relationship": "root", "DependsOn": sorted(pkgs),
                "Identifier": {"PURL": "pkg:golang/github.com/testdata/testdata"}}
        result["Packages"] = [root, *pkgs.values()]
    return report


def without_packages(report):
    return dict(report, Results=[{k: v for k, v in r.items() if k != "Packages"}
                                 for r in report["Results"]])


def test_openvex_reproduces_trivys_filtered_report(shared_fixtures):
    full = with_packages(load(shared_fixtures, "trivy/gomod.json"))
    expected = load(shared_fixtures, "trivy/vex/gomod-vex.json")
    filtered = vex.filter_trivy_report(full, index(shared_fixtures, "openvex.json"))
    assert keyset(filtered) == keyset(expected)
    assert without_packages(filtered)["Results"] == expected["Results"]
    assert keyset(full) - keyset(filtered) == {
        ("go.mod", "CVE-2022-23628", "github.com/open-policy-agent/opa", "v0.35.0")}


def test_openvex_about_the_root_module_needs_the_graph(shared_fixtures):
    """Stricter than before: without Packages the report does not show that the product
    (github.com/testdata/testdata) is above opa on every path, so nothing is hidden."""
    full = load(shared_fixtures, "trivy/gomod.json")
    filtered = vex.filter_trivy_report(full, index(shared_fixtures, "openvex.json"))
    assert keyset(filtered) == keyset(full)


def test_gate_lists_vex_suppressed_findings_with_justification(shared_fixtures):
    report = with_packages(load(shared_fixtures, "trivy/gomod.json"))
    idx = read_vex([shared_fixtures / "trivy/vex/openvex.json"]).bind(report)
    result = gate_report(report, severity="UNKNOWN", today=TODAY, vex=idx)
    gated = {(f["target"], f["id"], f["package"], f["installed"]) for f in result["blocking"]}
    assert gated == keyset(load(shared_fixtures, "trivy/vex/gomod-vex.json"))
    assert result["vex_suppressed"] == 1 and result["total"] == 5
    (hidden,) = result["ignored"]
    assert hidden["id"] == "CVE-2022-23628"
    assert hidden["reason"].startswith("VEX not_affected (openvex ")
    assert hidden["reason"].endswith(": vulnerable_code_not_in_execute_path")
    assert hidden["vex"]["statement"] == "The vulnerable code isn't called"
    # Unbound (no graph), the statement about another product is not taken on trust.
    plain = gate_report(load(shared_fixtures, "trivy/gomod.json"), severity="UNKNOWN",
                        today=TODAY, vex=read_vex([shared_fixtures / "trivy/vex/openvex.json"]))
    assert plain["vex_suppressed"] == 0 and plain["total"] == 5


def report_with(purl, vuln_id, severity="CRITICAL"):
    name = purl.split("/")[-1].split("@")[0]
    vuln = {"VulnerabilityID": vuln_id, "PkgName": name, "InstalledVersion": "1",
            "Severity": severity, "PkgIdentifier": {"PURL": purl}}
    return {"SchemaVersion": 2, "ArtifactName": "app", "ArtifactType": "container_image",
            "Results": [{"Target": "app", "Class": "lang-pkgs", "Type": "jar",
                         "Vulnerabilities": [vuln]}]}


SBOM_SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"


@pytest.mark.parametrize("doc,purl,vuln_id,justification", [
    ("cyclonedx-vex.json", "pkg:maven/org.springframework.boot/spring-boot@2.6.0",
     "CVE-2021-44228", "code_not_reachable"),
    ("cyclonedx-vex.json",
     "pkg:deb/ubuntu/libstdc%2B%2B6@12.3.0-1ubuntu1~22.04?arch=amd64&distro=ubuntu-22.04",
     "CVE-2022-27943", ""),
    ("csaf-vex.json", "pkg:golang/github.com/aquasecurity/go-transitive@v4.0.0",
     "CVE-2024-0001", "vulnerable_code_not_in_execute_path"),
])
def test_cyclonedx_and_csaf_apply_to_their_products(shared_fixtures, doc, purl, vuln_id,
                                                    justification):
    idx = index(shared_fixtures, doc)

    def gated(purl, vuln_id):
        report = report_with(purl, vuln_id)
        if doc.startswith("cyclonedx"):
            # Stricter than before: CycloneDX VEX applies to a scan of the SBOM its BOM-links
            # name (serial number and version), as in Trivy; on an image report it is refused.
            with pytest.raises(ValueError, match="CycloneDX VEX can be used only with"):
                gate_report(report, vex=idx, today=TODAY)
            report["ArtifactType"] = "cyclonedx"
            return gate_report(report, vex=idx.bind(report, SBOM_SERIAL, 1), today=TODAY)
        return gate_report(report, vex=idx, today=TODAY)

    result = gated(purl, vuln_id)
    assert result["passed"] is True and result["vex_suppressed"] == 1
    assert result["ignored"][0]["vex"]["justification"] == justification
    doc_format = vex_documents.vex_format(load(shared_fixtures, f"trivy/vex/{doc}"))
    assert result["ignored"][0]["vex"]["format"] == doc_format
    # Another version, another package or another vulnerability is not covered.
    other_version = purl.replace("@", "@9", 1)
    assert gated(other_version, vuln_id)["passed"] is False
    assert gated(purl, "CVE-2000-0001")["passed"] is False


def openvex_doc(*statements):
    return {"@context": "https://openvex.dev/ns/v0.2.0", "timestamp": "2026-01-01T00:00:00Z",
            "statements": list(statements)}


def test_latest_openvex_statement_decides_and_versionless_purl_covers_all():
    purl = "pkg:npm/%40scope/lib@1.2.3"
    older = {"vulnerability": {"name": "CVE-2026-1"}, "status": "not_affected",
             "justification": "inline_mitigations_already_exist",
             "timestamp": "2026-01-02T00:00:00Z", "products": [{"@id": "pkg:npm/%40scope/lib"}]}
    newer = dict(older, status="affected", timestamp="2026-02-01T00:00:00Z",
                 action_statement="upgrade")
    suppressed = vex.VexIndex(vex_documents.load_vex(openvex_doc(older)))
    assert gate_report(report_with(purl, "CVE-2026-1"), vex=suppressed)["passed"] is True
    # Listed first but newer: the affected statement revokes the not_affected one.
    revoked = vex.VexIndex(vex_documents.load_vex(openvex_doc(newer, older)))
    assert gate_report(report_with(purl, "CVE-2026-1"), vex=revoked)["passed"] is False


def image_with(purl, vuln_id):
    """report_with as a scan of image app@sha256:... with its packages listed."""
    report = report_with(purl, vuln_id)
    report.update(ArtifactType="container_image", Metadata={
        "RepoDigests": ["registry.example/team/app@sha256:" + "ab" * 32]})
    name = purl.split("/")[-1].split("@")[0]
    report["Results"][0]["Packages"] = [{"ID": f"{name}@1", "Name": name, "Version": "1",
                                         "Identifier": {"PURL": purl}}]
    return report


def test_openvex_alias_and_subcomponent_of_artifact():
    stmt = {"vulnerability": {"name": "GHSA-aaaa-bbbb-cccc", "aliases": ["CVE-2026-2"]},
            "status": "fixed", "products": [{"@id": "pkg:oci/app",
                                            "subcomponents": [{"@id": "pkg:pypi/requests"}]}]}
    idx = vex.VexIndex(vex_documents.load_vex(openvex_doc(stmt)))
    report = image_with("pkg:pypi/requests@2.0", "CVE-2026-2")
    assert gate_report(report, vex=idx.bind(report))["passed"]
    other = image_with("pkg:pypi/urllib3@2.0", "CVE-2026-2")
    assert not gate_report(other, vex=idx.bind(other))["passed"]
    # Stricter than before: a report that does not show the artifact is pkg:oci/app (no
    # RepoDigests) does not take the statement on trust. The gate binds an unbound index to the
    # report's own graph, as `trivy --vex` does.
    assert not gate_report(report_with("pkg:pypi/requests@2.0", "CVE-2026-2"), vex=idx)["passed"]
    assert gate_report(report, vex=idx)["passed"]
    assert not gate_report(other, vex=idx)["passed"]


def test_unknown_and_unreadable_documents_are_named(tmp_path):
    with pytest.raises(ValueError, match="unknown VEX format"):
        vex_documents.load_vex({"hello": "world"})
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match=f"vex: cannot read {bad} as JSON"):
        read_vex([bad])
    spdx = tmp_path / "spdx.json"
    spdx.write_text(json.dumps({"spdxVersion": "SPDX-2.3"}))
    with pytest.raises(ValueError, match=f"vex: {spdx}: unknown VEX format"):
        read_vex([spdx])


@pytest.mark.parametrize("text,same_as", [
    ("2026-03-01T10:30:00+02:00", "2026-03-01T08:30:00Z"),
    ("2026-03-01t08:30:00z", "2026-03-01T08:30:00Z"),
    ("2026-03-01T08:30:00.000Z", "2026-03-01T08:30:00Z"),
    ("2026-03-01T03:30:00-05:00", "2026-03-01T08:30:00Z"),
    ("2026-03-01T00:30:00-08:00", "2026-03-01T08:30:00+00:00"),
])
def test_rfc3339_instants(text, same_as):
    assert vex_documents.parse_rfc3339(text, "t") == vex_documents.parse_rfc3339(same_as, "t")


def test_rfc3339_leap_second_and_far_years_order():
    leap = vex_documents.parse_rfc3339("2016-12-31T23:59:60Z", "t")
    assert vex_documents.parse_rfc3339("2016-12-31T23:59:59.999Z", "t") < leap < \
        vex_documents.parse_rfc3339("2017-01-01T00:00:00Z", "t")
    assert vex_documents.parse_rfc3339("2999-01-01T00:00:00Z", "t") > \
        vex_documents.parse_rfc3339("2998-12-31T23:59:59+00:00", "t")


@pytest.mark.parametrize("text", ["2026-03-01", "2026-03-01T08:30:00", "2026-03-01 08:30:00Z",
                                  "2026-03-01T08:30:00+2:00", "2026-13-01T00:00:00Z",
                                  "2026-03-01T08:30:00+24:00", "", "2026-03-01T08:30:00Z "])
def test_rfc3339_refused_naming_the_field(text):
    with pytest.raises(ValueError, match=r"statements\[3\]\.timestamp: "):
        vex_documents.parse_rfc3339(text, "statements[3].timestamp")


@pytest.mark.parametrize("pattern,purl,matches", [
    ("pkg:golang/x/y", "pkg:golang/x/y@v1", True),
    ("pkg:golang/x/y@v1", "pkg:golang/x/y@v2", False),
    ("pkg:golang/x/y@v1", "pkg:golang/x/y", False),
    ("pkg:deb/debian/bash?arch=amd64", "pkg:deb/debian/bash@5?arch=amd64&distro=d12", True),
    ("pkg:deb/debian/bash?arch=arm64", "pkg:deb/debian/bash@5?arch=amd64", False),
    ("pkg:npm/%40scope/lib", "pkg:npm/@scope/lib@1", True),
    ("pkg:deb/ubuntu/libstdc%2B%2B6", "pkg:deb/ubuntu/libstdc++6@12", True),
    ("pkg:golang/x/y", "pkg:golang/x/z@v1", False),
    ("pkg:golang/x/y", "not a purl", False),
])
def test_purl_matching(pattern, purl, matches):
    assert vex_documents.purl_matches(pattern, purl) is matches
