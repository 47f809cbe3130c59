#!/usr/bin/env python3
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The Falco rules linter CLI, runnable without installing the collection.

    python3 tools/falco_rules_lint.py [--schema rules.schema.json] [--fields FILE] FILE|DIR...

Finds the collection and runs plugins/module_utils/falco/cli.py through the collection's
namespace, the one import path modules, tests and the Pulumi program use. Two layouts work:
the checkout (this file in tools/, the collection linked under .collections/, created here
when missing, as `make venv` and the tests do), and a copy on a node (this file beside an
ansible_collections/bulwark/container_security tree holding plugins/module_utils/falco/).
"""
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLLECTION = ("ansible_collections", "bulwark", "container_security")


def collections_root() -> Path:
    if HERE.joinpath(*COLLECTION).is_dir():        # copied to a node beside the package
        return HERE
    checkout = HERE.parent
    root = checkout / ".collections"
    link = root.joinpath(*COLLECTION)
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(checkout)
    return root


if __name__ == "__main__":
    sys.path.insert(0, str(collections_root()))
    from ansible_collections.bulwark.container_security.plugins.module_utils.falco.cli import main

    sys.exit(main())
