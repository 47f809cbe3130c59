# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The rules linter as a command line.

    python -m ansible_collections.bulwark.container_security.plugins.module_utils.falco.cli \
        [--schema rules.schema.json] [--fields FILE] [--expand] FILE|DIR...

(or tools/falco_rules_lint.py, which finds the collection itself) prints one line per problem,
``FILE:LINE: rule 'NAME': message``, and exits 1 when there are errors.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.field_lookup import (
    read_field_list,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.fields import FIELDS
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.linter import (
    lint_paths,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.loader import (
    PYYAML_MISSING,
    yaml,
)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Lint Falco rules files (Falco's loading semantics).")
    ap.add_argument("--schema", help="Falco's rules JSON schema (falco --rule-schema)")
    ap.add_argument("--fields", help="extra fields, e.g. the output of `falco --list` on a node "
                                     "with plugins: field names at the start of lines")
    ap.add_argument("--expand", action="store_true", help="print the expanded conditions as JSON")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    if yaml is None:
        print(f"falco rules lint: {PYYAML_MISSING}", file=sys.stderr)
        return 2
    fields = None
    if a.fields:
        fields = dict(FIELDS)
        fields.update(read_field_list(Path(a.fields).read_text()))
    result = lint_paths(a.files, a.schema, fields)
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
    sys.exit(main())
