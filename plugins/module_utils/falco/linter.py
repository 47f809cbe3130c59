# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The Falco rules linter: conditions, references, fields and outputs of loaded rules.

Parses every condition with the libs grammar (grammar.py); errors carry the line and column in
the rules file. Resolves macro and list references, reports undefined ones and lists used as
conditions; checks field names (libs catalog + container/k8smeta plugin fields, see
fields.py), ``%field`` references in outputs and priorities, and warns on ``evt.type`` values
that are not events.

Linter is the rules loader (loader.py) plus three sets of checks kept in their own files:
each condition's nodes (conditions.py), macro expansion bounds and the expanded
conditions (expansion.py), and rule exceptions (exceptions.py). This file holds
the order in which they run, rule-level checks, and the entry points.
"""
from __future__ import annotations

from pathlib import Path

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.conditions import (
    DEPRECATED_FIELDS,
    SYSCALL_SOURCE,
    ConditionChecks,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.engine import (
    PINNED_FALCO_VERSION,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.exceptions import (
    ExceptionChecks,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.expansion import (
    MacroExpansion,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.grammar import (
    _OUTPUT_FIELD_RE,
    FilterSyntaxError,
    parse_condition,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.loader import (
    PRIORITIES,
    PYYAML_MISSING,
    Item,
    RulesLoader,
    _position,
    yaml,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.results import (
    LintResult,
    Problem,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.schema import (
    _load_schema,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)

EVTTYPE_WARN_LIMIT = 100    # more event types than this counts as "matches too many"


class Linter(ConditionChecks, MacroExpansion, ExceptionChecks, RulesLoader):
    """RulesLoader plus the checks Falco runs on what was loaded."""

    # ------------------------------------------------------------------ checks
    def check(self):
        lists = self._resolve_lists()
        self.result.lists = lists
        asts = {}
        for name, m in self.macros.items():
            asts[name] = self._parse(m, "macro")
        self._macro_asts = asts
        self._bad_macros = {n for n, a in asts.items() if a is None}
        self._expanding = []
        self._unexpandable = self._bound_expansion(asts)
        for name, m in self.macros.items():
            if asts[name] is not None:
                self._check_ast(m, asts[name], "macro", lists, SYSCALL_SOURCE)
        for name in self.rule_order:
            rule = self.rules[name]
            self._check_rule(rule, lists)
        # Falco's LOAD_UNUSED_MACRO / LOAD_UNUSED_LIST warnings
        for table, used, what in ((self.macros, self.used_macros, "macro"),
                                  (self.lists, self.used_lists, "list")):
            for name, item in table.items():
                if name not in used:
                    self.warn(item.file, item.line, what, name,
                              f"{what} not referred to by any other rule/macro"
                              + ("/list" if what == "list" else ""), category="unused")
        self.result.rules = self.rules
        self.result.macros = self.macros

    def _resolve_lists(self) -> dict:
        resolved = {}

        def resolve(name, stack):
            if name in resolved:
                return resolved[name]
            if name in stack:
                item = self.lists[name]
                self.err(item.file, item.line, "list", name,
                         f"list reference cycle: {' -> '.join(stack + [name])}")
                return []
            out = []
            visibility = self.lists[name].visibility
            items = self.lists[name].data.get("items")
            for it in items if isinstance(items, list) else []:     # load_list said why not
                s = str(it)
                if s in self.lists and self.lists[s].index < visibility:
                    self.used_lists.add(s)
                    out.extend(resolve(s, stack + [name]))
                else:
                    out.append(s)
            resolved[name] = out
            return out

        for name in self.lists:
            resolve(name, [])
        return resolved

    def _parse(self, item: Item, kind: str):
        text = item.data.get("condition")
        if not isinstance(text, str):
            self.err(item.file, item.line, kind, item.name, "'condition' must be a string")
            return None
        try:
            return parse_condition(text)
        except FilterSyntaxError as exc:
            line, col, file = self._locate(item, text, exc.pos)
            self.err(file, line, kind, item.name,
                     f"condition syntax error at '{text[exc.pos:exc.pos + 12].strip() or 'end'}': "
                     f"{exc.message}", col, category="syntax")
            self.result.errors[-1].offset = exc.pos
            return None

    def _locate(self, item: Item, text: str, index: int):
        """File, line and column of character `index` of an item's (possibly appended) condition."""
        base_len = len(text)
        for _key, value, file, mark, line in reversed(item.appends):
            base_len -= len(value) + 1
            if index > base_len:
                m = {"condition": mark} if mark else {}
                ln, col = _position(m, "condition", index - base_len - 1, value)
                return (ln or line), col, file
        ln, col = _position(item.marks, "condition", index, text[:base_len])
        return (ln or item.line), col, item.marks.get("condition@file", item.file)

    def _check_rule(self, rule: Item, lists):
        data = rule.data
        prio = data.get("priority")
        if not isinstance(prio, str) or prio.upper() not in PRIORITIES:
            self.err(rule.file, self._line(rule, "priority"), "rule", rule.name,
                     f"invalid priority {prio!r}: expected one of {', '.join(PRIORITIES)}",
                     category="priority")
        source = data.get("source", SYSCALL_SOURCE)
        ast = self._parse(rule, "rule")
        if ast is not None:
            self._check_ast(rule, ast, "rule", lists, source)
            expandable = self._rule_expandable(rule, ast)
            if expandable and source == SYSCALL_SOURCE \
                    and data.get("warn_evttypes", True) is not False:
                types = self._evttypes(ast, lists, set())
                if types is None or len(types) > EVTTYPE_WARN_LIMIT:
                    self.warn(rule.file, self._line(rule, "condition"), "rule", rule.name,
                              "the condition does not restrict evt.type (it matches "
                              f"{'every event' if types is None else f'{len(types)} event types'}"
                              "), a significant performance penalty in Falco; add "
                              "`evt.type in (...)`, or set warn_evttypes: false",
                              category="evttype")
        self._check_exceptions(rule, lists, source)
        if not [e for e in self.result.errors if e.name == rule.name and "exception" in e.message]:
            self._check_exception_conditions(rule)
        self._check_output(rule, source)
        for key in ("desc", "output"):
            if key in data and not isinstance(data[key], str):
                self.err(rule.file, self._line(rule, key), "rule", rule.name,
                         f"'{key}' must be a string")

    def _line(self, item: Item, key: str) -> int:
        mark = item.marks.get(key)
        return mark[0] + 1 if mark else item.line

    def _check_output(self, rule: Item, source):
        out = rule.data.get("output")
        if not isinstance(out, str) or source != SYSCALL_SOURCE:
            return
        for m in _OUTPUT_FIELD_RE.finditer(out):
            name, arg = m.group(1), m.group(2)
            if name == "container.info":     # Falco's own placeholder, warned about below
                continue
            base, flags, problem = self._lookup(name, arg[1:-1] if arg else None)
            if problem is None and "filter_only" in flags:
                problem = f"field '{name}' can only be used in conditions, not in outputs"
            if problem or base in DEPRECATED_FIELDS:
                _line, col = _position(rule.marks, "output", m.start(), out)
            if problem:
                self.err(rule.file, self._line(rule, "output"), "rule", rule.name,
                         f"output %{name}{arg or ''}: {problem}", col, category="output")
            elif base in DEPRECATED_FIELDS:
                self.warn(rule.file, self._line(rule, "output"), "rule", rule.name,
                          f"output: usage of deprecated field '{base}' in the rule output: "
                          f"{DEPRECATED_FIELDS[base]}", col, category="deprecated")
        if "%container.info" in out:
            self.warn(rule.file, self._line(rule, "output"), "rule", rule.name,
                      "%container.info is deprecated in Falco and no longer useful",
                      category="deprecated")


