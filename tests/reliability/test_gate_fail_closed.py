# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The build gate fails closed (issue 22): every document it cannot read is refused or blocks,
never a traceback, never a write outside its place, never a raw control character on the
terminal, never a 50 MB module result. In-process only (the gate functions and trivy_gate's
main() under patch_module_args)."""
from __future__ import annotations

import copy
import io
import json
import multiprocessing
import os
import resource
import xml.etree.ElementTree as ET
from contextlib import redirect_stdout
from pathlib import Path

import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    load_json,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)
from ansible_collections.bulwark.container_security.plugins.modules import (
    trivy_gate as gate_module,
)

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
TODAY = "2026-11-25"


def fixture(name):
    return json.loads((FIXTURES / name).read_text())


def trivy(vulns, **extra):
    return dict({"SchemaVersion": 2, "ArtifactName": "app:1", "ArtifactType": "container_image",
                 "Results": [{"Target": "app", "Class": "os-pkgs", "Type": "alpine",
                              "Vulnerabilities": vulns}]}, **extra)


CRIT = {"VulnerabilityID": "CVE-2026-0001", "PkgName": "musl", "InstalledVersion": "1",
        "FixedVersion": "2", "Severity": "CRITICAL"}


def grype_with(**extra):
    doc = fixture("grype/TestJsonImgsPresenter.json")
    doc["matches"][0]["vulnerability"]["severity"] = "Critical"
    return dict(doc, **extra)


def grype_severity(value):
    doc = grype_with()
    doc["matches"][0]["vulnerability"]["severity"] = value
    return doc


def lower_case_results():
    doc = trivy([])
    doc["Results"] = [{"Target": "app", "vulnerabilities": [CRIT]}]
    return doc


def cyclonedx():
    return {"bomFormat": "CycloneDX", "specVersion": "1.5", "version": 1,
            "vulnerabilities": [{"id": "CVE-2026-0001", "ratings": [{"severity": "critical"}]}]}


def wrong_typed(path_value):
    vuln = dict(CRIT)
    vuln.update(path_value)
    return trivy([dict(CRIT), vuln])


FAIL_OPEN = {
    "empty-object": ({}, "auto", "unknown document with keys []"),
    "unknown-keys": ({"foo": 1, "bar": [CRIT]}, "auto", "unknown document with keys [bar, foo]"),
    "json-list": ([CRIT], "auto", "it is a JSON list"),
    "spdx": ({"spdxVersion": "SPDX-2.3", "packages": []}, "auto",
             "looks like an SPDX document"),
    "sarif-log": (fixture("trivy/alpine-310.sarif"), "auto", "looks like a SARIF log"),
    "cyclonedx-bom-with-critical": (cyclonedx(), "auto", "looks like a CycloneDX BOM"),
    "grype-critical-plus-schemaversion": (grype_with(SchemaVersion=2), "auto",
                                          "looks like both a Trivy report"),
    "trivy-lower-case-vulnerabilities": (lower_case_results(), "auto",
                                         "'vulnerabilities' is not a Trivy key"),
    "trivy-lower-case-vulnerabilities-format-trivy": (lower_case_results(), "trivy",
                                                      "'vulnerabilities' is not a Trivy key"),
    "format-trivy-given-grype-document": (grype_with(), "trivy",
                                          "report_format='trivy' but the report has a 'matches'"),
    "format-grype-given-sarif": (fixture("trivy/alpine-310.sarif"), "grype",
                                 "looks like a SARIF log"),
    "schemaversion-as-text": (dict(trivy([CRIT]), SchemaVersion="2"), "auto",
                              "only schema version 2 (an integer)"),
    "schemaversion-true": (dict(trivy([CRIT]), SchemaVersion=True), "auto",
                           "only schema version 2 (an integer)"),
    "artifactname-missing": ({"SchemaVersion": 2, "ArtifactType": "container_image",
                              "Results": [{"Vulnerabilities": [CRIT]}]}, "auto",
                             "ArtifactName is missing"),
    "results-a-mapping": (dict(trivy([]), Results={"Vulnerabilities": [CRIT]}), "auto",
                          "Results must be a list, got dict"),
    "pkgname-int": (wrong_typed({"PkgName": 7}), "auto",
                    "Results[0].Vulnerabilities[1].PkgName must be text, got int"),
    "severity-list": (wrong_typed({"Severity": ["CRITICAL"]}), "auto",
                      "Results[0].Vulnerabilities[1].Severity must be text, got list"),
    "severity-unknown-word": (wrong_typed({"Severity": "SEVERE"}), "auto",
                              "Severity 'SEVERE' is not one of"),
    "purl-int": (wrong_typed({"PkgIdentifier": {"PURL": 1}}), "auto",
                 "Results[0].Vulnerabilities[1].PkgIdentifier.PURL must be text, got int"),
    "vulnerabilities-a-string": (trivy("CVE-2026-0001"), "auto",
                                 "Results[0].Vulnerabilities must be a list, got str"),
    "finding-a-string": (trivy(["CVE-2026-0001"]), "auto",
                         "Results[0].Vulnerabilities[0] must be a mapping, got str"),
    "grype-severity-int": (
        grype_severity(9),
        "auto", "matches[0].vulnerability.severity must be text, got int"),
    "grype-without-descriptor": (
        {"matches": grype_with()["matches"], "source": {"type": "image"}}, "auto",
        "descriptor must be a mapping, got null"),
    "grype-other-descriptor": (grype_with(descriptor={"name": "syft"}), "auto",
                               "descriptor.name is 'syft', not 'grype'"),
}


@pytest.mark.parametrize("doc,fmt,message", FAIL_OPEN.values(), ids=FAIL_OPEN.keys())
def test_fail_open_row_gate(doc, fmt, message):
    with pytest.raises(ValueError) as exc:
        gate_report(copy.deepcopy(doc), report_format=fmt, severity="HIGH", today=TODAY)
    assert message in str(exc.value)


def test_fail_open_row_gate_real_reports_still_gated():
    """The goldens are recognised: the same rules block them."""
    assert gate_report(fixture("trivy/alpine-39.json"), today=TODAY)["passed"] is False
    assert gate_report(grype_with(), today=TODAY)["passed"] is False


# -------------------------------------------------------------------- readers (module level)

def run(args, capsys=None):
    out = io.StringIO()
    with patch_module_args(args), redirect_stdout(out), pytest.raises(SystemExit) as exc:
        gate_module.main()
    text = out.getvalue()
    result = json.loads(text)
    result["_rc"], result["_size"] = exc.value.code, len(text)
    return result


def deep(levels):
    return "[" * levels + "]" * levels


READ = {
    "nesting-5000": (deep(5000), "nested"),
    "nan": ('{"SchemaVersion": 2, "x": NaN}', "NaN is not a JSON number"),
    "infinity": ('{"SchemaVersion": 2, "x": -Infinity}', "is not a JSON number"),
    "1e999": ('{"SchemaVersion": 2, "x": 1e999}', "out of range"),
    "lone-surrogate": ('{"SchemaVersion": 2, "ArtifactName": "\\ud800"}', "lone surrogate"),
    "truncated": ('{"SchemaVersion": 2, "Results": [', "is not valid JSON"),
}


@pytest.mark.parametrize("text,message", READ.values(), ids=READ.keys())
def test_fail_open_row_gate_reader(tmp_path, text, message):
    path = tmp_path / "report.json"
    path.write_text(text)
    for args in ({"path": str(path)}, {"report": text}):
        out = run(args)
        assert out["failed"] is True and message in out["msg"], out["msg"]


def test_fail_open_row_gate_reader_fifo(tmp_path):
    fifo = tmp_path / "report.json"
    os.mkfifo(fifo)
    out = run({"path": str(fifo)})
    assert out["failed"] is True and "is not a regular file (a FIFO)" in out["msg"]


def test_fail_open_row_gate_inline_mapping_nan():
    out = run({"report": dict(trivy([CRIT]), Score=float("nan"))})
    assert out["failed"] is True and "which JSON does not allow" in out["msg"]


def test_fail_open_row_gate_inline_mapping_lone_surrogate(tmp_path):
    """Refused by the module's check of an inline mapping; once Ansible's JSON profiles are
    loaded (other tests in the same run), Ansible refuses such module arguments even before
    the module runs. Either way nothing is written."""
    sarif = tmp_path / "gate.sarif"
    try:
        out = run({"report": trivy([dict(CRIT, VulnerabilityID="CVE-\ud800")]),
                   "sarif_path": str(sarif)})
        message = out["msg"] if out.get("failed") else ""
    except Exception as exc:  # noqa: BLE001 - Ansible's own refusal of the arguments
        message = f"{exc} {exc.__context__}"
    assert "surrogate" in message
    assert not sarif.exists()


@pytest.mark.parametrize("extra", [{"Trivy": ["0.57"]}, {"Trivy": {"Version": 57, "DB": 1}},
                                   {"CreatedAt": 20261125}], ids=["trivy-list", "version-int",
                                                                  "createdat-int"])
def test_fail_open_row_gate_unread_header_fields(tmp_path, extra):
    """Fields only the predicate reads: a wrong type never crashes it, the gate still blocks."""
    predicate = tmp_path / "vuln.json"
    out = run({"report": trivy([CRIT], **extra), "predicate_path": str(predicate),
               "fail_on_blocking": False})
    assert out["passed"] is False and out["blocking"][0]["id"] == "CVE-2026-0001"
    assert json.loads(predicate.read_text())["scanner"]["uri"].startswith("pkg:github/")


def test_fail_open_row_gate_truncated_ignores():
    out = run({"report": trivy([CRIT]), "ignores": '[{"id": "CVE-2026-0001", "statem'})
    assert out["failed"] is True and "ignores is not valid JSON" in out["msg"]


@pytest.mark.parametrize("expired_at", ["9999-12-31", "2028-01-01"])
def test_fail_open_row_gate_far_expiry(expired_at):
    ignores = [{"id": "CVE-2026-0001", "statement": "accepted", "expired_at": expired_at}]
    with pytest.raises(ValueError, match="'CVE-2026-0001' expires on .* more than "
                                         "max_expiry_days=365"):
        gate_report(trivy([CRIT]), ignores=ignores, today=TODAY)
    out = run({"report": trivy([CRIT]), "ignores": ignores, "today": TODAY})
    assert out["failed"] is True and "more than max_expiry_days=365" in out["msg"]
    # within the bound it still hides the finding
    near = [dict(ignores[0], expired_at="2027-06-01")]
    assert gate_report(trivy([CRIT]), ignores=near, today=TODAY)["passed"] is True


# ------------------------------------------------------------------------------ containment

def test_containment_row_gate_symlinked_output(tmp_path):
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    for option in ("sarif_path", "junit_path"):
        link = tmp_path / f"out-{option}"
        link.symlink_to(victim)
        out = run({"report": trivy([CRIT]), option: str(link), "fail_on_blocking": False})
        assert out["failed"] is True and "is a symlink; refused" in out["msg"]
        assert victim.read_text() == "keep\n"


def test_containment_row_gate_planted_tmp_name(tmp_path):
    """The old writer opened <path>.tmp<pid> first: a symlink planted there is never followed."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep\n")
    target = tmp_path / "gate.sarif"
    (tmp_path / f"gate.sarif.tmp{os.getpid()}").symlink_to(victim)
    out = run({"report": trivy([CRIT]), "sarif_path": str(target), "fail_on_blocking": False})
    assert out["passed"] is False and out["changed"] is True
    assert victim.read_text() == "keep\n"
    assert json.loads(target.read_text())["version"] == "2.1.0"


