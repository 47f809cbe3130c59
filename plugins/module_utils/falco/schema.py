# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Falco's rules JSON schema: loading it, and a fast yes/no check of its subset.
"""
from __future__ import annotations

import json
from pathlib import Path

_SCHEMA_KEYWORDS = {"type", "enum", "properties", "additionalProperties", "required", "items",
                    "anyOf", "$ref", "minProperties", "title", "$schema", "definitions"}
_JSON_TYPES = {"string": (str,), "integer": (int,), "number": (int, float), "boolean": (bool,),
               "array": (list,), "object": (dict,), "null": (type(None),)}


class _FastSchema:
    """A quick yes/no for the JSON-schema subset Falco's rules schema uses.

    jsonschema stays the validator of record (it writes the messages); this only lets valid
    items - nearly all of them - skip it, which makes the schema check about 10x cheaper.
    `usable` is False when the schema has a keyword this subset does not know.
    """

    def __init__(self, schema: dict):
        self.root = schema
        self.usable = self._known(schema)
        self._check = None

    def _known(self, node) -> bool:
        if isinstance(node, dict):
            if not set(node) <= _SCHEMA_KEYWORDS:
                return False
            subs = [node.get("items"), *(node.get("anyOf") or []),
                    *(node.get("properties") or {}).values(),
                    *(node.get("definitions") or {}).values()]
            if not isinstance(node.get("additionalProperties", False), bool):
                return False
            return all(self._known(x) for x in subs if x is not None)
        return False

    def valid(self, value) -> bool:
        if self._check is None:
            self._compiled = {}
            self._check = self._compile(self.root)
        return self._check(value)

    def _compile(self, node):  # noqa: PLR0911
        """A closure per schema node, so each item costs a few dict lookups."""
        ref = node.get("$ref")
        if ref is not None:
            name = ref.rsplit("/", 1)[-1]
            if name not in self._compiled:
                self._compiled[name] = None          # recursion guard
                self._compiled[name] = self._compile(self.root["definitions"][name])
            compiled = self._compiled

            def by_ref(value, name=name):
                return compiled[name](value)
            return by_ref
        checks = []
        typ = node.get("type")
        if typ is not None:
            types = _JSON_TYPES[typ]
            numeric = typ in ("integer", "number")
            checks.append(lambda v: isinstance(v, types) and not (numeric and isinstance(v, bool)))
        if "enum" in node:
            enum = node["enum"]
            checks.append(lambda v: v in enum)
        if "anyOf" in node:
            alternatives = [self._compile(n) for n in node["anyOf"]]
            checks.append(lambda v: any(a(v) for a in alternatives))
        if "items" in node:
            item = self._compile(node["items"])
            checks.append(lambda v: not isinstance(v, list) or all(item(x) for x in v))
        if any(k in node for k in ("properties", "required", "minProperties")) or \
                node.get("additionalProperties") is False:
            props = {k: self._compile(n) for k, n in (node.get("properties") or {}).items()}
            closed = node.get("additionalProperties", True) is False
            required = tuple(node.get("required", ()))
            minimum = node.get("minProperties", 0)

            def mapping(v):
                if not isinstance(v, dict):
                    return True
                if closed and not v.keys() <= props.keys():
                    return False
                if len(v) < minimum or any(k not in v for k in required):
                    return False
                return all(props[k](x) for k, x in v.items() if k in props)
            checks.append(mapping)
        if not checks:
            return lambda v: True
        if len(checks) == 1:
            return checks[0]
        return lambda v: all(c(v) for c in checks)


class RulesSchemaError(ValueError):
    """The rules schema file cannot be read or is not JSON (the message names the file)."""


def _load_schema(schema) -> dict | None:
    if schema is None or isinstance(schema, dict):
        return schema
    try:
        return json.loads(Path(schema).read_text(encoding="utf-8"))
    except OSError as exc:
        reason = exc.strerror or str(exc)
    except ValueError as exc:   # UnicodeDecodeError and JSONDecodeError are ValueErrors
        reason = f"not a UTF-8 JSON document ({exc})"
    raise RulesSchemaError(f"schema={str(schema)!r}: cannot read Falco's rules JSON schema: "
                           f"{reason}")
