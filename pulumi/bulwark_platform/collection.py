# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Make the collection importable through its namespace, once, so each module exists once.

The program imports the policy builders and the name rules the way the collection's modules
and filters do (``ansible_collections.bulwark.container_security.plugins.module_utils...``).
An installed collection (ansible-galaxy, a venv) is used as it is. Otherwise the checkout this
program lives in is linked at ``<checkout>/.collections/ansible_collections/bulwark/
container_security`` (what ``make venv`` and the tests create) and ``.collections`` goes on
sys.path.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
COLLECTIONS = CHECKOUT / ".collections"
NAMESPACE = ("ansible_collections", "bulwark", "container_security")


def _installed() -> bool:
    try:
        importlib.import_module(".".join(NAMESPACE))
    except ImportError:
        return False
    return True


def ensure_importable() -> None:
    if _installed():
        return
    link = COLLECTIONS.joinpath(*NAMESPACE)
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(CHECKOUT)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    importlib.invalidate_caches()
