# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Falco configuration drop-ins checked against Falco's own config JSON schema.

Plain Python, no Ansible imports. The schema is upstream's (`falco --config-schema`), shipped in
roles/falco/files/config.schema.json; each drop-in is checked on its own, as Falco checks every
file of config.d when it merges them.
"""
from __future__ import annotations

import re

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    expect,
    expect_items,
    got,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
    redact,
)

# Option names whose value may carry a credential: never echoed in a message (Falco's
# program_output.program and http_output.url hold tokens, trivy's registry.password...).
SECRET_KEY = re.compile(r"(?i)pass|token|secret|key|cred|auth|url|program|header|cert")
# Validators whose message names keys of the schema, never a value of the document.
_KEY_VALIDATORS = {"required", "additionalProperties", "dependentRequired", "dependencies",
                   "propertyNames"}
_JSON_TYPES = ((bool, "boolean"), (int, "integer"), (float, "number"), (str, "string"),
               (list, "array"), (dict, "object"), (type(None), "null"))


def json_type(value) -> str:
    return next((name for cls, name in _JSON_TYPES if isinstance(value, cls)),
                type(value).__name__)


def schema_error_text(error) -> str:
    """The message of one jsonschema error that never shows a secret: the value is shown only
    when it is a scalar under no secret-bearing key (SECRET_KEY); otherwise the message says
    the expected and the given type, or which schema rule failed, and nothing of the value.
    What is shown still goes through redaction (URL userinfo, keyed credentials)."""
    path = [str(p) for p in error.absolute_path]
    hidden = isinstance(error.instance, (list, dict)) or any(SECRET_KEY.search(p) for p in path)
    if error.validator in _KEY_VALIDATORS or not hidden:
        return one_line(redact(error.message))
    if error.validator == "type":
        expected = error.validator_value
        expected = " or ".join(expected) if isinstance(expected, list) else str(expected)
        return f"expected {expected}, got {json_type(error.instance)} (value not shown)"
    return (f"the {json_type(error.instance)} given does not satisfy the schema's "
            f"'{error.validator}' rule (value not shown)")


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