def test_containment_row_gate_directory_output(tmp_path):
    target = tmp_path / "out.sarif"
    target.mkdir()
    out = run({"report": trivy([CRIT]), "sarif_path": str(target), "fail_on_blocking": False})
    assert out["failed"] is True and "exists and is not a regular file; refused" in out["msg"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.sarif"]
    assert list(target.iterdir()) == []


# -------------------------------------------------------------------------------------- leaks

CONTROL = {
    "esc": "CVE-2026-\x1b[2J\x1b[31m0001",
    "nul": "CVE-2026-\x000001",
    "form-feed": "CVE-2026-\x0c0001",
    "c1-csi": "CVE-2026-\x9b0001",
}


@pytest.mark.parametrize("ident", CONTROL.values(), ids=CONTROL.keys())
def test_leak_row_gate_control_characters(tmp_path, ident):
    junit, sarif = tmp_path / "gate.xml", tmp_path / "gate.sarif"
    vuln = dict(CRIT, VulnerabilityID=ident, Title=f"title {ident}", PkgName=f"p{ident}")
    out = run({"report": trivy([vuln]), "junit_path": str(junit), "sarif_path": str(sarif)})
    assert out["failed"] is True
    for text in (out["msg"], out["summary"]):
        assert not any(ch in text for ch in "\x1b\x00\x0c\x9b"), text
    assert "CVE-2026-\\x" in out["msg"]
    root = ET.fromstring(junit.read_bytes())
    case = root.find("testsuite/testcase")
    assert case is not None and "\\x" in case.get("name")
    assert json.loads(sarif.read_text())["runs"][0]["results"][0]["ruleId"] == ident


def test_leak_row_gate_noncharacter_in_junit(tmp_path):
    junit = tmp_path / "gate.xml"
    vuln = dict(CRIT, Title="bad \ufffe \uffff")
    out = run({"report": trivy([vuln]), "junit_path": str(junit), "fail_on_blocking": False})
    assert out["passed"] is False
    assert "\\ufffe" in ET.fromstring(junit.read_bytes()).find(
        "testsuite/testcase/failure").text


# ----------------------------------------------------------------------------------- resources

def test_resource_row_gate_result_bounded(tmp_path):
    """30,000 blocking findings with 1.5 KB titles (a ~50 MB result before): the module prints
    100 of them, says how many it left out, and the JUnit file has all of them."""
    count = 30_000
    title = "t" * 1500
    vulns = [dict(CRIT, VulnerabilityID=f"CVE-2026-{i:05d}", Title=title) for i in range(count)]
    junit = tmp_path / "gate.xml"
    out = run({"report": trivy(vulns), "junit_path": str(junit), "fail_on_blocking": False})
    assert out["passed"] is False and out["total"] == count
    assert len(out["blocking"]) == 100 and out["blocking_omitted"] == count - 100
    assert out["_size"] < 1_000_000
    assert len(out["blocking"][0]["title"]) <= 1003
    assert "more blocking finding(s)" in out["summary"]
    assert len(ET.parse(junit).getroot().findall("testsuite/testcase")) == count


def _gate_in_child(args, conn):
    """The gate module run in a forked child: its result and the child's peak RSS."""
    try:
        out = run(args)
        conn.send({"passed": out["passed"], "total": out["total"], "size": out["_size"],
                   "peak_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024})
    finally:
        conn.close()


def test_resource_row_gate_huge_report_peak_memory(tmp_path, capsys):
    """A 100,000-finding report file (~33 MB; a 200 MB one was killed at 5.8 GB with outputs)
    gated with JUnit and SARIF: the peak memory of the run is printed and bounded. Measured
    2026-12-07 at 50,000 findings: 113 MiB without outputs, 175 MiB with JUnit, 837 MiB with
    SARIF (one rule per CVE id, the whole log built, then serialised with indent); at 100,000:
    1623 MiB. Since the log is written in pieces (scan/sarif.py sarif_chunks, compact JSON, one
    rule or result at a time): 318 MiB at 100,000 (2026-12-07), bounded here at 768."""
    count = 100_000
    report = tmp_path / "huge.json"
    report.write_text(json.dumps(trivy([
        dict(CRIT, VulnerabilityID=f"CVE-2026-{i:06d}", Title="t" * 200) for i in range(count)])))
    size_mib = report.stat().st_size / 2**20
    args = {"path": str(report), "junit_path": str(tmp_path / "gate.xml"),
            "sarif_path": str(tmp_path / "gate.sarif"), "fail_on_blocking": False}
    ctx = multiprocessing.get_context("fork")
    parent, child = ctx.Pipe(duplex=False)
    proc = ctx.Process(target=_gate_in_child, args=(args, child))
    proc.start()
    child.close()
    result = parent.recv() if parent.poll(300) else None
    proc.join(30)
    assert result is not None, "the gate did not finish within 300 s"
    with capsys.disabled():
        print(f"\n[resource] gate on a {size_mib:.0f} MB report ({count} findings, JUnit + "
              f"SARIF): peak RSS {result['peak_mib']:.0f} MiB, result {result['size']} bytes")
    assert result["passed"] is False and result["total"] == count
    assert result["size"] < 1_000_000
    assert result["peak_mib"] < 768, f"peak RSS {result['peak_mib']:.0f} MiB"


def test_resource_row_gate_loader_depth_bound():
    with pytest.raises(ValueError, match="nested"):
        load_json(deep(5000), "report")


# issue 24: the OS rules on Metadata.OS fail closed (scan/os_rules.py)
OS_FAIL_OPEN = {
    "os-rule-on-a-repository-scan": (fixture("trivy/gomod.json"), {"refuse_eosl": True},
                                     "the report has no Metadata.OS"),
    "os-rule-on-a-grype-report": (grype_with(), {"allowed_families": ["debian"]},
                                  "a grype report has none"),
    "os-distroless-without-its-base-label": (fixture("trivy/distroless-base.json"),
                                             {"minimal_base": True}, "not a minimal base"),
}


@pytest.mark.parametrize("doc,rules,message", OS_FAIL_OPEN.values(), ids=OS_FAIL_OPEN.keys())
def test_fail_open_row_gate_os_rules(doc, rules, message):
    result = gate_report(copy.deepcopy(doc), os_rules=rules, severity="CRITICAL", today=TODAY)
    assert result["passed"] is False
    assert any(message in m for m in result["os_denials"])


def test_fail_open_row_gate_os_unreadable():
    doc = fixture("trivy/alpine-39.json")
    doc["Metadata"]["OS"]["EOSL"] = "false"
    with pytest.raises(ValueError, match="Metadata.OS.EOSL"):
        gate_report(doc, os_rules={"refuse_eosl": True}, today=TODAY)
