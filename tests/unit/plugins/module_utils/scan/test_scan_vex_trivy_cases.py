# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Trivy's own VEX cases (aquasecurity/trivy pkg/vex/vex_test.go TestFilter): the same reports
(as Trivy's JSON, with Packages[].DependsOn), the same documents (tests/fixtures/vex/, copied
from pkg/vex/testdata), the same answer.

Out of scope (not VEX files): "VEX attestation from OCI registry" (``--vex oci`` fetches an
attestation from a registry) and "VEX Repository" (``--vex repo``, a downloaded repository).
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import (
    vex,
    vex_documents,
)

FIXTURES = Path(__file__).resolve().parents[4] / "fixtures" / "vex"
SERIAL = "urn:uuid:3e671687-395b-41f5-a30f-a58921a69b79"


def pkg(uid, name, version, purl, depends=(), relationship=""):
    out = {"ID": f"{name}@{version}", "Name": name, "Version": version,
           "Identifier": {"UID": uid, "PURL": purl}, "DependsOn": list(depends)}
    if relationship:
        out["Relationship"] = relationship
    return out


SPRING = pkg("01", "org.springframework.boot:spring-boot", "2.6.0",
             "pkg:maven/org.springframework.boot/spring-boot@2.6.0")
SPRING["ID"] = "org.springframework.boot:spring-boot:2.6.0"
SPRING["Identifier"]["BOMRef"] = "pkg:maven/org.springframework.boot/spring-boot@2.6.0"
BASH = pkg("02", "bash", "5.3", "pkg:deb/debian/bash@5.3")
BASE_FILES = pkg("07", "base-files", "5.3", "pkg:deb/debian/base-files@5.3")
BASE_FILES2 = pkg("08", "base-files2", "5.3", "pkg:deb/debian/base-files2@5.3")
GO_MODULE = pkg("03", "github.com/aquasecurity/go-module", "v1.0.0",
                "pkg:golang/github.com/aquasecurity/go-module@v1.0.0", relationship="root")
GO_DIRECT1 = pkg("04", "github.com/aquasecurity/go-direct1", "v2.0.0",
                 "pkg:golang/github.com/aquasecurity/go-direct1@v2.0.0", relationship="direct")
GO_DIRECT2 = pkg("05", "github.com/aquasecurity/go-direct2", "v3.0.0",
                 "pkg:golang/github.com/aquasecurity/go-direct2@v3.0.0", relationship="direct")
GO_TRANSITIVE = pkg("06", "github.com/aquasecurity/go-transitive", "v4.0.0",
                    "pkg:golang/github.com/aquasecurity/go-transitive@v4.0.0",
                    relationship="indirect")


def vuln(ident, package):
    return {"VulnerabilityID": ident, "PkgName": package["Name"],
            "InstalledVersion": package["Version"], "PkgIdentifier": dict(package["Identifier"]),
            "Severity": "CRITICAL"}


VULN1 = vuln("CVE-2021-44228", SPRING)
VULN2 = vuln("CVE-2021-0001", SPRING)
VULN3 = vuln("CVE-2022-3715", BASH)
VULN5 = vuln("CVE-2024-0001", GO_TRANSITIVE)


def with_deps(package, *depends):
    return dict(package, DependsOn=[d["ID"] for d in depends])


def result(kind, vulns):
    spring = {"Target": "spring", "Type": "jar", "Class": "lang-pkgs", "Packages": [SPRING]}
    os_pkgs = {"Target": "debian", "Type": "debian", "Class": "os-pkgs"}
    go_mod = {"Target": "go.mod", "Type": "gomod", "Class": "lang-pkgs"}
    shapes = {
        "spring": spring,
        "bash": dict(os_pkgs, Packages=[BASH]),
        # base-files -> bash and base-files2 -> bash
        "bash_packages": dict(os_pkgs, Packages=[BASH, with_deps(BASE_FILES, BASH),
                                                 with_deps(BASE_FILES2, BASH)]),
        # bash <-> base-files, neither under the OS
        "loop": dict(os_pkgs, Packages=[with_deps(BASH, BASE_FILES),
                                        with_deps(BASE_FILES, BASH)]),
        # go-module -> go-direct1 -> go-transitive
        "go_single": dict(go_mod, Packages=[with_deps(GO_MODULE, GO_DIRECT1),
                                            with_deps(GO_DIRECT1, GO_TRANSITIVE),
                                            GO_TRANSITIVE]),
        # go-module -> go-direct1 -> go-transitive and go-module -> go-direct2 -> go-transitive
        "go_multi": dict(go_mod, Packages=[with_deps(GO_MODULE, GO_DIRECT1, GO_DIRECT2),
                                           with_deps(GO_DIRECT1, GO_TRANSITIVE),
                                           with_deps(GO_DIRECT2, GO_TRANSITIVE),
                                           GO_TRANSITIVE]),
    }
    return dict(shapes[kind], Vulnerabilities=list(vulns))


