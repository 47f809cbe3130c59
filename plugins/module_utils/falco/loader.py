# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Loading Falco rules files in order with Falco's semantics.

``list``, ``macro`` and ``rule`` items, ``override`` (append/replace per key), the legacy
``append: true``, ``exceptions`` and ``enabled``; each item is checked against Falco's rules
JSON schema when one is given (jsonschema is optional). The checks of the loaded items live
in linter.py.
"""
from __future__ import annotations

from dataclasses import dataclass, field

try:
    import yaml
except ImportError:     # lint_paths raises, the CLI says what to install
    yaml = None

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.engine import (
    PINNED_FALCO_VERSION,
    engine_version,
    required_engine_version_problem,
    yaml_cpp_bool,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.field_lookup import (
    lookup_field,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.fields import FIELDS
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.results import (
    LintResult,
    Problem,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.schema import (
    _FastSchema,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    MAX_CONFIG_BYTES,
    MAX_DEPTH,
    MAX_YAML_ALIASES,
    MAX_YAML_EXPANDED_NODES,
    InputError,
    read_bytes,
)

PYYAML_MISSING = "PyYAML is required to read rules files (Debian/Ubuntu: apt install python3-yaml)"

PRIORITIES = ("EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO",
              "INFORMATIONAL", "DEBUG")
KINDS = ("rule", "macro", "list", "required_engine_version", "required_plugin_versions")

OVERRIDE_APPENDABLE = {
    "rule": {"condition", "output", "desc", "tags", "exceptions"},
    "macro": {"condition"},
    "list": {"items"},
}
OVERRIDE_REPLACEABLE = {
    "rule": {"condition", "output", "desc", "priority", "tags", "exceptions", "enabled",
             "capture", "capture_duration", "warn_evttypes", "skip-if-unknown-filter"},
    "macro": {"condition"},
    "list": {"items"},
}
RULE_REQUIRED = ("condition", "output", "desc", "priority")
# The keys Falco 0.44 reads per item; any other key gets its LOAD_UNKNOWN_KEY warning
# ("Unknown key 'K'. The key will be ignored.", rule_loader_reader.cpp warn_unknown_keys).
EXPECTED_KEYS = {
    "rule": {"rule", "condition", "output", "desc", "priority", "source", "enabled", "capture",
             "capture_duration", "warn_evttypes", "skip-if-unknown-filter", "tags", "exceptions",
             "override", "append"},
    "macro": {"macro", "condition", "append", "override"},
    "list": {"list", "items", "append", "override"},
    "required_engine_version": {"required_engine_version"},
}
# Keys Falco decodes with decode_optional_val<bool> (yaml-cpp convert<bool>), and keys it
# decodes as std::string: any scalar is a string to yaml-cpp, so `desc: 42` loads as "42".
BOOL_KEYS = ("enabled", "append", "capture", "warn_evttypes", "skip-if-unknown-filter")
STRING_KEYS = ("rule", "macro", "list", "condition", "output", "desc", "priority", "source")

if yaml is not None:
    class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        """PyYAML's safe loader (libyaml when present), reading YAML like Falco's yaml-cpp:
        a bare `=` (as in `comps: [=, startswith]`) is a string, not YAML 1.1's `value` tag."""

    _Loader.add_constructor("tag:yaml.org,2002:value",
                            lambda loader, node: loader.construct_scalar(node))


