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

import json
import re

import fleet  # lab/fleet.py
import pytest

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


# The fleet node the role rows stand on: a Debian 13 node the fleet tests leave converged
# (the one their fault tests break and repair, converged again when they end; not the builder,
# deb13-a, whose signing key the secrets runs would meet with another password).
RELIAB_NODE = "bulwark-fleet-deb13-b"


@pytest.fixture(scope="session")
def reliab_node(converged_fleet, tmp_path_factory):
    """A node of the lab fleet for every table that needs one, after the fleet's own tests
    (same session, `make test`'s fleet lane): (container name, an inventory of that node alone
    in group debian13). The rows run on a converged node: a refused input leaves it as it was,
    and the secrets runs re-apply roles it already holds."""
    inventory = tmp_path_factory.mktemp("reliab-inventory") / "reliab-inventory.json"
    host = fleet.ssh_host_vars(fleet.NODES[RELIAB_NODE][1])
    inventory.write_text(json.dumps({"all": {"children": {"debian13": {
        "hosts": {RELIAB_NODE: host}}}}}))
    yield RELIAB_NODE, inventory


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
