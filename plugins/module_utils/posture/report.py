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
    STATUSES,
    check,
    node_checks,
    verdict,
    vulnerabilities,
    worst,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.cluster import (
    cluster_checks,
    cluster_summary,
    image_checks,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.history import (
    HistoryError,
    compare,
    matrix_rows,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.live import (
    live_cluster,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    MAX_CONFIG_BYTES,
    InputError,
    load_json_file,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.schema_messages import (
    schema_error_text,
)

# 2: checks carry control, subject, group and unread; cells may be "unknown"; nodes carry their
# CVE table, images and the cluster their cells; the cluster says its state (intended or live);
# the summary counts per part; an optional history. Version 1 is read only as a previous report.
SCHEMA_VERSION = 2
READABLE_PREVIOUS = (1, 2)
SCHEMA_PATH = os.path.join(os.path.dirname(os.path.abspath(__file__)), "posture.schema.json")


class ReportError(ValueError):
    """A report that does not match the schema; the message names the path and the problem."""


def load_schema():
    with open(SCHEMA_PATH, encoding="utf-8") as handle:
        return json.load(handle)


def layer_cells(checks, read=True):
    """{layer: cell} for the matrix: a failure that was read; else "unknown" where a check could
    not read its input (or, `read` false, the layer has no check: nothing was read); else the
    worst status; None (not applicable) for a layer without checks."""
    cells = {}
    for layer in LAYERS:
        mine = [c for c in checks if c["layer"] == layer]
        known = [c for c in mine if not c.get("unread")]
        if any(c["status"] == "fail" for c in known):
            cells[layer] = "fail"
        elif len(known) < len(mine) or (not mine and not read):
            cells[layer] = "unknown"
        else:
            cells[layer] = worst(c["status"] for c in known)
    return cells


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
                unread=True,
            )
        ]
        facts = None
    else:
        checks = node_checks(facts)
    return {
        "name": name,
        "facts": facts,
        "checks": checks,
        "cells": layer_cells(checks, read=facts is not None),
        "verdict": verdict(name, checks),
        "vulnerabilities": vulnerabilities(facts) if facts else [],
    }


def _cluster(bundle, live, generated, live_source):
    """The cluster side: what the cluster runs when `live` (the k8s_info answers) is given,
    else what kyverno_policy_settings intend (`bundle`), else None."""
    if live is not None:
        cluster = live_cluster(live, generated, bundle, live_source)
    elif bundle is not None:
        summary = cluster_summary(bundle)
        cluster = dict(summary, state="intended", source="kyverno_policy_settings (not read from "
                       "a cluster)", reports=[], exceptions=[], unread=[],
                       checks=cluster_checks(summary))
    else:
        return None
    cells = layer_cells(cluster["checks"])
    return dict(cluster, cells={layer: cells["admit"] if layer == "admit" else None
                                for layer in LAYERS},
                verdict=verdict("cluster", cluster["checks"]))


def build_report(nodes, bundle=None, images=None, generated="", source="", live=None,  # noqa: PLR0913
                 live_source="", previous=None):
    """The whole report. `nodes`: {name: facts} or {name: {"error": msg}} for a node that failed;
    `bundle`: the policy bundle's manifests (None: no cluster side); `images`: image states;
    `live`: the k8s_info answers of the cluster (None: the bundle is shown as intended);
    `previous`: an earlier posture.json (its path or its document) for the history."""
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
    image_entries = []
    for state in images or []:
        checks = image_checks(state)
        image_entries.append(dict(state, checks=checks, cells=layer_cells(checks)))
    report = {
        "schema_version": SCHEMA_VERSION,
        "generated": generated,
        "source": source,
        "summary": None,
        "nodes": node_entries,
        "cluster": _cluster(bundle, live, generated, live_source),
        "images": image_entries,
        "history": None,
    }
    report["summary"] = _summary(report)
    if previous is not None:
        report["history"] = history_of(report, previous)
    return report


def _counts(checks):
    return {s: sum(1 for c in checks if c["status"] == s) for s in STATUSES}


def _summary(report):
    parts = {
        "nodes": [c for n in report["nodes"] for c in n["checks"]],
        "cluster": report["cluster"]["checks"] if report["cluster"] else [],
        "images": [c for i in report["images"] for c in i["checks"]],
    }
    every = [c for part in parts.values() for c in part]
    rows = [n["cells"] for n in report["nodes"]] + [i["cells"] for i in report["images"]] + (
        [report["cluster"]["cells"]] if report["cluster"] else [])
    return {
        "status": worst(c["status"] for c in every) or "pass",
        "counts": _counts(every),
        "parts": {name: _counts(checks) for name, checks in parts.items()},
        "failing": {
            "nodes": sum(1 for n in report["nodes"] if n["verdict"]["status"] == "fail"),
            "images": sum(1 for i in report["images"]
                          if any(c["status"] == "fail" for c in i["checks"])),
        },
        "unknown_cells": sum(1 for cells in rows for v in cells.values() if v == "unknown"),
        "nodes": len(report["nodes"]),
        "images": len(report["images"]),
    }


def read_previous(previous):
    """(document, schema version) of a previous report: the path of a posture.json (a regular
    file, at most MAX_CONFIG_BYTES) or its document; schema 2 checked against the schema,
    schema 1 recognised by history.matrix_rows; anything else a ReportError naming it."""
    if isinstance(previous, str):
        try:
            previous = load_json_file(previous, "the previous report", MAX_CONFIG_BYTES)
        except InputError as exc:
            raise ReportError(str(exc)) from None
    if not isinstance(previous, dict):
        raise ReportError(f"the previous report is a {type(previous).__name__}, not a posture "
                          "report (a JSON object)")
    version = previous.get("schema_version")
    if isinstance(version, bool) or not isinstance(version, int) \
            or version not in READABLE_PREVIOUS:
        raise ReportError(f"the previous report has schema_version {repr(version)[:20]}; this "
                          f"Bulwark reads posture reports of schema "
                          f"{', '.join(map(str, READABLE_PREVIOUS))}")
    if version == SCHEMA_VERSION:
        try:
            validate_report(previous)
        except ReportError as exc:
            raise ReportError(f"the previous report: {exc}") from None
    elif not isinstance(previous.get("generated"), str):
        raise ReportError("the previous report has no generated time (text)")
    return previous, version


def history_of(report, previous):
    document, version = read_previous(previous)
    try:
        before = matrix_rows(document, version)
    except HistoryError as exc:
        raise ReportError(str(exc)) from None
    return compare(before, matrix_rows(report), document["generated"], version)


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
        bad = check("node.facts", "fail", reason, "run", "run", fix="bulwark_posture_facts",
                    unread=True)
        checks = [c for c in node["checks"] if c["id"] != "node.facts"] + [bad]
        fixed = {"name": name, "facts": None, "checks": checks,
                 "cells": layer_cells(checks, read=False), "verdict": verdict(name, checks),
                 "vulnerabilities": []}
        if any(True for _e in validator.iter_errors(fixed)):
            fixed = {"name": name, "facts": None, "checks": [bad],
                     "cells": layer_cells([bad], read=False), "verdict": verdict(name, [bad]),
                     "vulnerabilities": []}
        report["nodes"][index] = fixed
    if changed:
        report["summary"] = _summary(report)
    return report


def validate_report(report, schema=None):
    """Raise ReportError unless `report` matches the schema; returns the report."""
    import jsonschema  # controller only

    if not isinstance(report, dict):
        raise ReportError(f"(root): a posture report is a mapping, not a {type(report).__name__}")
    version = report.get("schema_version")
    if not isinstance(version, int) or isinstance(version, bool) or version != SCHEMA_VERSION:
        raise ReportError(f"schema_version: {repr(version)[:20]} is not {SCHEMA_VERSION}, the "
                          "posture.json this Bulwark writes and renders (build it again with "
                          "posture_report)")
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