def bound_nodes(root, what: str) -> None:
    """safe_input's YAML bounds on a composed node graph (the line-marking loader composes with
    libyaml, whose composer cannot count aliases as it goes): at most MAX_YAML_ALIASES aliases
    (a node reached a second time), no recursive alias, nesting at most MAX_DEPTH, and a tree
    of at most MAX_YAML_EXPANDED_NODES nodes once the aliases are expanded. Iterative."""
    sizes: dict[int, int] = {}
    aliases = 0
    stack = [(root, 1, False)]
    on_path: set = set()
    while stack:
        node, depth, done = stack.pop()
        key = id(node)
        children = node.value if isinstance(node, yaml.SequenceNode) else \
            [n for pair in node.value for n in pair] if isinstance(node, yaml.MappingNode) else ()
        if done:
            on_path.discard(key)
            total = 1 + sum(sizes[id(c)] for c in children)
            if total > MAX_YAML_EXPANDED_NODES:
                raise InputError(f"{what}: its aliases expand to more than "
                                 f"{MAX_YAML_EXPANDED_NODES} nodes; refused")
            sizes[key] = total
            continue
        if key in on_path:
            raise InputError(f"{what}: a recursive YAML alias (line {node.start_mark.line + 1}); "
                             "refused")
        if key in sizes:
            aliases += 1
        elif depth > MAX_DEPTH:
            raise InputError(f"{what} is nested deeper than {MAX_DEPTH} levels; refused")
        if aliases > MAX_YAML_ALIASES:
            raise InputError(f"{what}: more than {MAX_YAML_ALIASES} YAML aliases (line "
                             f"{node.start_mark.line + 1}); refused")
        if key in sizes:
            continue
        if not children:
            sizes[key] = 1
            continue
        on_path.add(key)
        stack.append((node, depth, True))
        stack.extend((c, depth + 1, False) for c in reversed(children))


@dataclass
class Item:
    kind: str
    name: str
    file: str
    line: int
    data: dict
    marks: dict            # key -> (line, raw text of the value node, yaml node)
    appends: list = field(default_factory=list)   # [(key, value, file, marks)] for positions
    # Falco's load order: `index` at the first definition, `visibility` at the last change;
    # a macro is visible to another macro when macro.index < other.visibility (rules see all)
    index: int = 0
    visibility: int = 0


def _position(item_marks: dict, key: str, index: int, text: str):
    """(line, column) in the file of character `index` of the value of `key`."""
    mark = item_marks.get(key)
    if not mark:
        return None, None
    line0, col0, raw, style = mark
    if isinstance(raw, tuple):
        raw = raw[0][raw[1]:raw[2]]
    ri = 0
    if style in ("|", ">"):
        nl = raw.find("\n")
        ri = nl + 1 if nl >= 0 else len(raw)
    elif style in ("'", '"'):
        ri = 1
    # walk the parsed text and the raw text together, matching non-blank characters
    for ch in text[:index + 1]:
        if ch.isspace():
            continue
        j = raw.find(ch, ri)
        if j < 0:
            break
        ri = j + 1
    ri = max(ri - 1, 0) if index < len(text) else ri
    before = raw[:ri]
    line = line0 + before.count("\n")
    col = (len(before) - before.rfind("\n")) if "\n" in before else col0 + len(before) + 1
    return line + 1, col


