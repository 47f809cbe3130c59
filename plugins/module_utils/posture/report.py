# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The posture report: node facts, the cluster bundle and image states in, one document out,
checked against posture.schema.json (kept beside this file).

Plain Python, no Ansible imports; `jsonschema` is imported only by `validate_report`, which
runs on the controller (the posture filter, a CLI, the tests).
"""

from __future__ import annotations

import json
import os

from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
    LAYERS,
    check,
    node_checks,
    verdict,
    worst,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.cluster import (
    cluster_checks,
    cluster_summary,
    image_checks,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.schema_messages import (
    schema_error_text,
)

SCHEMA_VERSION = 1
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "posture.schema.json")


class ReportError(ValueError):
    """A report that does not match the schema; the message names the path and the problem."""


def load_schema():
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def layer_cells(checks):
    """{layer: worst status or None} for the node x layer matrix."""
    return {layer: worst(c["status"] for c in checks if c["layer"] == layer) for layer in LAYERS}


def node_entry(name, facts=None, error=None):
    if error is None and facts and not isinstance(facts, dict):
        error = f"the node's facts are a {type(facts).__name__}, not a mapping"
    if error is not None or not facts:
        checks = [
            check(
                "node.reachable",
                "fail",
                f"no facts: {error or 'the node did not answer'}",
                "run",
                "run",
                fix="ansible_host",
            )
        ]
        facts = None
    else:
        checks = node_checks(facts)
    return {
        "name": name,
        "facts": facts,
        "checks": checks,
        "cells": layer_cells(checks),
        "verdict": verdict(name, checks),
    }


def build_report(nodes, bundle=None, images=None, generated="", source=""):
    """The whole report. `nodes`: {name: facts} or {name: {"error": msg}} for a node that failed;
    `bundle`: the policy bundle's manifests (None: no cluster side); `images`: image states."""
    node_entries = []
    for name in sorted(nodes, key=str):
        facts = nodes[name] or {}
        if not isinstance(facts, dict):
            node_entries.append(node_entry(str(name), facts))
            continue
        error = facts.get("error")
        node_entries.append(
            node_entry(str(name), None if "error" in facts else facts,
                       None if error is None else str(error))
        )
    cluster = None
    if bundle is not None:
        summary = cluster_summary(bundle)
        checks = cluster_checks(summary)
        cluster = dict(summary, checks=checks, verdict=verdict("cluster", checks))
    image_entries = [dict(state, checks=image_checks(state)) for state in images or []]
    report = {
        "schema_version": SCHEMA_VERSION,
        "generated": generated,
        "source": source,
        "summary": None,
        "nodes": node_entries,
        "cluster": cluster,
        "images": image_entries,
    }
    report["summary"] = _summary(report)
    return report


def _summary(report):
    every = (
        [c for n in report["nodes"] for c in n["checks"]]
        + (report["cluster"]["checks"] if report["cluster"] else [])
        + [c for i in report["images"] for c in i["checks"]]
    )
    counts = {s: sum(1 for c in every if c["status"] == s) for s in ("pass", "warn", "fail")}
    return {
        "status": worst(c["status"] for c in every) or "pass",
        "counts": counts,
        "nodes": len(report["nodes"]),
        "images": len(report["images"]),
    }


def contain_nodes(report, schema=None):
    """The report with each node that does not match the schema made to match, per node and
    not per fleet: its facts are dropped (they stay on the node) and a failed `node.facts`
    check says where they did not match, naming the path and the rule, not the value. A node
    whose checks still do not match keeps only that check. Returns the report (changed)."""
    import jsonschema  # controller only

    schema = schema or load_schema()
    node_schema = dict(schema["$defs"]["node"], **{"$defs": schema["$defs"]})
    validator = jsonschema.Draft202012Validator(node_schema)
    changed = False
    for index, node in enumerate(report["nodes"]):
        errors = sorted(validator.iter_errors(node), key=lambda e: [str(p) for p in e.path])
        if not errors:
            continue
        changed = True
        first = errors[0]
        first = max(first.context, key=lambda c: len(c.absolute_path)) if first.context else first
        where = "/".join(str(p) for p in first.absolute_path) or "(node)"
        reason = (f"the node's facts do not match the posture schema at {where} "
                  f"('{first.validator}' rule; {len(errors)} problem(s)): facts left out")
        name = node["name"] if isinstance(node.get("name"), str) and node["name"] else \
            f"node-{index}"
        bad = check("node.facts", "fail", reason, "run", "run", fix="bulwark_posture_facts")
        checks = [c for c in node["checks"] if c["id"] != "node.facts"] + [bad]
        fixed = {"name": name, "facts": None, "checks": checks, "cells": layer_cells(checks),
                 "verdict": verdict(name, checks)}
        if any(True for _e in validator.iter_errors(fixed)):
            fixed = {"name": name, "facts": None, "checks": [bad], "cells": layer_cells([bad]),
                     "verdict": verdict(name, [bad])}
        report["nodes"][index] = fixed
    if changed:
        report["summary"] = _summary(report)
    return report


def validate_report(report, schema=None):
    """Raise ReportError unless `report` matches the schema; returns the report."""
    import jsonschema  # controller only

    validator = jsonschema.Draft202012Validator(schema or load_schema())
    # a oneOf (null or object) error says only "not valid under any": name the inner cause
    errors = [
        max(e.context, key=lambda c: len(c.absolute_path)) if e.context else e
        for e in validator.iter_errors(report)
    ]
    errors.sort(key=lambda e: [str(p) for p in e.absolute_path])
    if errors:
        raise ReportError(
            "; ".join(
                f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: "
                f"{schema_error_text(e)[:300]}"
                for e in errors[:5]
            )
        )
    return report
