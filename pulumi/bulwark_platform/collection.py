# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Make the collection importable through its namespace, once, so each module exists once.

The Pulumi program and the CrossGuard pack import the collection's module_utils the way its
modules and filters do (``ansible_collections.bulwark.container_security.plugins.module_utils
...``). An installed collection (on sys.path already, e.g. in the virtualenv's site-packages as
the ``ansible`` package installs collections) is used as it is. Otherwise the checkout this
file lives in (two directories up: ``pulumi/bulwark_platform/`` for the program,
``pulumi/policy/`` for the pack) is linked at ``<checkout>/.collections/ansible_collections/
bulwark/container_security`` (what ``make venv`` and the tests create) and ``.collections``
goes on sys.path. Neither: an ImportError saying so.

The program (bulwark_platform/collection.py) and the pack (policy/bulwark_collection.py) hold
byte-identical copies: the pack is published alone, so it cannot import the program's.
"""
from __future__ import annotations

import importlib
import sys
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parents[2]
COLLECTIONS = CHECKOUT / ".collections"
NAMESPACE = ("ansible_collections", "bulwark", "container_security")
MODULE = ".".join(NAMESPACE)


def _installed() -> bool:
    try:
        importlib.import_module(MODULE)
    except ModuleNotFoundError as exc:
        if exc.name is None or not MODULE.startswith(exc.name):
            raise                       # something inside the collection is missing: say so
        return False
    return True


def ensure_importable() -> None:
    if _installed():
        return
    if not (CHECKOUT / "galaxy.yml").is_file() or not (CHECKOUT / "plugins").is_dir():
        raise ImportError(f"the collection {MODULE} is not installed, and {CHECKOUT} is not its "
                          "checkout (no galaxy.yml and plugins/ there): install the collection "
                          "where Python finds it, or run from a clone of the repository")
    link = COLLECTIONS.joinpath(*NAMESPACE)
    if not link.exists() and not link.is_symlink():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(CHECKOUT)
    if str(COLLECTIONS) not in sys.path:
        sys.path.insert(0, str(COLLECTIONS))
    importlib.invalidate_caches()
    importlib.import_module(MODULE)