def image_report(*results):
    return {"SchemaVersion": 2, "ArtifactName": "debian:12", "ArtifactType": "container_image",
            "Metadata": {"RepoDigests": [
                "debian@sha256:4482958b4461ff7d9fabc24b3a9ab1e9a2c85ece07b2db1840c7cbc01d053e90"],
                "ImageConfig": {"architecture": "amd64"}},
            "Results": list(results)}


def fs_report(*results):
    return {"SchemaVersion": 2, "ArtifactName": ".", "ArtifactType": "filesystem",
            "Results": list(results)}


def sbom_report(*results):
    return {"SchemaVersion": 2, "ArtifactName": "sbom.cdx.json", "ArtifactType": "cyclonedx",
            "Results": list(results)}


# name, report, VEX file, the SBOM (serial, version) for CycloneDX, ids Trivy keeps
CASES = [
    ("OpenVEX", image_report(result("spring", [VULN1])), "openvex.json", None, []),
    ("OpenVEX, multiple statements", image_report(result("spring", [VULN1, VULN2])),
     "openvex-multiple.json", None, ["CVE-2021-0001"]),
    ("OpenVEX, subcomponents, oci image", image_report(result("bash", [VULN3])),
     "openvex-oci.json", None, []),
    ("OpenVEX, subcomponents, mismatched oci image", image_report(result("bash", [VULN3])),
     "openvex-oci-mismatch.json", None, ["CVE-2022-3715"]),
    ("OpenVEX, single path between product and subcomponent",
     fs_report(result("go_single", [VULN5])), "openvex-nested.json", None, []),
    ("OpenVEX, multi paths between product and subcomponent",
     fs_report(result("go_multi", [VULN5])), "openvex-nested.json", None, ["CVE-2024-0001"]),
    ("CycloneDX SBOM with CycloneDX VEX", sbom_report(result("spring", [VULN1])),
     "cyclonedx.json", (SERIAL, 1), []),
    ("CycloneDX VEX wrong URN", sbom_report(result("spring", [VULN1])), "cyclonedx.json",
     ("urn:uuid:wrong", 1), ["CVE-2021-44228"]),
    ("CSAF, not affected", image_report(result("go_single", [VULN5])), "csaf.json", None, []),
    ("CSAF with relationships, not affected", image_report(result("go_single", [VULN5])),
     "csaf-relationships.json", None, []),
    ("CSAF with relationships, affected", image_report(result("go_multi", [VULN5])),
     "csaf-relationships.json", None, ["CVE-2024-0001"]),
    ("infinity loop for OS packages", image_report(result("loop", [VULN3])),
     "openvex-oci.json", None, ["CVE-2022-3715"]),
    ("check one parent from multiple dependency paths",
     image_report(result("bash_packages", [VULN3])), "openvex-oci.json", None, []),
]
OUT_OF_SCOPE = ["VEX attestation from OCI registry", "VEX Repository"]


def load(name):
    return json.loads((FIXTURES / name).read_text(encoding="utf-8"))


@pytest.mark.parametrize(("report", "doc", "sbom", "kept"), [c[1:] for c in CASES],
                         ids=[c[0] for c in CASES])
def test_same_answer_as_trivy(report, doc, sbom, kept):
    index = vex.VexIndex(vex_documents.load_vex(load(doc), f"testdata/{doc}"))
    serial, version = sbom or (None, None)
    filtered = vex.filter_trivy_report(report, index, serial, version)
    assert [v["VulnerabilityID"] for r in filtered["Results"]
            for v in r["Vulnerabilities"]] == kept
    # The bound index decides the same for the gate's normalised findings.
    bound = index.bind(report, serial, version)
    for res in report["Results"]:
        for v in res["Vulnerabilities"]:
            finding = {"kind": "vulnerability", "id": v["VulnerabilityID"], "target":
                       res["Target"], "purl": v["PkgIdentifier"]["PURL"]}
            assert (bound.match(finding) is None) == (v["VulnerabilityID"] in kept)


def test_unknown_format_is_refused():
    with pytest.raises(ValueError, match="unknown VEX format"):
        vex_documents.load_vex(load("unknown.json"), "testdata/unknown.json")


def test_case_count():
    """16 cases in TestFilter: 13 decisions here, the unknown format above, 2 out of scope."""
    assert len(CASES) + 1 + len(OUT_OF_SCOPE) == 16


def test_cyclonedx_vex_needs_a_cyclonedx_sbom_scan():
    index = vex.VexIndex(vex_documents.load_vex(load("cyclonedx.json")))
    with pytest.raises(ValueError, match="CycloneDX VEX can be used only with a CycloneDX SBOM"):
        vex.filter_trivy_report(image_report(result("spring", [VULN1])), index, SERIAL, 1)
    # Without the SBOM's serial number (a Trivy JSON report does not carry it): never applies.
    kept = vex.filter_trivy_report(sbom_report(result("spring", [VULN1])), index)
    assert kept["Results"][0]["Vulnerabilities"] == [VULN1]
