# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The gate's Markdown job summary (scan/job_summary.py): content, bounds, escaping, and the
GITHUB_STEP_SUMMARY file it is appended to (safe_output.append_text)."""
from __future__ import annotations

import os

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_output import (
    OutputError,
    append_text,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    gate_report,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.job_summary import (
    MAX_ROWS,
    SummaryError,
    escape,
    step_summary_path,
    to_markdown,
)
from build_gate_support import TODAY, load
from markdown_it import MarkdownIt

IGNORE = {"id": "CVE-2019-1549", "statement": "no fork() in the app", "expired_at": "2026-12-31"}


def test_summary_of_a_real_report(shared_fixtures):
    result = gate_report(load(shared_fixtures, "trivy/alpine-39.json"), severity="HIGH",
                         today=TODAY, ignores=[IGNORE])
    text = to_markdown(result)
    assert text.startswith("### ❌ Build gate failed: testdata\\/fixtures\\/images\\/alpine\\-39\\."
                           "tar\\.gz\n")
    assert "Settings: severity HIGH\\,CRITICAL; ignore unfixed no; report format trivy." in text
    assert "| in report | 2 | 0 | 4 | 0 | 0 | 6 |\n| blocking | 2 | 0 | 0 | 0 | 0 | 2 |" in text
    assert "| CRITICAL | CVE\\-2019\\-14697 | musl | 1\\.1\\.20\\-r4 | 1\\.1\\.20\\-r5 |" in text
    assert "| MEDIUM | CVE\\-2019\\-1549 | libcrypto1\\.1 | no fork\\(\\) in the app | " \
           "2026\\-12\\-31 |" in text
    html = MarkdownIt("commonmark").enable("table").render(text)
    assert html.count("<table>") == 3 and "<td>CVE-2019-14697</td>" in html


def test_huge_reports_are_cut_and_say_so():
    finding = {"severity": "HIGH", "id": "CVE-1", "package": "p" * 5000, "installed": "1",
               "fixed": "2", "target": "t"}
    result = {"passed": False, "blocking": [finding] * 100_000, "ignored": [], "total": 100_000}
    text = to_markdown(result)
    assert f"... and {100_000 - MAX_ROWS} more blocking finding(s)" in text
    assert text.count("| HIGH | CVE") == MAX_ROWS and len(text) < 1 << 20
    assert "p" * 121 not in text and "p" * 120 + "\\.\\.\\." in text
    omitted = to_markdown({"blocking": [finding] * 3, "blocking_omitted": 97})
    assert "... and 50 more blocking finding(s)" in omitted


@pytest.mark.parametrize("raw, shown", [
    ("a|b", "a\\|b"), ("`x`", "\\`x\\`"),
    ("<img src=x onerror=alert(1)>", "\\<img src\\=x onerror\\=alert\\(1\\)\\>"),
    ("[x](javascript:y)", "\\[x\\]\\(javascript\\:y\\)"),
    ("line\nbreak\r\x1b[2J", "line break \\[2J"),
    ("&amp;", "\\&amp\\;"), ("https://u:pw@h/x", "https\\:\\/\\/\\*\\*\\*\\*\\*\\*\\*\\*\\@h\\/x"),
])
def test_escape(raw, shown):
    assert escape(raw) == shown


def test_secrets_are_masked():
    entry = dict(IGNORE, severity="LOW", package="p", reason="r",
                 ignore=dict(IGNORE, statement="k s3cr3tval"))
    result = {"passed": False, "ignored": [entry]}
    assert "s3cr3tval" not in to_markdown(result, ["s3cr3tval"])


def test_step_summary_path(tmp_path):
    inside = tmp_path / "_runner_file_commands" / "step_summary_1"
    env = {"GITHUB_ACTIONS": "true", "GITHUB_STEP_SUMMARY": str(inside),
           "RUNNER_TEMP": str(tmp_path)}
    assert step_summary_path(env) == str(inside)
    assert step_summary_path({"GITHUB_STEP_SUMMARY": str(inside)}) is None   # not under Actions
    assert step_summary_path({"GITHUB_ACTIONS": "true"}) is None
    with pytest.raises(SummaryError, match="not an absolute path"):
        step_summary_path(dict(env, GITHUB_STEP_SUMMARY="summary.md"))
    with pytest.raises(SummaryError, match="not inside RUNNER_TEMP"):
        step_summary_path(dict(env, GITHUB_STEP_SUMMARY="/etc/passwd"))
    with pytest.raises(SummaryError, match="not inside RUNNER_TEMP"):
        step_summary_path(dict(env, GITHUB_STEP_SUMMARY=f"{tmp_path}/../x"))


def test_append_text_appends_and_refuses_links_and_fifos(tmp_path):
    target = tmp_path / "summary"
    target.write_text("before\n")
    append_text(target, "after\n")
    assert target.read_text() == "before\nafter\n"
    (tmp_path / "link").symlink_to(target)
    with pytest.raises(OutputError, match="cannot append"):
        append_text(tmp_path / "link", "x")
    os.mkfifo(tmp_path / "fifo")
    with pytest.raises(OutputError):
        append_text(tmp_path / "fifo", "x")
    with pytest.raises(OutputError, match="cannot append"):
        append_text(tmp_path / "missing", "x")
    assert target.read_text() == "before\nafter\n"
