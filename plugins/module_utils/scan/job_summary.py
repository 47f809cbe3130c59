# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The gate's summary as Markdown, for a CI job summary (GitHub's ``$GITHUB_STEP_SUMMARY``,
GitLab's report artifacts): verdict, settings, counts by severity, the blocking findings and
the ignored ones with their statement and expiry.

Every string from a report (ids, packages, versions, targets, statements) is untrusted: it
goes through :func:`escape`, which keeps it one line of literal text in a table cell - no
HTML, no link, no emphasis, no code span, no cell break. The document is bounded: at most
``MAX_ROWS`` rows per table (a line says how many were left out) and ``MAX_CELL`` characters
per cell before escaping, so a 100,000-finding report gives a few hundred KB at most (GitHub
refuses a step summary over 1 MiB).
"""
from __future__ import annotations

import os
import re
import string

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    redact,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    SEVERITIES,
)

MAX_ROWS = 50
MAX_CELL = 120
# Every ASCII punctuation character may be backslash-escaped in CommonMark and GFM (and a
# backslash-escaped one is literal text: no HTML, entity, link, emphasis or table pipe).
_PUNCTUATION = frozenset(string.punctuation)
_SPACES = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def escape(value, limit=MAX_CELL, secrets=()) -> str:
    """``value`` as literal Markdown text for one table cell: redacted (URL userinfo,
    ``token=``-style values, ``secrets``), control characters and line breaks made one space,
    every ASCII punctuation character backslash-escaped, and cut at ``limit`` characters
    (with ``...``)."""
    text = redact(str(value if value is not None else ""), secrets)
    text = _SPACES.sub(" ", text).strip()
    cut = len(text) > limit
    text = text[:limit]
    out = "".join("\\" + ch if ch in _PUNCTUATION else ch for ch in text)
    return out + "\\.\\.\\." if cut else out


def _row(cells):
    return "| " + " | ".join(cells) + " |"


def _table(header, rows, total, what):
    lines = [_row(header), _row(["---"] * len(header))]
    lines += [_row(cells) for cells in rows[:MAX_ROWS]]
    if total > MAX_ROWS:
        lines.append("")
        lines.append(f"... and {total - MAX_ROWS} more {what} (the JUnit and SARIF files "
                     "list them all)")
    return lines


def _expiry(finding):
    ignore = finding.get("ignore")
    return ignore.get("expired_at") if isinstance(ignore, dict) else ""


def _statement(finding):
    ignore = finding.get("ignore")
    if isinstance(ignore, dict) and ignore.get("statement"):
        return ignore["statement"]
    return finding.get("reason") or "ignored"


def to_markdown(result, secrets=()) -> str:
    """The Markdown summary of one gate result (text ending in a newline); ``secrets`` (the
    module's no_log values) are masked wherever a report string would show them."""
    def esc(value, limit=MAX_CELL):
        return escape(value, limit, secrets)

    passed = bool(result.get("passed"))
    artifact = result.get("artifact") or "report"
    blocking = result.get("blocking") or []
    ignored = result.get("ignored") or []
    denials = result.get("policy_denials") or []
    lines = [f"### {'✅ Build gate passed' if passed else '❌ Build gate failed'}: "
             f"{esc(artifact)}", ""]
    settings = [
        f"severity {esc(','.join(result.get('blocking_severities') or []) or 'none')}",
        f"ignore unfixed {'yes' if result.get('ignore_unfixed') else 'no'}",
        f"report format {esc(result.get('report_format') or 'trivy')}",
    ]
    for sev, budget in (result.get("budgets") or {}).items():
        settings.append(f"budget {esc(sev)} {budget.get('found', 0)}/{budget.get('limit', 0)}"
                        f"{' exceeded' if budget.get('exceeded') else ''}")
    lines += [f"Settings: {'; '.join(settings)}.", ""]
    counts = result.get("counts") or {}
    blocking_counts = result.get("blocking_counts") or {}
    order = list(reversed(SEVERITIES))
    lines += [_row(["", *order, "total"]), _row(["---"] * (len(order) + 2)),
              _row(["in report", *(str(counts.get(s, 0)) for s in order),
                    str(result.get("total", 0))]),
              _row(["blocking", *(str(blocking_counts.get(s, 0)) for s in order),
                    str(len(blocking))]), ""]
    if blocking:
        lines.append(f"**Blocking findings** ({len(blocking)})")
        lines.append("")
        rows = [[esc(f.get("severity")), esc(f.get("id")), esc(f.get("package")),
                 esc(f.get("installed")), esc(f.get("fixed") or "no fix"),
                 esc(f.get("target"))] for f in blocking[:MAX_ROWS]]
        lines += _table(["severity", "id", "package", "installed", "fixed", "target"], rows,
                        len(blocking) + int(result.get("blocking_omitted") or 0),
                        "blocking finding(s)")
        lines.append("")
    if denials:
        lines.append(f"**Policy denials** ({len(denials)})")
        lines.append("")
        lines += [f"- {esc(message, 400)}" for message in denials[:MAX_ROWS]]
        if len(denials) > MAX_ROWS:
            lines.append(f"- ... and {len(denials) - MAX_ROWS} more")
        lines.append("")
    if ignored:
        lines.append(f"**Ignored findings** ({len(ignored)})")
        lines.append("")
        rows = [[esc(f.get("severity")), esc(f.get("id")), esc(f.get("package")),
                 esc(_statement(f)), esc(_expiry(f) or "-")] for f in ignored[:MAX_ROWS]]
        lines += _table(["severity", "id", "package", "statement", "expires"], rows,
                        len(ignored) + int(result.get("ignored_omitted") or 0),
                        "ignored finding(s)")
        lines.append("")
    warnings = result.get("warnings") or result.get("gate_warnings") or []
    lines += [f"- warning: {esc(w, 400)}" for w in warnings[:10]]
    return "\n".join(lines).rstrip("\n") + "\n"


class SummaryError(ValueError):
    """GITHUB_STEP_SUMMARY names a file the gate will not append to."""


def step_summary_path(environ=None):
    """The job summary file to append to: ``$GITHUB_STEP_SUMMARY`` only when running under
    GitHub Actions (``GITHUB_ACTIONS=true``), else None. The path must be absolute and, when
    ``RUNNER_TEMP`` is set (always on GitHub's runners), inside it: SummaryError otherwise."""
    environ = os.environ if environ is None else environ
    path = environ.get("GITHUB_STEP_SUMMARY")
    if not path or environ.get("GITHUB_ACTIONS") != "true":
        return None
    if "\x00" in path or not os.path.isabs(path):
        raise SummaryError("GITHUB_STEP_SUMMARY is not an absolute path; refused")
    root = environ.get("RUNNER_TEMP")
    if root:
        real, real_root = os.path.realpath(path), os.path.realpath(root)
        if os.path.commonpath([real, real_root]) != real_root:
            raise SummaryError(f"GITHUB_STEP_SUMMARY {path!r} is not inside RUNNER_TEMP "
                               f"{root!r}; refused")
    return path
