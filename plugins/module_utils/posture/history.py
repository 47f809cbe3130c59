# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The matrix of a report as rows, and what changed since a previous report.

Plain Python, no Ansible imports. A previous report of schema 2 is checked against the schema
by report.read_previous before it gets here; one of schema 1 (the first posture.json) is
recognised here for the few things the history reads (each row's name and cells), and anything
else is refused naming the path.
"""

from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
    LAYERS,
    worst,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)

CELLS = ("pass", "warn", "fail", "unknown", None)


class HistoryError(ValueError):
    """A previous report that cannot be read; the message names the path."""


def _cells(value, where):
    if not isinstance(value, dict):
        raise HistoryError(f"{where}.cells is a {type(value).__name__}, not a mapping of layers")
    out = {}
    for layer in LAYERS:
        cell = value.get(layer)
        if cell not in CELLS:
            raise HistoryError(f"{where}.cells.{layer} is {one_line(repr(cell))[:40]}, not one of "
                               "pass, warn, fail, unknown or null")
        out[layer] = cell
    return out


def _image_cells_v1(image, where):
    checks = image.get("checks")
    if not isinstance(checks, list) or not all(
            isinstance(c, dict) and c.get("layer") in LAYERS and c.get("status") in CELLS[:3]
            for c in checks):
        raise HistoryError(f"{where}.checks is not a list of checks with layer and status")
    return {layer: worst(c["status"] for c in checks if c["layer"] == layer) for layer in LAYERS}


def matrix_rows(report, version=None):
    """[{key, label, kind, cells}] of a report: its nodes, the cluster, its images. `version`
    1 reads a schema-1 report (cells of images and the cluster derived as it rendered them)."""
    rows = []
    where = "previous report"
    nodes = report.get("nodes")
    if not isinstance(nodes, list):
        raise HistoryError(f"{where}.nodes is not a list")
    for index, node in enumerate(nodes):
        if not isinstance(node, dict) or not isinstance(node.get("name"), str):
            raise HistoryError(f"{where}.nodes[{index}] has no name")
        rows.append({"key": f"node:{node['name']}", "label": node["name"], "kind": "node",
                     "cells": _cells(node.get("cells"), f"{where}.nodes[{index}]")})
    cluster = report.get("cluster")
    if cluster is not None:
        if not isinstance(cluster, dict):
            raise HistoryError(f"{where}.cluster is a {type(cluster).__name__}, not a mapping")
        if version == 1:
            status = (cluster.get("verdict") or {}).get("status") \
                if isinstance(cluster.get("verdict"), dict) else None
            if status not in CELLS[:3]:
                raise HistoryError(f"{where}.cluster.verdict.status is not pass, warn or fail")
            cells = {layer: status if layer == "admit" else None for layer in LAYERS}
        else:
            cells = _cells(cluster.get("cells"), f"{where}.cluster")
        rows.append({"key": "cluster", "label": "cluster", "kind": "cluster", "cells": cells})
    images = report.get("images")
    if not isinstance(images, list):
        raise HistoryError(f"{where}.images is not a list")
    for index, image in enumerate(images):
        at = f"{where}.images[{index}]"
        if not isinstance(image, dict) or not isinstance(image.get("image"), str):
            raise HistoryError(f"{at} has no image reference")
        cells = _image_cells_v1(image, at) if version == 1 else _cells(image.get("cells"), at)
        rows.append({"key": f"image:{image['image']}", "label": image["image"], "kind": "image",
                     "cells": cells})
    return rows


def compare(previous_rows, current_rows, previous_generated, previous_version):
    """The history block of a report: each current row with its previous cells beside, the
    rows that are new, the ones gone, and how many cells changed."""
    before = {r["key"]: r for r in previous_rows}
    rows, changed = [], 0
    for row in current_rows:
        old = before.get(row["key"])
        cells = {}
        for layer in LAYERS:
            was = old["cells"][layer] if old else None
            now = row["cells"][layer]
            differs = old is not None and was != now
            changed += differs
            cells[layer] = {"previous": was, "changed": differs}
        state = "new" if old is None else "changed" if any(
            c["changed"] for c in cells.values()) else "same"
        rows.append({"key": row["key"], "state": state, "cells": cells})
    current = {r["key"] for r in current_rows}
    gone = [r["label"] for r in previous_rows if r["key"] not in current]
    return {"previous_generated": one_line(previous_generated)[:80],
            "previous_schema_version": previous_version, "changed": changed,
            "rows": rows, "gone": gone}
