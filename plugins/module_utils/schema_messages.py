# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""JSON-schema error messages that never show a secret (Falco's config.d drop-ins, trivy.yaml).

Plain Python, no Ansible imports; it imports nothing of the collection but redaction.py.
"""
from __future__ import annotations

import re

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
