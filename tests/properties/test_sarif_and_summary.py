# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the gate's full SARIF (scan/sarif.py) and its Markdown job summary
(scan/job_summary.py) on generated findings with arbitrary text.

SARIF: for any blocking, other and ignored findings, the streamed log is valid against the
OASIS SARIF 2.1.0 schema, holds one result per finding (``blocking``: only the blocking
ones) at the level the severity mapping says, and every ignored one is a suppressed result
with kind ``external``. Markdown: any text put in a table cell renders (CommonMark + GFM
tables, markdown-it-py) as exactly that one cell holding exactly that text - no HTML, link,
image, code span, emphasis or extra cell - and the secrets given never appear.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    redact,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.job_summary import (
    MAX_CELL,
    escape,
    to_markdown,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.sarif import (
    level,
    sarif_chunks,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    SEVERITIES,
)
from hypothesis import given
from hypothesis import strategies as st
from markdown_it import MarkdownIt

from .invariants import no_secret

SCHEMA = json.loads((Path(__file__).resolve().parents[1] / "fixtures" / "sarif" /
                     "sarif-schema-2.1.0.json").read_text())
VALIDATOR = jsonschema.Draft7Validator(SCHEMA)
MARKDOWN = MarkdownIt("commonmark").enable("table")
LINE_BREAKS = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
TEXT = st.text(max_size=40)
HOSTILE = st.text(alphabet=st.sampled_from(list("|`<>&\\*_[]()!#~:/@\n\r\t\x00\x1b é💥 a-.=")),
                  max_size=60)


def finding(ident, severity, text, extra=None):
    out = {"kind": "vulnerability", "id": ident, "package": text, "installed": text,
           "fixed": text, "severity": severity, "target": text, "title": text, "url": text}
    out.update(extra or {})
    return out


FINDING = st.builds(finding, st.one_of(TEXT, st.just("CVE-2026-0001")),
                    st.sampled_from(SEVERITIES), st.one_of(TEXT, HOSTILE))
IGNORED = st.builds(finding, TEXT, st.sampled_from(SEVERITIES), HOSTILE, st.fixed_dictionaries({
    "reason": TEXT, "ignore": st.fixed_dictionaries({"statement": HOSTILE,
                                                     "expired_at": st.just("2026-12-31")})}))


@given(st.lists(FINDING, max_size=5), st.lists(FINDING, max_size=5),
       st.lists(IGNORED, max_size=5), st.lists(HOSTILE, max_size=2),
       st.sampled_from(["all", "blocking"]))
def test_sarif_is_valid_and_complete(blocking, other, ignored, denials, which):
    result = {"blocking": blocking, "other": other, "ignored": ignored, "artifact": "img",
              "policy_denials": denials}
    log = json.loads("".join(sarif_chunks(result, which)))
    assert [e.message for e in VALIDATOR.iter_errors(log)] == []
    results = log["runs"][0]["results"]
    rules = log["runs"][0]["tool"]["driver"]["rules"]
    expected = len(blocking) + len(denials) + (len(other) + len(ignored) if which == "all" else 0)
    assert len(results) == expected
    assert all(rules[r["ruleIndex"]]["id"] == r["ruleId"] for r in results)
    assert [r["level"] for r in results[:len(blocking) + len(denials)]] == \
        ["error"] * (len(blocking) + len(denials))
    if which == "all":
        rest = results[len(blocking) + len(denials):]
        assert [r["level"] for r in rest] == [level(f["severity"], False)
                                              for f in other + ignored]
        suppressed = [r for r in rest if "suppressions" in r]
        assert [r["suppressions"][0]["justification"] for r in suppressed] == \
            [f["ignore"]["statement"] for f in ignored]
        assert all(r["suppressions"][0]["kind"] == "external" for r in suppressed)


def _cells(markdown):
    """The inline text of each body cell of the one table in ``markdown``, and the inline
    token types that are not plain text."""
    tokens = MARKDOWN.parse(markdown)
    cells, odd, inside = [], set(), False
    for token in tokens:
        if token.type in ("html_block", "code_block", "fence"):
            odd.add(token.type)
        if token.type == "tbody_open":
            inside = True
        if inside and token.type == "inline":
            cells.append("".join(child.content for child in token.children))
            odd.update(child.type for child in token.children if child.type != "text")
    return cells, odd


@given(HOSTILE, st.one_of(TEXT, HOSTILE))
def test_markdown_cell_is_that_text_alone(left, right):
    line = f"| a | b |\n| --- | --- |\n| {escape(left)} | {escape(right)} |\n"
    cells, odd = _cells(line)
    assert odd == set(), (line, odd)
    expected = []
    for raw in (left, right):
        # the documented normalisation: redacted, each run of control characters one space
        text = LINE_BREAKS.sub(" ", redact(raw)).strip()
        expected.append(text[:MAX_CELL] + ("..." if len(text) > MAX_CELL else ""))
    assert [c.strip() for c in cells] == [e.strip() for e in expected]


@given(st.lists(IGNORED, min_size=1, max_size=4), st.text(
    alphabet=st.characters(codec="ascii", categories=["L", "N"]), min_size=8, max_size=16))
def test_summary_never_shows_a_secret_and_keeps_its_tables(ignored, secret):
    secret = f"Zq{secret}"          # never a word of the summary's own text ("installed")
    for entry in ignored:
        entry["ignore"]["statement"] += f" key {secret}"
    text = to_markdown({"passed": False, "blocking": ignored[:1], "ignored": ignored,
                        "artifact": f"img {secret}", "total": len(ignored)}, [secret])
    no_secret(secret, text)
    html = MARKDOWN.render(text)
    assert "<script" not in html and "<a " not in html and "<img" not in html
    assert html.count("<table>") == 3
