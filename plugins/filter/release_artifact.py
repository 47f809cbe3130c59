"""Filters over the collection's release artifact catalog (logic in module_utils)."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
    ArtifactError,
    plan,
)


def release_artifact_plan(tool, version, architecture, mirror_url="", base_url="", sha256="",
                          denylist=None, verification=None):
    """Return the install plan of one artifact, or {'error': message} for bad input."""
    try:
        return plan(tool, version, architecture, mirror_url=mirror_url or None,
                    base_url=base_url or None, sha256=sha256 or None, denylist=denylist,
                    verification=verification)
    except ArtifactError as exc:
        return {"error": str(exc)}


class FilterModule:
    def filters(self):
        return {"release_artifact_plan": release_artifact_plan}
