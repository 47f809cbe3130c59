# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the build gate (scan/build_gate.py, trivy/gate.py, scan/grype.py) and its
writers (SARIF, JUnit, summary) on generated Trivy-like, grype-like and arbitrary documents."""
from __future__ import annotations

import copy
import io
import json
import os
import tempfile
import xml.etree.ElementTree as ET
from contextlib import redirect_stdout
from pathlib import Path

from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.sarif import (
    to_sarif,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.reports import (
    to_junit,
)
from ansible_collections.bulwark.container_security.plugins.modules import (
    trivy_gate as gate_module,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import CONTROL, refused_or_right

TODAY = "2026-11-25"
GRYPE = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "grype" /
                    "TestJsonImgsPresenter.json").read_text())

# Values of every JSON type (and a few Python ones an inline mapping can carry).
WRONG = st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
                  st.lists(st.integers(), max_size=2), st.dictionaries(st.text(max_size=3),
                                                                       st.integers(),
                                                                       max_size=2),
                  st.text(max_size=8))
TEXT = st.text(max_size=12)
CRITICAL_WORDS = st.sampled_from(["CRITICAL", "critical", "Critical", " CRITICAL "])


def _field(right, wrong_one_in=12):
    """A field that is mostly of the right kind, once in ``wrong_one_in`` anything."""
    return st.integers(1, wrong_one_in).flatmap(lambda n: WRONG if n == 1 else right)


@st.composite
def trivy_findings(draw, kind):
    text_keys = {"vuln": ("VulnerabilityID", "PkgName", "InstalledVersion", "FixedVersion",
                          "Status", "PrimaryURL", "Title", "PkgPath"),
                 "secret": ("RuleID", "Title", "Category", "Match"),
                 "misconf": ("ID", "AVDID", "PrimaryURL", "Title")}[kind]
    item = {}
    for key in text_keys:
        if draw(st.booleans()):
            item[key] = draw(_field(TEXT))
    item["Severity"] = draw(_field(st.sampled_from(
        ["LOW", "MEDIUM", "HIGH", "CRITICAL", "UNKNOWN", "high", ""])))
    if kind == "secret" and draw(st.booleans()):
        item["StartLine"] = draw(_field(st.integers(0, 100)))
    if kind == "vuln" and draw(st.booleans()):
        item["PkgIdentifier"] = draw(_field(st.fixed_dictionaries({"PURL": _field(TEXT)})))
    return item


SECTIONS = {"vuln": "Vulnerabilities", "secret": "Secrets", "misconf": "Misconfigurations"}


@st.composite
def trivy_documents(draw):
    """A Trivy-like report with random wrong types and wrong-case keys, and (returned apart)
    whether a CRITICAL finding was planted where the gate reads."""
    results = []
    for _index in range(draw(st.integers(0, 3))):
        result = {}
        for key in ("Target", "Class", "Type"):
            if draw(st.booleans()):
                result[key] = draw(_field(TEXT))
        for kind, section in SECTIONS.items():
            if draw(st.booleans()):
                result[section] = draw(st.one_of(
                    st.lists(trivy_findings(kind), max_size=3), WRONG))
        if draw(st.integers(0, 19)) == 0:  # a key Trivy never writes in that case
            result[draw(st.sampled_from(["vulnerabilities", "SECRETS", "misconfigurations"]))] \
                = [draw(trivy_findings("vuln"))]
        results.append(result)
    doc = {"SchemaVersion": draw(_field(st.just(2), 20)),
           "ArtifactName": draw(_field(TEXT, 20)), "ArtifactType": draw(_field(TEXT, 20)),
           "Results": draw(_field(st.just(results), 20))}
    if draw(st.integers(0, 19)) == 0:
        del doc[draw(st.sampled_from(["ArtifactName", "ArtifactType", "SchemaVersion"]))]
    planted = False
    if draw(st.booleans()):
        kind = draw(st.sampled_from(sorted(SECTIONS)))
        finding = dict(draw(trivy_findings(kind)), Severity=draw(CRITICAL_WORDS))
        if kind == "misconf":
            finding["Status"] = "FAIL"
        if isinstance(doc["Results"], list):
            doc["Results"].append({"Target": "planted", SECTIONS[kind]: [finding]})
            planted = True
    return doc, planted


@st.composite
def grype_documents(draw):
    doc = copy.deepcopy(GRYPE)
    planted = draw(st.booleans())
    if planted:
        doc["matches"][0]["vulnerability"]["severity"] = draw(CRITICAL_WORDS)
    for match in doc["matches"]:
        for section, keys in (("vulnerability", ("id", "severity", "dataSource",
                                                 "description", "fix", "urls")),
                              ("artifact", ("name", "version", "type", "purl", "locations"))):
            for key in keys:
                if draw(st.integers(0, 29)) == 0:
                    match[section][key] = draw(WRONG)
        if draw(st.integers(0, 9)) == 0:
            match["relatedVulnerabilities"] = draw(WRONG)
    for key in ("descriptor", "source", "matches"):
        if draw(st.integers(0, 29)) == 0:
            doc[key] = draw(WRONG)
            planted = planted and key != "matches"   # the planted match went with it
    if draw(st.integers(0, 19)) == 0:
        doc[draw(st.sampled_from(["SchemaVersion", "Results", "ArtifactName"]))] = 2
    return doc, planted


def _outputs_parse(result):
    """SARIF is JSON and JUnit is XML, whatever the findings hold."""
    json.loads(json.dumps(to_sarif(result)))
    ET.fromstring(to_junit(result).split("\n", 1)[1])
    assert not CONTROL.search(result["summary"].replace("\n", "")), result["summary"]


def _blocks_if_planted(planted):
    def check(result):
        if planted:
            assert result["passed"] is False, "a CRITICAL finding passed at severity HIGH"
        _outputs_parse(result)
    return check


@given(trivy_documents())
def test_trivy_like_documents_are_refused_or_right(case):
    """Refused clearly or right, never a traceback, never a pass that should block: a
    Trivy-like document with random wrong types and keys is refused (ValueError with a
    message), or gated, and then a planted CRITICAL finding blocks at severity HIGH."""
    doc, planted = case
    refused_or_right(lambda: gate_report(doc, severity="HIGH", today=TODAY), (ValueError,),
                     _blocks_if_planted(planted))


@given(grype_documents())
def test_grype_like_documents_are_refused_or_right(case):
    """Refused clearly or right, never a traceback, never a pass that should block: a
    grype-like document with random wrong types is refused, or gated, and a Critical match
    then blocks at severity HIGH."""
    doc, planted = case
    refused_or_right(lambda: gate_report(doc, severity="HIGH", today=TODAY), (ValueError,),
                     _blocks_if_planted(planted))


JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.text(max_size=6),
                    lambda inner: st.lists(inner, max_size=3) |
                    st.dictionaries(st.sampled_from(["SchemaVersion", "Results", "matches",
                                                     "descriptor", "source", "ArtifactName",
                                                     "runs", "bomFormat", "x"]), inner,
                                    max_size=4), max_leaves=12)


@given(JSON, st.sampled_from(["auto", "trivy", "grype"]))
def test_arbitrary_documents_never_traceback(doc, fmt):
    """Refused clearly or right, never a traceback: any JSON value, as any report_format, is
    refused with a message or gated with parseable outputs (never a pass of what it cannot
    read: such a pass would need a recognised Trivy or grype header)."""
    def check(result):
        _outputs_parse(result)
        assert result["report_format"] in ("trivy", "grype")
    refused_or_right(lambda: gate_report(doc, report_format=fmt, severity="HIGH",
                                         today=TODAY), (ValueError,), check)


ANY_TEXT = st.text(alphabet=st.characters(codec=None, exclude_categories=()), max_size=20)


@given(ANY_TEXT, ANY_TEXT, ANY_TEXT)
def test_outputs_parse_whatever_the_findings_hold(ident, package, title):
    """Outputs are always parseable: SARIF loads as JSON and JUnit as XML, and the summary
    has no raw control character, for finding texts with ESC, NUL, form feed, noncharacters
    and lone surrogates."""
    doc = {"SchemaVersion": 2, "ArtifactName": title, "ArtifactType": "container_image",
           "Results": [{"Target": package, "Vulnerabilities": [
               {"VulnerabilityID": ident, "PkgName": package, "Title": title,
                "Severity": "CRITICAL"}]}]}
    result = gate_report(doc, severity="HIGH", today=TODAY)
    assert result["passed"] is False
    _outputs_parse(result)


def _run_module(args):
    out = io.StringIO()
    with patch_module_args(args), redirect_stdout(out):
        try:
            gate_module.main()
        except SystemExit:
            pass
    return json.loads(out.getvalue())


@given(st.one_of(trivy_documents(), grype_documents()))
def test_module_refuses_or_writes_parseable_outputs(case):
    """Refused clearly or right, never a traceback, never a pass that should block: trivy_gate
    run on a generated document fails with a printable message or gates it; the SARIF, JUnit
    and predicate files it writes always parse, and a planted CRITICAL finding blocks."""
    doc, planted = case
    with tempfile.TemporaryDirectory() as tmp:
        paths = {key: os.path.join(tmp, name) for key, name in (
            ("sarif_path", "gate.sarif"), ("junit_path", "gate.xml"),
            ("predicate_path", "vuln.json"))}
        out = _run_module(dict(paths, report=doc, today=TODAY, fail_on_blocking=False))
        if out.get("failed"):
            assert out["msg"].strip() and not CONTROL.search(out["msg"].replace("\n", ""))
            assert "Traceback" not in out["msg"] and "exception" not in out
            return
        if planted:
            assert out["passed"] is False
        json.loads(Path(paths["sarif_path"]).read_text())
        json.loads(Path(paths["predicate_path"]).read_text())
        ET.parse(paths["junit_path"])
