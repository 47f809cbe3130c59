#!/usr/bin/env python3
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The Falco rules linter as a command line, shipped in the collection's bin/.

    python3 bin/falco_rules_lint.py [--schema rules.schema.json] [--fields FILE] [--expand] \
        [--falco-version 0.44.1] FILE|DIR...

prints one line per problem, ``FILE:LINE: rule 'NAME': message``, and exits 1 when there are
errors (2 without PyYAML). The linting is plugins/module_utils/falco/ (linter.py), imported
through the collection's namespace, the one import path modules, tests and the Pulumi program
use; the command line lives here because module_utils code runs inside modules, which report
through exit_json rather than print and exit. Three layouts work (collections_root): the
installed collection (this file in <path>/ansible_collections/bulwark/container_security/bin/),
the checkout (the collection linked under .collections/, created here when missing, as
`make venv` and the tests do), and a copy on a node (this file beside an
ansible_collections/bulwark/container_security tree holding plugins/module_utils/falco/).
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
COLLECTION = ("ansible_collections", "bulwark", "container_security")


def collections_root(here: Path = HERE) -> Path:
    """The directory to put on sys.path so that ``ansible_collections.bulwark.container_security``
    imports the collection this file belongs to."""
    if here.joinpath(*COLLECTION).is_dir():        # copied to a node beside the package
        return here
    collection = here.parent
    if tuple(p.name for p in collection.parents[:2]) == COLLECTION[1::-1] \
            and collection.name == COLLECTION[2]:
        return collection.parents[2]               # installed: the collections path itself
    root = collection / ".collections"             # a checkout
    link = root.joinpath(*COLLECTION)
    if not link.exists():
        link.parent.mkdir(parents=True, exist_ok=True)
        link.symlink_to(collection)
    return root


def main(argv=None) -> int:
    # Imported here: run as a script, the collection is on sys.path only once
    # collections_root() has put it there.
    from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
        engine,
        field_lookup,
        linter,
        loader,
    )
    from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
        fields as catalog,
    )

    ap = argparse.ArgumentParser(description="Lint Falco rules files (Falco's loading semantics).")
    ap.add_argument("--schema", help="Falco's rules JSON schema (falco --rule-schema)")
    ap.add_argument("--fields", help="extra fields, e.g. the output of `falco --list` on a node "
                                     "with plugins: field names at the start of lines")
    ap.add_argument("--falco-version", default=engine.PINNED_FALCO_VERSION,
                    choices=sorted(engine.FALCO_ENGINE_VERSIONS),
                    help="the Falco release whose engine version required_engine_version is "
                         "checked against (default: %(default)s, the falco role's pin)")
    ap.add_argument("--expand", action="store_true", help="print the expanded conditions as JSON")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    if loader.yaml is None:
        print(f"falco rules lint: {loader.PYYAML_MISSING}", file=sys.stderr)
        return 2
    fields = None
    if a.fields:
        fields = dict(catalog.FIELDS)
        fields.update(field_lookup.read_field_list(Path(a.fields).read_text()))
    try:
        result = linter.lint_paths(a.files, a.schema, fields, a.falco_version)
    except ValueError as exc:  # an unreadable --schema: one line naming the file, no traceback
        print(f"falco rules lint: {exc}", file=sys.stderr)
        return 2
    if a.expand:
        print(json.dumps(result.expanded, indent=1))
    for w in result.warnings:
        print(f"note: {w.message}" if w.file == "-" else f"warning: {w}", file=sys.stderr)
    for e in result.errors:
        print(e)
    if not a.expand:
        print(f"{len(result.errors)} error(s), {len(result.warnings)} warning(s) in "
              f"{len(a.files)} file(s)", file=sys.stderr)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.path.insert(0, str(collections_root()))
    sys.exit(main())
