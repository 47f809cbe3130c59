# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Rule exceptions in the Falco rules linter: their shape, fields and comps, and the condition
Falco builds from them (checked to parse, and appended to expanded conditions).

A mixin of linter.Linter.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.conditions import (
    SYSCALL_SOURCE,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.grammar import (
    _FIELD_RE,
    ALL_OPS,
    LIST_OPS,
    UNARY_OPS,
    FilterSyntaxError,
    _falco_quote,
    parse_condition,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.loader import Item
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)


def exception_shape(exc: dict):
    """(fields, comps, problems) of one Falco exception, its shape as Falco reads it: a list of
    fields takes one comp per field (``=`` each by default) and every value is a list of one
    item per field; a single field takes a single comp (``in`` by default) and a list of
    values. ``fields`` and ``comps`` are None when the shape leaves nothing to check further.
    The linter and the rules library builder (library.py) both judge exceptions by it."""
    fields, comps, values = exc.get("fields"), exc.get("comps"), exc.get("values") or []
    if fields is None:
        return None, None, ["no 'fields'"]
    if isinstance(fields, list):
        comps = ["="] * len(fields) if comps is None else comps
        if not isinstance(comps, list) or len(comps) != len(fields):
            return None, None, [
                f"'fields' has {len(fields)} entries but 'comps' has "
                f"{len(comps) if isinstance(comps, list) else 'not a list of'} "
                "(they must match one to one)"]
        return fields, comps, [
            f"value #{i + 1} {v!r} must be a list of {len(fields)} items, one per field"
            for i, v in enumerate(values) if not isinstance(v, list) or len(v) != len(fields)]
    comps = comps if comps is not None else "in"
    if isinstance(comps, list):
        return None, None, ["a single field takes a single comp"]
    if not isinstance(values, list):
        return [fields], [comps], ["'values' must be a list"]
    return [fields], [comps], []


class ExceptionChecks:
    """Checks of a rule's ``exceptions`` and the conditions they stand for."""

    def _check_exceptions(self, rule: Item, lists, source):
        excs = rule.data.get("exceptions")
        if excs is None:
            return
        line = self._line(rule, "exceptions")
        if not isinstance(excs, list):
            self.err(rule.file, line, "rule", rule.name, "'exceptions' must be a list")
            return
        names = set()
        for exc in excs:
            if not isinstance(exc, dict) or not exc.get("name"):
                self.err(rule.file, line, "rule", rule.name, "every exception needs a 'name'")
                continue
            ename = exc["name"]
            odd = [k for k, types in (("values", list), ("fields", (str, list)),
                                      ("comps", (str, list))) if exc.get(k) is not None
                   and not isinstance(exc[k], types)]
            if not isinstance(ename, str) or odd:
                kinds = ", ".join(f"'{k}' is a {type(exc[k]).__name__}" for k in odd)
                what = "'name' must be a string" if not isinstance(ename, str) else \
                    f"{kinds} (wrong type)"
                self.err(rule.file, line, "rule", rule.name,
                         f"exception {one_line(str(ename))[:40]!r}: {what}")
                continue
            for v in exc.get("values") or []:     # list names in values are substituted too
                for x in (v if isinstance(v, list) else [v]):
                    for y in (x if isinstance(x, list) else [x]):
                        if str(y) in self.lists:
                            self.used_lists.add(str(y))
            if ename in names:
                self.warn(rule.file, line, "rule", rule.name,
                          f"multiple definitions of exception '{ename}' in the same rule")
            names.add(ename)
            fields, comps, problems = exception_shape(exc)
            for problem in problems:
                self.err(rule.file, line, "rule", rule.name, f"exception '{ename}': {problem}")
            if fields is None:
                continue
            for f, c in zip(fields, comps):
                if c not in ALL_OPS or c in UNARY_OPS:
                    self.err(rule.file, line, "rule", rule.name,
                             f"exception '{ename}': invalid comp '{c}' "
                             f"(one of {', '.join(o for o in ALL_OPS if o not in UNARY_OPS)})")
                m = _FIELD_RE.fullmatch(str(f).partition("[")[0])
                if not m:
                    self.err(rule.file, line, "rule", rule.name,
                             f"exception '{ename}': '{f}' is not a field name")
                    continue
                if source == SYSCALL_SOURCE:
                    arg = str(f)[len(m.group(0)) + 1:-1] if "[" in str(f) else None
                    _base, _flags, problem = self._lookup(m.group(0), arg)
                    if problem:
                        self.err(rule.file, line, "rule", rule.name,
                                 f"exception '{ename}': {problem}", category="field")

    def _exceptions_conditions(self, rule: Item) -> list:
        """[(exception name, condition text)] built the way Falco builds them: a single field
        gives `(f comp (v1, v2))`, a fields list `((f1 c1 v1 and f2 c2 v2) or (...))`; values
        quoted only when they contain a space, list names replaced by their items."""
        lists = self.result.lists

        def value(v) -> str:
            v = str(v)
            return ", ".join(_falco_quote(x) for x in lists[v]) if v in lists else _falco_quote(v)

        out = []
        for exc in rule.data.get("exceptions") or []:
            if not isinstance(exc, dict):
                continue
            fields, comps, values = exc.get("fields"), exc.get("comps"), exc.get("values") or []
            if not values or fields is None or not isinstance(values, list):
                continue
            if not isinstance(fields, list):
                if any(isinstance(v, list) for v in values):
                    continue
                out.append((exc.get("name"), f"({fields} {comps or 'in'} "
                                             f"({', '.join(value(v) for v in values)}))"))
                continue
            comps = comps if isinstance(comps, list) else ["="] * len(fields)
            alternatives = []
            for tup in values:
                if not isinstance(tup, list) or not len(tup) == len(fields) == len(comps):
                    continue
                conj = []
                for f, c, v in zip(fields, comps, tup):
                    if isinstance(v, list):
                        conj.append(f"{f} {c} ({', '.join(value(x) for x in v)})")
                    elif c in LIST_OPS:
                        conj.append(f"{f} {c} ({value(v)})")
                    else:
                        conj.append(f"{f} {c} {value(v)}")
                alternatives.append("(" + " and ".join(conj) + ")")
            if alternatives:
                out.append((exc.get("name"), "(" + " or ".join(alternatives) + ")"))
        return out

    def _check_exception_conditions(self, rule: Item):
        for name, text in self._exceptions_conditions(rule):
            try:
                parse_condition(text)
            except FilterSyntaxError as exc:
                self.err(rule.file, self._line(rule, "exceptions"), "rule", rule.name,
                         f"exception '{name}': its fields, comps and values give an invalid "
                         f"condition `{text}`: {exc.message} at "
                         f"'{text[exc.pos:exc.pos + 12].strip() or 'end'}'",
                         category="exception")