class RulesLoader:
    """Loads rules files into lists, macros and rules the way Falco does; Linter checks them."""

    def __init__(self, schema: dict | None = None, fields: dict | None = None,
                 falco_version: str = PINNED_FALCO_VERSION):
        engine_version(falco_version)           # ValueError for a release we have no data on
        self.falco_version = falco_version
        self.schema = schema
        self.fields = fields if fields is not None else FIELDS
        self.result = LintResult()
        self.rules: dict[str, Item] = {}
        self.macros: dict[str, Item] = {}
        self.lists: dict[str, Item] = {}
        self.rule_order: list[str] = []
        self.counter = 0
        self.used_lists: set = set()
        self.used_macros: set = set()
        self._lookups: dict = {}
        self._validator = None
        self.schema_note = None
        if schema is not None:
            try:
                import jsonschema
                self._validator = jsonschema.Draft6Validator(schema)
                self._fast = _FastSchema(schema)
            except ImportError:
                self.schema_note = "jsonschema not installed: schema check skipped"

    def _lookup(self, name, arg):
        """lookup_field, memoised per linter run (the same fields recur in every rule)."""
        key = (name, arg)
        hit = self._lookups.get(key)
        if hit is None:
            hit = self._lookups[key] = lookup_field(name, arg, self.fields)
        return hit

    # problems
    def err(self, file, line, kind, name, msg, column=None, category="load"):  # noqa: PLR0917
        self.result.errors.append(Problem(file, line, kind, name, msg, column, "error", category))

    def warn(self, file, line, kind, name, msg, column=None, category="load"):  # noqa: PLR0917
        self.result.warnings.append(Problem(file, line, kind, name, msg, column, "warning",
                                            category))

    # ------------------------------------------------------------------ files
    def load_file(self, path: str):
        """Read one rules file through safe_input (a regular file, at most MAX_CONFIG_BYTES,
        UTF-8) and check it with load_yaml's bounds (aliases, their expansion, depth) before
        the line-marking loader reads it: a refusal is an error on the file, never a hang."""
        try:
            raw = read_bytes(path, "rules file", MAX_CONFIG_BYTES)
        except InputError as exc:
            self.err(path, 0, "file", path, str(exc))
            return
        try:
            buffer = raw.decode("utf-8")
        except UnicodeDecodeError as exc:  # Falco's YAML reader takes UTF-8 only
            start = int(exc.start)
            self.err(path, 0, "file", path, f"not UTF-8 text (byte {start}: "
                     f"{raw[start:start + 1]!r}); a rules file must be UTF-8")
            return
        loader = _Loader(buffer)
        try:
            root = loader.get_single_node()
            if root is not None:
                bound_nodes(root, f"rules file {path}")
            data = loader.construct_document(root) if root is not None else None
        except InputError as exc:
            self.err(path, 0, "file", path, str(exc))
            return
        except RecursionError:
            self.err(path, 0, "file", path, f"rules file {path} is nested too deeply; refused")
            return
        except yaml.YAMLError as exc:
            mark = getattr(exc, "problem_mark", None)
            problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
            column = (mark.column + 1) if mark else None
            self.err(path, (mark.line + 1) if mark else 0, "file", path,
                     f"invalid YAML: {problem}", column)
            return
        finally:
            loader.dispose()
        if data is None:
            return
        if not isinstance(data, list):
            self.err(path, 1, "file", path, "a rules file is a YAML list of items")
            return
        for node, item in zip(root.value, data):
            self.load_item(path, buffer, node, item)

    def load_item(self, path, buffer, node, item):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            self.err(path, line, "item", str(item)[:40], "an item must be a mapping")
            return
        marks, scalars = {}, {}
        for knode, vnode in node.value:     # the raw text is sliced only when an error needs it
            start, end = vnode.start_mark, vnode.end_mark
            marks[knode.value] = (start.line, start.column, (buffer, start.index, end.index),
                                  getattr(vnode, "style", None))
            self._as_yaml_cpp_reads(item, knode.value, vnode)
            if isinstance(vnode, yaml.ScalarNode):
                scalars[knode.value] = vnode.value      # the text as written: `0.10` stays 0.10
        kinds = [k for k in KINDS if k in item]
        name = str(item[kinds[0]]) if kinds else "?"
        kind = kinds[0] if kinds else "item"
        if len(kinds) > 1:
            self.err(path, line, kind, name,
                     f"item has more than one kind: {', '.join(kinds)} (one of them per item)")
            return
        if not kinds:
            self.err(path, line, "item", "?",
                     f"unknown item: keys {sorted(item)}, expected one of {', '.join(KINDS)}")
            return
        self._schema_warnings(path, line, kind, name, item)
        for key in sorted(set(item) - EXPECTED_KEYS.get(kind, set(item))):
            self.warn(path, line, kind, name, f"Unknown key '{key}'. The key will be ignored.")
        if not self._decode_bools(path, line, kind, name, item):
            return
        if kind == "required_engine_version":
            value = item[kind] if isinstance(item[kind], (bool, list, dict)) or item[kind] is None \
                else scalars.get(kind, item[kind])
            problem = required_engine_version_problem(value, self.falco_version)
            if problem:
                self.err(path, line, kind, str(item[kind]), problem, category="engine_version")
            return
        if kind == "required_plugin_versions":
            return
        if not isinstance(item[kind], str) or not item[kind]:
            self.err(path, line, kind, str(item[kind]), f"'{kind}' must be a non-empty string")
            return
        getattr(self, f"load_{kind}")(Item(kind, name, path, line, item, marks))

    @staticmethod
    def _as_yaml_cpp_reads(item: dict, key: str, vnode):
        """Give string keys and list items the text yaml-cpp decodes, not PyYAML's YAML 1.1
        types: `desc: yes` is the string "yes" to Falco (decode_val<std::string>), and so is
        `items: [on, 1.0]` item by item (decode_items<std::string>)."""
        if key in STRING_KEYS and isinstance(vnode, yaml.ScalarNode) and \
                item.get(key) is not None and not isinstance(item.get(key), str):
            item[key] = vnode.value
        elif key == "items" and isinstance(vnode, yaml.SequenceNode) and \
                isinstance(item.get(key), list):
            item[key] = [child.value if isinstance(child, yaml.ScalarNode) and v is not None
                         and not isinstance(v, str) else v
                         for child, v in zip(vnode.value, item[key])]

    def _schema_warnings(self, path, line, kind, name, item):
        """Falco validates each rules file against its rules schema and only reports what does
        not match, as "schema validation" warnings, loading the file when its loader accepts it
        (rule_loader_reader.cpp read(): set_schema_validation_status; rule_loader.cpp prints them
        as "schema warnings"). The loader's own checks (here and in linter.py) are the errors."""
        if self._validator is None or (self._fast.usable and self._fast.valid([item])):
            return
        for e in sorted(self._validator.iter_errors([item]), key=lambda e: list(e.path)):
            where = "/".join(str(p) for p in list(e.path)[1:]) or "item"
            if e.validator == "additionalProperties" and where == "item":
                continue        # the loader's own "Unknown key" warning says it in Falco's words
            if where in BOOL_KEYS and yaml_cpp_bool(e.instance) is not None:
                continue        # yaml-cpp decodes it as a boolean
            if where == "priority" and str(e.instance).upper() in PRIORITIES:
                message = (f"priority {e.instance!r} is not upper-case (Falco accepts it, its "
                           "rules schema does not)")
            else:
                message = f"{where}: {e.message}"
            self.warn(path, line, kind, name, f"schema validation: {message}", category="schema")

    def _decode_bools(self, path, line, kind, name, item) -> bool:
        """Decode the boolean keys as yaml-cpp does; an error (and False) when one does not."""
        for key in BOOL_KEYS:
            if key not in item:
                continue
            value = yaml_cpp_bool(item[key])
            if value is None:
                self.err(path, line, kind, name,
                         f"'{key}': can't decode YAML scalar value {item[key]!r} as a boolean "
                         "(yaml-cpp accepts y/n, yes/no, true/false, on/off, lowercase, "
                         "UPPERCASE or Capitalized)")
                return False
            item[key] = value
        return True

    def _override(self, new: Item, table: dict) -> bool:
        """Apply override/append; return True when the item was merged into an existing one."""
        data = new.data
        override = data.get("override")
        append = data.get("append", False)
        if override is not None and append:
            self.err(new.file, new.line, new.kind, new.name,
                     "'override' and 'append' cannot be used together")
            return True
        if override is None and not append:
            return False
        old = table.get(new.name)
        if old is None:
            what = "override" if override is not None else "append"
            self.err(new.file, new.line, new.kind, new.name,
                     f"{what} of a {new.kind} that is not defined earlier: no {new.kind} "
                     f"'{new.name}' exists to {'modify' if what == 'override' else 'append to'}")
            return True
        if append:
            self.warn(new.file, new.line, new.kind, new.name,
                      "'append: true' is deprecated in Falco; use override: {KEY: append}",
                      category="deprecated")
            # Falco's legacy append takes only these keys and ignores the others
            legacy = {"rule": ("condition", "exceptions"), "macro": ("condition",),
                      "list": ("items",)}[new.kind]
            keys = {k: "append" for k in legacy if k in data}
        else:
            if not isinstance(override, dict) or not override:
                self.err(new.file, new.line, new.kind, new.name,
                         "'override' must map keys to append or replace")
                return True
            keys = dict(override)
            overridable = OVERRIDE_APPENDABLE[new.kind] | OVERRIDE_REPLACEABLE[new.kind]
            extra = (set(data) & overridable) - set(override)
            for k in sorted(extra):
                self.err(new.file, new.line, new.kind, new.name,
                         f"unexpected key '{k}': no corresponding entry under 'override' "
                         "(list it as append or replace)")
        for key, how in keys.items():
            if how not in ("append", "replace"):
                self.err(new.file, new.line, new.kind, new.name,
                         f"override of '{key}': '{how}' is not append or replace")
                continue
            allowed = OVERRIDE_APPENDABLE if how == "append" else OVERRIDE_REPLACEABLE
            if key not in allowed[new.kind]:
                self.err(new.file, new.line, new.kind, new.name,
                         f"'{key}' cannot be {how}ed for a {new.kind}; "
                         f"allowed: {', '.join(sorted(allowed[new.kind]))}")
                continue
            if key not in data:
                self.err(new.file, new.line, new.kind, new.name,
                         f"override names '{key}' but the item has no '{key}' key")
                continue
            value = data[key]
            old.visibility = self._tick()
            if how == "replace" or key not in old.data:
                old.data[key] = value
                old.marks[key] = new.marks.get(key)
                old.appends = [a for a in old.appends if a[0] != key]
                if key == "condition":
                    old.marks["condition@file"] = new.file
            elif key == "condition":
                old.appends.append((key, value, new.file, new.marks.get(key), new.line))
                old.data[key] = f"{old.data[key]} {value}"
            elif key in ("items", "tags", "exceptions"):
                if not isinstance(value, list):
                    self.err(new.file, new.line, new.kind, new.name, f"'{key}' must be a list")
                    continue
                if key == "exceptions":
                    value = self._merge_exceptions(old, new, value)
                old.data[key] = list(old.data.get(key) or []) + list(value)
            else:   # desc, output
                old.data[key] = f"{old.data[key]} {value}"
        return True

    def _merge_exceptions(self, old, new, value):
        """Appending an exception with an existing name appends its values (Falco semantics)."""
        existing = {e.get("name"): e for e in old.data.get("exceptions") or []
                    if isinstance(e, dict)}
        fresh = []
        for exc in value:
            if isinstance(exc, dict) and exc.get("name") in existing and "fields" not in exc:
                target = existing[exc["name"]]
                target["values"] = list(target.get("values") or []) + list(exc.get("values") or [])
            else:
                fresh.append(exc)
        return fresh

    def _tick(self) -> int:
        self.counter += 1
        return self.counter

    def _define(self, new: Item, table: dict):
        new.visibility = self._tick()
        new.index = new.visibility
        if new.name in table:
            self.warn(new.file, new.line, new.kind, new.name,
                      f"redefines the {new.kind} from {table[new.name].file}:{table[new.name].line}"
                      " (use override to modify it)")
            new.index = table[new.name].index
        table[new.name] = new

    def load_list(self, new: Item):
        items = new.data.get("items")
        if not self._override(new, self.lists):
            if items is None:
                self.err(new.file, new.line, "list", new.name, "list has no 'items'")
                return
            self._define(new, self.lists)
        if items is not None and not isinstance(items, list):
            self.err(new.file, new.line, "list", new.name, "'items' must be a list")
        elif items:
            seen = set()
            for it in items:
                if not isinstance(it, (str, int, float)):     # decode_seq: a scalar each
                    self.err(new.file, new.line, "list", new.name,
                             f"list item {it!r} is a {type(it).__name__}, not a scalar value")
                elif str(it) in seen:
                    self.warn(new.file, new.line, "list", new.name, f"duplicate list item '{it}'")
                seen.add(str(it))

    def load_macro(self, new: Item):
        if not self._override(new, self.macros):
            if "condition" not in new.data:
                self.err(new.file, new.line, "macro", new.name, "macro has no 'condition'")
                return
            self._define(new, self.macros)

    def load_rule(self, new: Item):
        data = new.data
        if self._override(new, self.rules):
            return
        keys = set(data) - {"rule"}
        if not keys & {"condition", "output", "desc", "priority"} and "enabled" in keys:
            # `- rule: X / enabled: false` toggles an existing rule (deprecated in Falco)
            old = self.rules.get(new.name)
            if old is None:
                self.err(new.file, new.line, "rule", new.name,
                         "sets 'enabled' on a rule that is not defined earlier")
            else:
                self.warn(new.file, new.line, "rule", new.name,
                          "enabling/disabling a rule without override is deprecated in Falco; "
                          "use override: {enabled: replace}", category="deprecated")
                old.data["enabled"] = data["enabled"]
            return
        missing = [k for k in RULE_REQUIRED if k not in data]
        if missing:
            self.err(new.file, new.line, "rule", new.name,
                     f"missing required key{'s' if len(missing) > 1 else ''}: {', '.join(missing)}")
            return
        if new.name not in self.rules:
            self.rule_order.append(new.name)
        self._define(new, self.rules)
