# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Trivy's DB fixtures (aquasecurity/trivy integration/testdata/fixtures/db/*.yaml) read as
aquasecurity/bolt-fixtures loads them, into a tree for lab/trivy_db/bbolt.py.

bolt-fixtures semantics (fixtures.go): a file is a list of `{bucket, pairs}`; a pair with
`bucket` is a nested bucket (created if absent, so a bucket named twice is merged), otherwise
`key` gets `value`: a bool, integer, float or string as Go's fmt.Sprint writes it, anything
else as Go's json.Marshal writes it (map keys sorted, no spaces, <, >, & and U+2028/9 escaped,
whole floats without a fraction). A later Put of the same key replaces the value.

The YAML is read as go-yaml reads it into interface{}: plain timestamps stay strings, only
true/false (any case) are booleans and floats are YAML 1.2's (PyYAML's YAML 1.1 resolver would
also turn `yes`/`on` and dates into other types and keep `1e21` a string). Anything
bolt-fixtures or bbolt would refuse is refused here with ValueError naming the file and pair.
"""
from __future__ import annotations

import json
import math
import re
from decimal import Decimal
from pathlib import Path

import yaml

MAX_FIXTURE_BYTES = 16 << 20


class _GoYamlLoader(yaml.SafeLoader):  # pylint: disable=too-many-ancestors
    """SafeLoader without the timestamp type and with YAML 1.2 booleans only."""


_GoYamlLoader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers
            if tag not in ("tag:yaml.org,2002:timestamp", "tag:yaml.org,2002:bool",
                           "tag:yaml.org,2002:float")]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}
for _first in "tTfF":
    _GoYamlLoader.add_implicit_resolver(
        "tag:yaml.org,2002:bool", re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"), [_first])
# YAML 1.2 core floats: `1e21` is a number (YAML 1.1 wants a dot in the mantissa)
_GoYamlLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?"
               r"|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$"),
    list("-+0123456789."))


def _bool(loader, node):
    return loader.construct_scalar(node).lower() == "true"


_GoYamlLoader.add_constructor("tag:yaml.org,2002:bool", _bool)


def _digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits of a finite non-zero |value| and its decimal exponent."""
    sign_, digits, exponent = Decimal(repr(abs(value))).normalize().as_tuple()
    text = "".join(map(str, digits))
    return text, exponent + len(text) - 1


