# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The reliability suite's shared parts: one lab node for every table (session scope) and one
summary line per table at the end of the run (in `make test` output; the README's Reliability
section quotes them).

A table row is a parametrized test named `test_<table>_row[_<kind>][<row id>]`, in any file of
this folder (each area keeps its rows in a file of its own); the summary counts the rows that
passed and names those that did not (a known gap is a strict xfail row).
"""
from __future__ import annotations

import re

import pytest
from conftest import lab_nodes

from .support import IMAGE

# test function prefix -> (table, what a passing row proves)
TABLES = {
    "test_bad_inputs_row": ("bad inputs", "refused, host untouched, variable named"),
    "test_faults_row": ("faults", "survived, state checked afterwards"),
    "test_secrets_row": ("secrets", "kept out of output, logs, files and process arguments"),
    # the fail-closed classes (issue 22): each row a hostile or odd input and what must happen
    "test_fail_open_row": ("fail open", "blocked or refused, never passed"),
    "test_leak_row": ("leaks", "refused without the secret in message, result or files"),
    "test_containment_row": ("containment", "refused or written inside its place only"),
    "test_resource_row": ("resources", "refused within its bound, no traceback"),
}


@pytest.fixture(scope="session")
def reliab_node(tmp_path_factory):
    """One Debian 13 systemd node for the whole suite, reached over SSH like the fleet:
    (container name, inventory path)."""
    with lab_nodes("bulwark-reliab", {"debian13": IMAGE},
                   tmp_path_factory.mktemp("reliab-inventory")) as (inventory, names):
        yield names["debian13"], inventory


def pytest_terminal_summary(terminalreporter):
    """One line per table: rows passed of rows run, and the rows that did not pass."""
    for prefix, (table, proves) in TABLES.items():
        row = re.compile(rf"::{prefix}\w*(\[|\Z)")   # parametrized rows and single ones
        rows = {"passed": [], "other": []}
        for outcome in ("passed", "failed", "error", "xfailed", "xpassed", "skipped"):
            for report in terminalreporter.stats.get(outcome, []):
                nodeid = getattr(report, "nodeid", "")
                if getattr(report, "when", "call") != "call" or "tests/reliability/" not in nodeid:
                    continue
                if not row.search(nodeid):
                    continue
                key = "passed" if outcome == "passed" else "other"
                label = nodeid.split("::", 1)[1]
                rows[key].append(label if key == "passed" else f"{label} ({outcome})")
        total = len(rows["passed"]) + len(rows["other"])
        if total == 0:
            continue
        terminalreporter.write_sep("-", f"reliability {table}: {len(rows['passed'])} of {total} "
                                        f"rows {proves}")
        for row in rows["other"]:
            terminalreporter.write_line(f"  not proven: {row}")
