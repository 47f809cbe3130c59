# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Condition checks of the Falco rules linter: fields, operators, values, list and macro
references, and event types of one parsed condition.

A mixin of linter.Linter: it uses the loader's ``err``, ``warn``, ``_lookup``, ``macros``,
``lists`` and ``used_lists`` and the linter's ``_locate`` and ``_macro_asts``.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.fields import EVENTS
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.grammar import (
    _BARESTR_RE,
    _IP_TYPES,
    _NUMERIC_TYPES,
    _PLUGIN_TYPES,
    _QUOTED_RE,
    _TEXT_OPS,
    BoolOp,
    Check,
    FieldRef,
    Ident,
    Not,
    Value,
    _falco_quote,
    _unquote,
    _value_problem,
    walk,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.loader import Item

SYSCALL_SOURCE = "syscall"
_NO_ENTER = "not available since Falco dropped enter events"
DEPRECATED_FIELDS = {       # Falco 0.44 warns on these (falco_load_result.cpp)
    "evt.dir": "enter events are dropped: 'evt.dir = <' is always true and 'evt.dir = >' "
               "always false; remove the check",
    "evt.latency": _NO_ENTER, "evt.latency.s": _NO_ENTER, "evt.latency.ns": _NO_ENTER,
    "evt.latency.human": _NO_ENTER, "evt.wait_latency": _NO_ENTER,
}


class ConditionChecks:
    """The checks Falco's compiler makes on each node of a condition."""

    def _field_problem(self, item, kind, text, ref: FieldRef, source, rhs=False):  # noqa: PLR0917
        if source != SYSCALL_SOURCE:
            return
        base, flags, problem = self._lookup(ref.name, ref.arg)
        if problem is None and ref.transformers and "no_transformer" in flags:
            problem = f"field '{ref.name}' does not support transformers"
        if problem is None and rhs and "no_rhs" in flags and "val" in ref.transformers:
            problem = f"field '{ref.name}' can't be used as a right-hand side field"
        line = col = file = None
        if problem or base in DEPRECATED_FIELDS:
            line, col, file = self._locate(item, text, ref.pos)
        if problem and kind == "rule" and item.data.get("skip-if-unknown-filter") is True:
            self.warn(file, line, kind, item.name, f"{problem}: Falco skips the rule "
                      "(skip-if-unknown-filter)", col, category="field")
        elif problem:
            self.err(file, line, kind, item.name, problem, col, category="field")
        elif base in DEPRECATED_FIELDS:
            self.warn(file, line, kind, item.name,
                      f"usage of deprecated field '{base}': {DEPRECATED_FIELDS[base]}", col,
                      category="deprecated")

    def _check_ast(self, item: Item, ast, kind, lists, source):
        text = item.data.get("condition", "")
        for node in walk(ast):
            if isinstance(node, Ident):
                macro = self.macros.get(node.name)
                if macro is not None and macro is not item and (
                        kind == "rule" or macro.index < item.visibility):
                    self.used_macros.add(node.name)
                    continue
                line, col, file = self._locate(item, text, node.pos)
                if macro is item:
                    self.err(file, line, kind, item.name, "macro refers to itself", col,
                             category="reference")
                    continue
                if macro is not None:
                    self.err(file, line, kind, item.name,
                             f"undefined macro '{node.name}' at this point: it is defined later "
                             f"({macro.file}:{macro.line}) and a macro only sees the macros "
                             "defined before it", col, category="reference")
                    continue
                if node.name in self.lists:
                    self.used_lists.add(node.name)
                    self.err(file, line, kind, item.name,
                             f"list '{node.name}' used as a condition: lists are only valid "
                             "inside the value of 'in', 'intersects' or 'pmatch'", col,
                             category="reference")
                else:
                    self.err(file, line, kind, item.name,
                             f"undefined macro '{node.name}' (no macro or list of that name)", col,
                             category="reference")
            elif isinstance(node, Check):
                self._field_problem(item, kind, text, node.lhs, source)
                if isinstance(node.value, FieldRef):
                    base, flags, _problem = self._lookup(node.lhs.name, node.lhs.arg)
                    if source == SYSCALL_SOURCE and "no_rhs" in flags:
                        line, col, file = self._locate(item, text, node.pos)
                        self.err(file, line, kind, item.name,
                                 f"field '{node.lhs.name}' doesn't support right-hand side "
                                 "fields", col, category="field")
                    self._field_problem(item, kind, text, node.value, source, rhs=True)
                elif isinstance(node.value, Value) and node.value.text in self.lists:
                    # Falco substitutes list names textually, anywhere in a condition
                    self.used_lists.add(node.value.text)
                    items = lists.get(node.value.text, [])
                    line, col, file = self._locate(item, text, node.value.pos)
                    if len(items) == 1:
                        self.warn(file, line, kind, item.name,
                                  f"'{node.value.text}' is a one-item list used with "
                                  f"'{node.op}'; use 'in (...)'", col, category="reference")
                    else:
                        self.err(file, line, kind, item.name,
                                 f"list '{node.value.text}' used with '{node.op}': Falco "
                                 f"replaces it with its {len(items)} items, which is not a "
                                 "value; use 'in (...)'", col, category="reference")
                elif isinstance(node.value, list):
                    self._check_list_values(item, kind, text, node.value, lists)
                if source == SYSCALL_SOURCE:
                    self._check_types(item, kind, text, node, lists)
                if node.lhs.name in ("evt.type", "syscall.type") and source == SYSCALL_SOURCE \
                        and not node.lhs.transformers:
                    self._check_evt_types(item, kind, text, node, lists)
        if kind == "macro":
            return
        # macros used by this rule: cycles and broken macros
        for name in self._macro_refs(ast, []):
            if name in self._bad_macros:
                self.warn(item.file, item.line, kind, item.name,
                          f"uses macro '{name}', whose condition does not parse")

    def _check_types(self, item, kind, text, node: Check, lists):
        """Operator and value checks the libs compiler does per field type."""
        ref = node.lhs
        base, flags, problem = self._lookup(ref.name, ref.arg)
        if problem or node.op == "exists" or ref.name in ("evt.type", "syscall.type"):
            return
        typ = next((f[5:] for f in flags if f.startswith("type:")), None)
        typ = _PLUGIN_TYPES.get(typ, typ)
        if ref.transformers:
            typ = "UINT64" if ref.transformers[0] == "len" else "CHARBUF"
        message = None
        if typ in _NUMERIC_TYPES and node.op in _TEXT_OPS:
            message = f"'{node.op}' operator not supported for numeric filters ({ref.name})"
        elif typ in _IP_TYPES and node.op in _TEXT_OPS:
            message = (f"'{node.op}' operator not supported for ip address and network filters "
                       f"({ref.name})")
        elif typ == "CHARBUF" and node.op in ("bcontains", "bstartswith"):
            message = f"'{node.op}' operator not supported for string filters ({ref.name})"
        if message:
            line, col, file = self._locate(item, text, node.pos)
            self.err(file, line, kind, item.name, message, col, category="value")
            return
        if isinstance(node.value, FieldRef) or node.value is None:
            return
        values = node.value if isinstance(node.value, list) else [node.value]
        for v in values:
            # list items go into the condition as written, so quoted items lose their quotes
            for plain in ([_unquote(x) for x in lists[v.text]] if v.text in lists else [v.plain]):
                message = _value_problem(typ, node.op, plain)
                if message:
                    line, col, file = self._locate(item, text, v.pos)
                    self.err(file, line, kind, item.name, f"{message} ({ref.name})", col,
                             category="value")
                    return

    def _check_list_values(self, item, kind, text, values, lists):
        """List names inside a list value are replaced by their items the way Falco does it
        (items quoted only when they contain a space): each must still be one value."""
        for v in values:
            if v.text not in lists:
                continue
            self.used_lists.add(v.text)
            for it in lists[v.text]:
                token = _falco_quote(it)
                if not ((_QUOTED_RE.match(token, 0) or _BARESTR_RE.match(token, 0))
                        and (_QUOTED_RE.match(token, 0) or _BARESTR_RE.match(token, 0)).end()
                        == len(token)):
                    line, col, file = self._locate(item, text, v.pos)
                    self.err(file, line, kind, item.name,
                             f"list '{v.text}' has the item {it!r}, which is not a single value "
                             "once Falco inserts it into the condition; quote it", col,
                             category="syntax")

    def _evttypes(self, node, lists, seen, negated=False):
        """The event types a condition can match (None: all), like Falco's evttype resolver:
        `and` intersects, `or` unites, `not` applies De Morgan, other checks match all."""
        if isinstance(node, BoolOp):
            sets = [self._evttypes(c, lists, seen, negated) for c in node.children]
            if (node.op == "or") != negated:
                return None if None in sets else set().union(*sets)
            known = [x for x in sets if x is not None]
            return set.intersection(*known) if known else None
        if isinstance(node, Not):
            return self._evttypes(node.child, lists, seen, not negated)
        if isinstance(node, Ident):
            sub = getattr(self, "_macro_asts", {}).get(node.name)
            if sub is None or node.name in seen:
                return None
            return self._evttypes(sub, lists, seen | {node.name}, negated)
        if node.lhs.name != "evt.type" or node.lhs.transformers or isinstance(node.value, FieldRef):
            return None
        if node.op in ("=", "==", "in", "!="):
            values = node.value if isinstance(node.value, list) else [node.value]
            chosen = set()
            for v in values:
                chosen.update(lists.get(v.text, [v.plain]) if v.text in lists else [v.plain])
            return set(EVENTS) - chosen if (node.op == "!=") != negated else chosen
        return None

    def _macro_refs(self, ast, stack, seen=None):
        """The macros a condition uses, each once (a macro used twice by each of a chain of
        macros is not walked 2**n times); cycles are errors."""
        out = []
        seen = set() if seen is None else seen
        for node in walk(ast):
            if isinstance(node, Ident) and node.name in self.macros:
                if node.name in stack:
                    m = self.macros[node.name]
                    self.err(m.file, m.line, "macro", node.name,
                             f"macro reference cycle: {' -> '.join(stack + [node.name])}")
                    continue
                if node.name in seen:
                    continue
                seen.add(node.name)
                out.append(node.name)
                sub = self._macro_asts.get(node.name)
                if sub is not None and len(stack) < 50:
                    out.extend(self._macro_refs(sub, stack + [node.name], seen))
        return out

    def _check_evt_types(self, item, kind, text, node: Check, lists):
        values = []
        if isinstance(node.value, list):
            for v in node.value:
                values.extend(lists.get(v.text, [v.text]) if v.text in lists else [v.plain])
        elif isinstance(node.value, Value):
            values = [node.value.plain]
        for v in values:
            if v not in EVENTS:
                line, col, file = self._locate(item, text, node.pos)
                self.warn(file, line, kind, item.name,
                          f"'{v}' is not an event type known to the libs ({node.lhs.name}; "
                          "sysdig -L of libs 0.23): a Falco built on these libs rejects it as "
                          "'unknown event type'", col, category="evttype")