def _exponent_form(digits: str, exp: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{mantissa}e{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _plain_form(digits: str, exp: int) -> str:
    if exp < 0:
        return "0." + "0" * (-exp - 1) + digits
    if exp + 1 >= len(digits):
        return digits + "0" * (exp + 1 - len(digits))
    return digits[:exp + 1] + "." + digits[exp + 1:]


def go_sprint_float(value: float) -> str:
    """fmt.Sprint(float64): strconv 'g' with the shortest digits, in exponent form when the
    exponent is below -4 or from 6 (strconv uses precision 6 for that decision when shortest)."""
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, exp = _digits(value)
    sign = "-" if value < 0 else ""
    if exp < -4 or exp >= 6:
        return sign + _exponent_form(digits, exp)
    return sign + _plain_form(digits, exp)


def go_json_float(value: float) -> str:
    """json.Marshal(float64): like ES6, exponent form below 1e-6 and from 1e21 (e-7, not e-07)."""
    if value == 0:
        return "-0" if math.copysign(1, value) < 0 else "0"
    digits, exp = _digits(value)
    sign = "-" if value < 0 else ""
    if abs(value) < 1e-6 or abs(value) >= 1e21:
        return sign + re.sub(r"e([+-])0(\d)$", r"e\1\2", _exponent_form(digits, exp))
    return sign + _plain_form(digits, exp)


_GO_HTML_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026",
                    "\u2028": "\\u2028", "\u2029": "\\u2029"}


def go_json(value, where: str) -> str:
    """encoding/json.Marshal of what go-yaml decodes into interface{} (\\b and \\f as Go 1.22+
    writes them; Trivy 0.76 is built with Go 1.2x)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError(f"{where}: {value!r} is not a JSON number (json.Marshal refuses it)")
        return go_json_float(value)
    if isinstance(value, str):
        text = json.dumps(value, ensure_ascii=False)
        return re.sub("[<>&\u2028\u2029]", lambda m: _GO_HTML_ESCAPES[m.group()], text)
    if isinstance(value, list):
        return "[" + ",".join(go_json(v, f"{where}[{i}]") for i, v in enumerate(value)) + "]"
    if isinstance(value, dict):
        for key in value:
            if not isinstance(key, str):
                raise ValueError(f"{where}: map key {key!r} is not a string "
                                 "(json.Marshal refuses map[interface{{}}])")
        return "{" + ",".join(go_json(k, where) + ":" + go_json(value[k], f"{where}.{k}")
                              for k in sorted(value)) + "}"
    raise ValueError(f"{where}: unsupported YAML value of type {type(value).__name__}")


def go_value(value, where: str) -> bytes:
    """The bytes bolt-fixtures Puts for `value`."""
    if isinstance(value, bool):
        return b"true" if value else b"false"
    if isinstance(value, int):
        return str(value).encode()
    if isinstance(value, float):
        if math.isnan(value):
            return b"NaN"
        if math.isinf(value):
            return b"+Inf" if value > 0 else b"-Inf"
        return go_sprint_float(value).encode()
    if isinstance(value, str):
        return value.encode()
    return go_json(value, where).encode()


def _name(entry, field: str, where: str) -> bytes:
    value = entry.get(field)
    if isinstance(value, bool) or not isinstance(value, (str, int, float)) or value == "":
        raise ValueError(f"{where}: `{field}` must be a non-empty scalar, got {value!r}")
    return str(value).encode()


def _load_pairs(bucket: dict, pairs, where: str) -> None:
    if pairs is None:
        return
    if not isinstance(pairs, list):
        raise ValueError(f"{where}.pairs: a list, got {type(pairs).__name__}")
    for index, pair in enumerate(pairs):
        here = f"{where}.pairs[{index}]"
        if not isinstance(pair, dict):
            raise ValueError(f"{here}: a mapping, got {type(pair).__name__}")
        unknown = set(pair) - {"bucket", "pairs", "key", "value"}
        if unknown:
            raise ValueError(f"{here}: unknown field(s) {sorted(map(str, unknown))}")
        if pair.get("bucket") not in (None, ""):
            name = _name(pair, "bucket", here)
            child = bucket.setdefault(name, {})
            if not isinstance(child, dict):
                raise ValueError(f"{here}: bucket {name!r} is already a key (bbolt refuses it)")
            _load_pairs(child, pair.get("pairs"), here)
            continue
        key = _name(pair, "key", here)
        if isinstance(bucket.get(key), dict):
            raise ValueError(f"{here}: key {key!r} is already a bucket (bbolt refuses it)")
        bucket[key] = go_value(pair.get("value"), f"{here}.value")


def load(paths, tree: dict | None = None) -> dict:
    """The tree bolt-fixtures builds from `paths` (in order), merged into `tree` if given."""
    tree = {} if tree is None else tree
    for path in map(Path, paths):
        if not path.is_file():
            raise ValueError(f"{path}: not a regular file")
        if path.stat().st_size > MAX_FIXTURE_BYTES:
            raise ValueError(f"{path}: larger than {MAX_FIXTURE_BYTES} bytes")
        try:
            entries = yaml.load(path.read_text(encoding="utf-8"), Loader=_GoYamlLoader)  # noqa: S506
        except (yaml.YAMLError, UnicodeDecodeError) as err:
            raise ValueError(f"{path}: not readable YAML: {err}") from None
        if not isinstance(entries, list):
            raise ValueError(f"{path}: a list of {{bucket, pairs}}, got {type(entries).__name__}")
        for index, entry in enumerate(entries):
            where = f"{path}[{index}]"
            if not isinstance(entry, dict):
                raise ValueError(f"{where}: a mapping, got {type(entry).__name__}")
            name = _name(entry, "bucket", where)
            bucket = tree.setdefault(name, {})
            _load_pairs(bucket, entry.get("pairs"), where)
    return tree
