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
    for name in sorted(nodes):
        facts = nodes[name] or {}
        node_entries.append(
            node_entry(name, None if "error" in facts else facts, facts.get("error"))
        )
    cluster = None
    if bundle is not None:
        summary = cluster_summary(bundle)
        checks = cluster_checks(summary)
        cluster = dict(summary, checks=checks, verdict=verdict("cluster", checks))
    image_entries = [dict(state, checks=image_checks(state)) for state in images or []]
    every = (
        [c for n in node_entries for c in n["checks"]]
        + (cluster["checks"] if cluster else [])
        + [c for i in image_entries for c in i["checks"]]
    )
    counts = {s: sum(1 for c in every if c["status"] == s) for s in ("pass", "warn", "fail")}
    return {
        "schema_version": SCHEMA_VERSION,
        "generated": generated,
        "source": source,
        "summary": {
            "status": worst(c["status"] for c in every) or "pass",
            "counts": counts,
            "nodes": len(node_entries),
            "images": len(image_entries),
        },
        "nodes": node_entries,
        "cluster": cluster,
        "images": image_entries,
    }


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
                f"{'/'.join(str(p) for p in e.absolute_path) or '(root)'}: {e.message[:300]}"
                for e in errors[:5]
            )
        )
    return report
