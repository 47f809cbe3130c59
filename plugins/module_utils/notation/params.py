# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Module options of the notation_* modules as plain data (no Ansible imports)."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.notation.runner import (
    Notation,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.params import (
    REGISTRY_ARGUMENT_SPEC,
)

# Options every notation_* module takes.
COMMON_ARGUMENT_SPEC = {
    **REGISTRY_ARGUMENT_SPEC,
    "notation_path": {"type": "path", "default": "notation"},
    "config_home": {"type": "path"},
    "crane_path": {"type": "path"},
    "insecure_registry": {"type": "bool", "default": False},
    "user_metadata": {"type": "dict", "default": {}},
}


def notation_from_params(params: dict, run) -> Notation:
    return Notation(params["notation_path"], run=run, config_home=params.get("config_home"),
                    insecure_registry=params["insecure_registry"],
                    crane=params.get("crane_path"))


def user_metadata(params: dict) -> dict:
    return {str(k): str(v) for k, v in (params.get("user_metadata") or {}).items()}
