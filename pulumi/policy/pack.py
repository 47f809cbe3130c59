# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The validation functions of the CrossGuard pack, without pulumi_policy (tests call them).

One function per pod security control; each reports the control's message for every Pod or
pod controller whose Pod template fails it. The settings are the stack's ``bulwark:policy``
mapping, read from ``policy-settings.yaml`` beside this file when present (Deny there makes a
control mandatory); without it every control is advisory.
"""
from __future__ import annotations

import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
if str(HERE.parent) not in sys.path:
    sys.path.insert(0, str(HERE.parent))        # pulumi/: the bulwark_platform package

from bulwark_platform import pod_checks  # noqa: E402

SETTINGS_FILE = HERE / "policy-settings.yaml"


def load_settings(path: Path = SETTINGS_FILE) -> dict:
    if not path.is_file():
        return {}
    import yaml

    return yaml.safe_load(path.read_text()) or {}


def validator(control: pod_checks.Control):
    """``validate(args, report_violation)`` as CrossGuard calls it for one resource."""
    def validate(args, report_violation) -> None:
        obj = pod_checks.manifest(args.resource_type, dict(args.props))
        if obj is None:
            return
        for message in control.violations(obj):
            report_violation(message)
    validate.__name__ = f"validate_{control.control}"
    return validate


def policies(settings: dict | None = None) -> list[tuple]:
    """[(name, description, mandatory, validate)] for every enabled control."""
    settings = load_settings() if settings is None else settings
    return [(c.name, c.description, c.mandatory, validator(c))
            for c in pod_checks.controls(settings)]
