# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters over the collection's release artifact catalog (logic in module_utils)."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
    ArtifactError,
    plan,
)


def release_artifact_plan(tool, version, architecture, mirror_url="", base_url="", sha256="",
                          denylist=None, verification=None, allow_insecure_mirror=False,
                          pins=None):
    """Return the install plan of one artifact, or {'error': message} for bad input.
    `allow_insecure_mirror` must be the boolean true (release_artifact_allow_insecure_mirror)
    for a plain-HTTP mirror to be accepted; a string such as "yes" is not."""
    try:
        return plan(tool, version, architecture, mirror_url=mirror_url or None,
                    base_url=base_url or None, sha256=sha256 or None, denylist=denylist,
                    verification=verification,
                    allow_insecure_mirror=allow_insecure_mirror is True, pins=pins)
    except ArtifactError as exc:
        return {"error": str(exc)}


class FilterModule:
    def filters(self):
        return {"release_artifact_plan": release_artifact_plan}