def lint_paths(paths, schema=None, fields: dict | None = None,
               falco_version: str = PINNED_FALCO_VERSION) -> LintResult:
    """Load the rules files (or directories of them) in order with Falco's semantics and
    lint them.

    `schema` is Falco's rules JSON schema (a dict, or a path); None skips the schema check.
    An empty `paths` or an unreadable schema raises ValueError (schema.RulesSchemaError).
    `falco_version` is the Falco release whose engine version `required_engine_version` items
    are checked against (engine.py; by default the release roles/falco pins).
    """
    if yaml is None:
        raise ImportError(PYYAML_MISSING)
    if not paths:
        raise ValueError("paths is empty: give at least one rules file or directory (an "
                         "empty list would lint nothing and pass)")
    linter = Linter(_load_schema(schema), fields, falco_version)
    for f in rules_files(paths):
        linter.load_file(f)
    linter.check()
    linter.result._expand = linter.expanded
    if linter.schema_note:
        linter.result.warnings.insert(0, Problem("-", 0, "linter", "schema", linter.schema_note,
                                                 severity="warning"))
    return linter.result


def rules_files(paths) -> list:
    """The rules files to read, in order: a file as given, a directory's entries sorted by
    name (like Falco's rules_files). A directory entry that is not a regular file (a broken
    symlink, a FIFO, a subdirectory) is refused, naming it, and so is a set of paths that
    holds no rules file at all: a linter that read nothing must not pass."""
    files, odd = [], []
    for p in paths:
        path = Path(p)
        if path.is_dir():
            for entry in sorted(path.iterdir()):
                if entry.is_file():         # a symlink to a regular file is read as one
                    files.append(str(entry))
                else:
                    odd.append(f"{entry} ({_entry_kind(entry)})")
        else:
            files.append(str(path))         # load_file refuses what it cannot read
    if odd:
        raise InputError(f"rules directory entries that are not regular files: "
                         f"{', '.join(odd[:10])}{' ...' if len(odd) > 10 else ''}; refused")
    if not files:
        raise InputError(f"no rules files to lint in {', '.join(str(p) for p in paths)} "
                         "(an empty directory would lint nothing and pass); refused")
    return files


def _entry_kind(entry: Path) -> str:
    if entry.is_symlink() and not entry.exists():
        return "a broken symlink"
    if entry.is_dir():
        return "a directory"
    if entry.is_fifo():
        return "a FIFO"
    if entry.is_char_device() or entry.is_block_device():
        return "a device"
    if entry.is_socket():
        return "a socket"
    return "not a regular file"


def expand_conditions(paths, fields: dict | None = None) -> dict:
    """rule name -> fully expanded condition (macros, lists, exceptions) for the given files."""
    return lint_paths(paths, None, fields).expanded
