# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters for playbooks/posture.yml (logic and rendering in module_utils.posture)."""
from __future__ import annotations

from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    shown,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.cluster import (
    image_state,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.page import (
    render_html,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.render import (
    render_json,
    render_markdown,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.report import (
    ReportError,
    build_report,
    contain_nodes,
    history_of,
    validate_report,
)

RENDERERS = {"json": render_json, "html": render_html, "markdown": render_markdown}


def _node(result):
    """The facts of a registered bulwark_posture_facts result, or why there are none."""
    if isinstance(result, dict) and isinstance(result.get("posture"), dict):
        return result["posture"]
    if isinstance(result, dict) and result.get("posture") is not None:
        return {"error": f"the node's posture facts are a {type(result['posture']).__name__}, "
                         "not a mapping"}
    message = result.get("msg") if isinstance(result, dict) else None
    return {"error": str(message or "no answer (unreachable, or failed before the posture task)")}


def posture_report(nodes, bundle=None, images=None, signatures=None, attestations=None,  # noqa: PLR0913
                   generated="", source="", attestation_max_age_hours=168, live=None,
                   live_source="", previous=None):
    """The posture report of `nodes` ({name: registered module result}), checked against its
    schema. `signatures` and `attestations` are the cosign results, one per image of `images`;
    `live` the k8s_info results of playbooks/tasks/posture_cluster_live.yml (the cluster as it
    runs), `live_source` what they were read from; `previous` an earlier posture.json (its path on
    the controller, or its document) whose verdicts are shown beside the new ones."""
    try:
        expect(nodes, dict, "posture_report: the nodes")
        images = list(expect(images, (list, tuple), "posture_report: images", True) or [])
        signatures = list(expect(signatures, (list, tuple), "posture_report: signatures",
                                 True) or [])
        attestations = list(expect(attestations, (list, tuple), "posture_report: attestations",
                                   True) or [])
    except ValueError as exc:
        raise AnsibleFilterError(str(exc)) from None
    if not len(signatures) == len(attestations) == len(images):
        raise AnsibleFilterError(f"posture_report: {len(images)} images but {len(signatures)} "
                                 f"signature and {len(attestations)} attestation results")
    try:
        states = [image_state(image, sig, att, generated, attestation_max_age_hours)
                  for image, sig, att in zip(images, signatures, attestations)]
        facts = {name: _node(result) for name, result in nodes.items()}
        # one node's odd facts fail that node's checks, not the report of the whole fleet
        report = contain_nodes(build_report(facts, bundle, states, generated, source,
                                            live=live, live_source=live_source))
        if previous is not None:   # after containment: the history compares the final cells
            report["history"] = history_of(report, previous)
        return validate_report(report)
    except (ReportError, KeyError, TypeError, ValueError) as exc:
        raise AnsibleFilterError(f"posture_report: {exc}") from exc


def posture_render(report, output_format):
    """`report` as posture.json, posture.html or posture.md text."""
    if not isinstance(output_format, str) or output_format not in RENDERERS:
        raise AnsibleFilterError(f"posture_render: format {shown(output_format)} is not one of "
                                 f"{', '.join(RENDERERS)}")
    try:   # what posture_report returned (or a posture.json read back): schema-checked first
        validate_report(expect(report, dict, "posture_render: the report"))
    except (ReportError, ValueError) as exc:
        raise AnsibleFilterError(f"posture_render: {exc}") from None
    return RENDERERS[output_format](report)


class FilterModule:
    def filters(self):
        return {"posture_report": posture_report, "posture_render": posture_render}
