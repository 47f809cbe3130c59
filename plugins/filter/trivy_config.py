# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Filters for the trivy role: trivy.yaml and .trivyignore.yaml built and checked before writing.

Thin wrappers over plugins/module_utils/trivy/config.py and trivy/ignores.py (the one ignore
model the trivy_gate and trivy_scan modules also use); they return errors as data so the
role can fail with a readable message before any file on the host is touched.
"""
from __future__ import annotations

import datetime

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import one_line
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.config import (
    TrivyConfigError,
    build_config,
    validate_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.ignores import (
    build_ignore_policy,
)


def trivy_config_document(settings, extra=None):
    """trivy.yaml as a mapping, or {'error': message} for unknown settings."""
    try:
        expect(settings, dict, "trivy_config_document: the settings", optional=True)
        expect(extra, dict, "trivy_config_document: extra", optional=True)
        return build_config(settings, extra=extra or None)
    except (TrivyConfigError, InputError) as exc:
        return {"error": str(exc)}


def trivy_config_validate(document, schema):
    """List of error messages (empty when valid) against Trivy's schema made strict."""
    try:
        expect(document, dict, "trivy_config_validate: the document")
        expect(schema, dict, "trivy_config_validate: the schema")
        return validate_config(document, schema)
    except (TrivyConfigError, InputError) as exc:
        return [str(exc)]


def trivy_ignore_policy(entries, today=""):
    """{'document': ..., 'errors': [...], 'warnings': [...]} for .trivyignore.yaml.

    ``today`` (YYYY-MM-DD) defaults to today's UTC date: an entry expires on its expired_at day.
    """
    expect(today, str, "trivy_ignore_policy: today", optional=True)
    try:
        day = datetime.date.fromisoformat(today) if today else None
    except ValueError:
        raise InputError(f"trivy_ignore_policy: today {one_line(today)[:40]!r} is not a date "
                         f"like 2026-12-07") from None
    document, errors, warnings = build_ignore_policy(entries, today=day)
    return {"document": document, "errors": errors, "warnings": warnings}


class FilterModule:
    def filters(self):
        return {
            "trivy_config_document": trivy_config_document,
            "trivy_config_validate": trivy_config_validate,
            "trivy_ignore_policy": trivy_ignore_policy,
        }
