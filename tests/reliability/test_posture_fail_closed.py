# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Fail-closed rows of the posture report (issue 22): one node's odd facts fail that node's
checks and never the report of the whole fleet; fact strings never become Markdown markup.
In-process only."""
from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.filter.posture import (
    posture_render,
    posture_report,
)

ROOT = Path(__file__).resolve().parents[2]
GOOD = json.loads((ROOT / "tests/fixtures/posture/node_facts.json").read_text())


def _set(path, value):
    def change(facts):
        node = facts
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return change


# seven wrong-typed node facts that crashed the report (AttributeError/TypeError) on main
WRONG_TYPES = {
    "tools_a_string": (_set(["tools"], "cosign"), "build.facts.tools", "tools facts"),
    "tool_entry_a_string": (_set(["tools", 0], "cosign"), "build.facts.tools.0", "tools[0]"),
    "ship_a_list": (_set(["ship"], []), "ship.facts.ship", "ship facts"),
    "ship_policy_a_string": (_set(["ship", "policy"], "x"), "ship.facts.ship", "ship facts"),
    "run_null": (_set(["run"], None), "run.facts.run", "run facts"),
    "run_seccomp_profiles_an_int": (_set(["run", "seccomp", "profiles"], 7), "run.facts.run",
                                    "run facts"),
    "build_rescan_a_list": (_set(["build", "rescan"], [1]), "build.facts.build", "build facts"),
}


def _fleet(odd):
    return {"good-a": {"posture": copy.deepcopy(GOOD)}, "odd": {"posture": odd},
            "good-b": {"posture": copy.deepcopy(GOOD)}}


@pytest.mark.parametrize("change, check_id, reason", WRONG_TYPES.values(),
                         ids=WRONG_TYPES.keys())
def test_fail_open_row_posture_wrong_typed_fact(change, check_id, reason):
    odd = copy.deepcopy(GOOD)
    change(odd)
    report = posture_report(_fleet(odd))
    nodes = {n["name"]: n for n in report["nodes"]}
    assert set(nodes) == {"good-a", "good-b", "odd"}
    assert nodes["good-a"]["checks"] == nodes["good-b"]["checks"]
    failed = {c["id"]: c["reason"] for c in nodes["odd"]["checks"] if c["status"] == "fail"}
    assert check_id in failed and reason in failed[check_id], failed
    assert "could not run" in failed[check_id] or "posture schema" in failed[check_id]
    for fmt in ("markdown", "html", "json"):
        assert posture_render(report, fmt)


ODD_NODES = {
    "facts_a_list": ({"posture": [1, 2]}, "node.reachable", "are a list, not a mapping"),
    "collected_a_list": ({"posture": dict(copy.deepcopy(GOOD), collected=[1])}, "node.facts",
                         "do not match the posture schema at facts/collected"),
    "file_name_with_newline": (None, None, None),     # built in the test
}


@pytest.mark.parametrize("answer, check_id, reason", ODD_NODES.values(), ids=ODD_NODES.keys())
def test_fail_open_row_posture_odd_node_keeps_fleet(answer, check_id, reason):
    if check_id is None:    # a file name with a newline: reported, escaped, on one line
        odd = copy.deepcopy(GOOD)
        odd["run"]["seccomp"]["profiles"][0]["name"] = "a\nb.json"
        odd["run"]["seccomp"]["profiles"][0]["error"] = "unreadable"
        answer = {"posture": odd}
    report = posture_report({"good": {"posture": copy.deepcopy(GOOD)}, "odd": answer})
    nodes = {n["name"]: n for n in report["nodes"]}
    assert nodes["good"]["facts"] is not None
    if check_id is None:
        reasons = [c["reason"] for c in nodes["odd"]["checks"] if c["id"] == "run.seccomp_profiles"]
        assert reasons == ["unreadable profile(s): a\\nb.json"]
        return
    failed = {c["id"]: c["reason"] for c in nodes["odd"]["checks"] if c["status"] == "fail"}
    assert check_id in failed and reason in failed[check_id], failed


MARKUP = {
    "image": "![x](https://evil.example/p.png)",
    "link": "[click](https://evil.example/)",
    "raw_html": "<img src=x onerror=alert(1)>",
    "autolink": "see https://evil.example and www.evil.example",
    "control_chars": "\x1b[31mred\x1b[0m\x07",
    "table_break": "a | b\n| c",
    "code_span": "`rm -rf /`",
    "emphasis": "**bold** _it_",
}


@pytest.mark.parametrize("text", MARKUP.values(), ids=MARKUP.keys())
def test_containment_row_posture_markdown_escapes_facts(text):
    odd = copy.deepcopy(GOOD)
    odd["run"]["seccomp"]["profiles"][0]["name"] = text
    odd["run"]["seccomp"]["profiles"][0]["error"] = "unreadable"
    odd["run"]["falco"]["service"]["name"] = text
    odd["run"]["falco"]["service"]["active"] = "failed"
    report = posture_report({text: {"posture": odd}})
    markdown = posture_render(report, "markdown")
    for raw in ("<", "![", "](", "\x1b", "\x07", "**", "https://", "www.e"):
        assert raw not in markdown, (raw, markdown)
