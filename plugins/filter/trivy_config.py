"""Filters for the trivy role: trivy.yaml and .trivyignore.yaml built and checked before writing.

Thin wrappers over plugins/module_utils/trivy_config.py; they return errors as data so the
role can fail with a readable message before any file on the host is touched.
"""
from __future__ import annotations

import datetime

from ansible_collections.bulwark.container_security.plugins.module_utils.trivy_config import (
    TrivyConfigError,
    build_config,
    build_ignore_policy,
    validate_config,
)


def trivy_config_document(settings, extra=None):
    """trivy.yaml as a mapping, or {'error': message} for unknown settings."""
    try:
        return build_config(settings, extra=extra or None)
    except TrivyConfigError as exc:
        return {"error": str(exc)}


def trivy_config_validate(document, schema):
    """List of error messages (empty when valid) against Trivy's schema made strict."""
    try:
        return validate_config(document, schema)
    except TrivyConfigError as exc:
        return [str(exc)]


def trivy_ignore_policy(entries, today=""):
    """{'document': ..., 'errors': [...], 'warnings': [...]} for .trivyignore.yaml."""
    day = datetime.date.fromisoformat(today) if today else None
    document, errors, warnings = build_ignore_policy(entries, today=day)
    return {"document": document, "errors": errors, "warnings": warnings}


class FilterModule:
    def filters(self):
        return {
            "trivy_config_document": trivy_config_document,
            "trivy_config_validate": trivy_config_validate,
            "trivy_ignore_policy": trivy_ignore_policy,
        }
