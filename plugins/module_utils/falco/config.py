# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Falco configuration drop-ins checked against Falco's own config JSON schema.

Plain Python, no Ansible imports (schema_messages.py words the errors). The schema is
upstream's (`falco --config-schema`), shipped in roles/falco/files/config.schema.json; each
drop-in is checked on its own, as Falco checks every file of config.d when it merges them.
The falco role's filters (plugins/filter/falco_config.py) call it on the controller.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    expect_items,
    got,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.schema_messages import (
    schema_error_text,
)


def config_errors(config, schema):
    """Schema violations of one drop-in as 'path: message' strings (empty list = valid)."""
    import jsonschema  # controller-side dependency (requirements.txt), imported late on purpose

    if isinstance(schema, str):
        import json
        schema = json.loads(schema)
    expect(schema, dict, "the Falco config schema")
    validator_cls = jsonschema.validators.validator_for(schema)
    try:
        validator_cls.check_schema(schema)
    except jsonschema.exceptions.SchemaError as exc:
        raise ValueError(f"the Falco config schema is not a JSON schema: {exc.message}") from None
    validator = validator_cls(schema, format_checker=validator_cls.FORMAT_CHECKER)
    errors = []
    for error in sorted(validator.iter_errors(config), key=lambda e: list(e.absolute_path)):
        where = ".".join(str(p) for p in error.absolute_path) or "(top level)"
        errors.append(f"{where}: {schema_error_text(error)}")
    return errors


def gpg_primary_fingerprints(colon_lines):
    """Primary-key fingerprints from `gpg --show-keys --with-colons` output (subkeys skipped)."""
    expect_items(colon_lines, (list, tuple), "the gpg colon lines", str)
    fingerprints, previous = [], ""
    for line in colon_lines:
        fields = line.split(":")
        if fields[0] == "fpr" and previous == "pub" and len(fields) > 9:
            fingerprints.append(fields[9].upper())
        previous = fields[0]
    return fingerprints


def validate_argv(files, file_option=""):
    """The arguments a rules validation command gets for ``files``, in order.

    ``falco -V FILE -V FILE`` needs the option before each file; the collection's linter
    (``file_option=""``) takes the files alone.
    """
    if isinstance(files, str) or not isinstance(files, (list, tuple)):
        raise ValueError(f"files must be a list of paths, got {got(files)}")
    option = [file_option] if file_option else []
    return [arg for path in files for arg in [*option, str(path)]]
