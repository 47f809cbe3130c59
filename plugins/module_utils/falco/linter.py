# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The Falco rules linter: conditions, references, fields and outputs of loaded rules.

Parses every condition with the libs grammar (grammar.py); errors carry the line and column in
the rules file. Resolves macro and list references, reports undefined ones and lists used as
conditions; checks field names (libs catalog + container/k8smeta plugin fields, see
fields.py), ``%field`` references in outputs and priorities, and warns on ``evt.type`` values
that are not events.
"""
from __future__ import annotations

from pathlib import Path

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.engine import (
    PINNED_FALCO_VERSION,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.fields import EVENTS
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.grammar import (
    _BARESTR_RE,
    _FIELD_RE,
    _IP_TYPES,
    _NUMERIC_TYPES,
    _OUTPUT_FIELD_RE,
    _PLUGIN_TYPES,
    _QUOTED_RE,
    _TEXT_OPS,
    ALL_OPS,
    LIST_OPS,
    MAX_EXPANDED_DEPTH,
    MAX_EXPANDED_NODES,
    MAX_MACRO_DEPTH,
    UNARY_OPS,
    BoolOp,
    Check,
    FieldRef,
    FilterSyntaxError,
    Ident,
    Not,
    Value,
    _falco_quote,
    _unquote,
    _value_problem,
    depth_and_refs,
    parse_condition,
    render,
    walk,
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
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
)

SYSCALL_SOURCE = "syscall"
_NO_ENTER = "not available since Falco dropped enter events"
DEPRECATED_FIELDS = {       # Falco 0.44 warns on these (falco_load_result.cpp)
    "evt.dir": "enter events are dropped: 'evt.dir = <' is always true and 'evt.dir = >' "
               "always false; remove the check",
    "evt.latency": _NO_ENTER, "evt.latency.s": _NO_ENTER, "evt.latency.ns": _NO_ENTER,
    "evt.latency.human": _NO_ENTER, "evt.wait_latency": _NO_ENTER,
}
EVTTYPE_WARN_LIMIT = 100    # more event types than this counts as "matches too many"


class Linter(RulesLoader):
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

    def _bound_expansion(self, asts: dict) -> set:
        """Macros that cannot be expanded: on a reference cycle, on a chain of more than
        MAX_MACRO_DEPTH macros, or nested deeper than MAX_EXPANDED_DEPTH levels once expanded.
        Each bound gets one error, on the macro where it is first crossed; iterative, so a
        chain of thousands of macros is refused, not a RecursionError."""
        info = {n: depth_and_refs(a) + (sum(1 for _node in walk(a)),)
                for n, a in asts.items() if a is not None}
        depth, chain, via, cyclic, size = {}, {}, {}, set(), {}
        for root in info:
            if root in depth:
                continue
            stack, on_path = [(root, 0)], [root]
            while stack:
                name, i = stack[-1]
                refs = info[name][1]
                if i < len(refs):
                    stack[-1] = (name, i + 1)
                    ref = refs[i][0]
                    if ref not in info or ref in depth:
                        continue
                    if ref in on_path:
                        cyclic.update(on_path[on_path.index(ref):])
                        continue
                    on_path.append(ref)
                    stack.append((ref, 0))
                    continue
                stack.pop()
                on_path.pop()
                d, c, nxt, n = info[name][0], 1, None, info[name][2]
                for ref, at in refs:
                    if ref in depth and ref != name:
                        d = max(d, at + depth[ref])
                        n += size[ref]
                        if 1 + chain[ref] > c:
                            c, nxt = 1 + chain[ref], ref
                depth[name], chain[name], via[name], size[name] = d, c, nxt, min(n, 10**9)
        too_deep = {n for n in depth if chain[n] > MAX_MACRO_DEPTH
                    or depth[n] > MAX_EXPANDED_DEPTH or size[n] > MAX_EXPANDED_NODES}
        for name in sorted(too_deep):
            if any(ref in too_deep for ref, _at in info[name][1]):
                continue        # the error is on the macro where the bound is first crossed
            m = self.macros[name]
            path, cur = [name], via[name]
            while cur is not None and len(path) < 5:
                path.append(cur)
                cur = via[cur]
            shown = " -> ".join(path) + (" -> ..." if cur is not None else "")
            if size[name] > MAX_EXPANDED_NODES and chain[name] <= MAX_MACRO_DEPTH \
                    and depth[name] <= MAX_EXPANDED_DEPTH:
                message = (f"condition expands to more than {MAX_EXPANDED_NODES} nodes once its "
                           f"macros are expanded ({shown}); refused")
            elif chain[name] > MAX_MACRO_DEPTH:
                message = (f"macro expansion chain deeper than {MAX_MACRO_DEPTH} macros "
                           f"({chain[name]}: {shown}); refused")
            else:
                message = (f"condition nested deeper than {MAX_EXPANDED_DEPTH} levels once its "
                           f"macros are expanded ({shown}); refused")
            self.err(m.file, m.line, "macro", name, message, category="reference")
        self._expanded_depth, self._expanded_size = depth, size
        return too_deep | cyclic

    def _rule_expandable(self, rule: Item, ast) -> bool:
        """False when a rule's condition cannot be expanded: it uses a macro that cannot (that
        macro has the error), or it is nested too deeply once expanded (an error here)."""
        own, refs = depth_and_refs(ast)
        worst, total = own, sum(1 for _node in walk(ast))
        for ref, at in refs:
            if ref in self._unexpandable:
                return False
            worst = max(worst, at + self._expanded_depth.get(ref, 0))
            total += self._expanded_size.get(ref, 0)
        if total > MAX_EXPANDED_NODES:
            self.err(rule.file, self._line(rule, "condition"), "rule", rule.name,
                     f"condition expands to more than {MAX_EXPANDED_NODES} nodes once its macros "
                     "are expanded; refused", category="reference")
            return False
        if worst > MAX_EXPANDED_DEPTH:
            self.err(rule.file, self._line(rule, "condition"), "rule", rule.name,
                     f"condition nested deeper than {MAX_EXPANDED_DEPTH} levels once its macros "
                     "are expanded; refused", category="reference")
            return False
        return True

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
            fields = exc.get("fields")
            comps = exc.get("comps")
            values = exc.get("values") or []
            if fields is None:
                self.err(rule.file, line, "rule", rule.name, f"exception '{ename}': no 'fields'")
                continue
            if isinstance(fields, list):
                if comps is None:
                    comps = ["="] * len(fields)
                if not isinstance(comps, list) or len(comps) != len(fields):
                    self.err(rule.file, line, "rule", rule.name,
                             f"exception '{ename}': 'fields' has {len(fields)} entries but 'comps' "
                             f"has {len(comps) if isinstance(comps, list) else 'not a list of'} "
                             "(they must match one to one)")
                    continue
                for i, v in enumerate(values):
                    if not isinstance(v, list) or len(v) != len(fields):
                        self.err(rule.file, line, "rule", rule.name,
                                 f"exception '{ename}': value #{i + 1} {v!r} must be a list of "
                                 f"{len(fields)} items, one per field")
            else:
                fields, comps = [fields], [comps if comps is not None else "in"]
                if isinstance(comps[0], list):
                    self.err(rule.file, line, "rule", rule.name,
                             f"exception '{ename}': a single field takes a single comp")
                    continue
                if not isinstance(values, list):
                    self.err(rule.file, line, "rule", rule.name,
                             f"exception '{ename}': 'values' must be a list")
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

    # ------------------------------------------------------------------ expansion
    def expanded(self) -> dict:
        """name -> fully expanded condition (macros, lists and exceptions), for parsed rules."""
        out = {}
        asts = {n: a for n, a in self._macro_asts.items()
                if a is not None and n not in self._unexpandable}
        for name in self.rule_order:
            rule = self.rules[name]
            try:
                ast = parse_condition(rule.data.get("condition", ""))
            except (FilterSyntaxError, TypeError):
                continue
            own, refs = depth_and_refs(ast)
            if any(r in self._unexpandable for r, _at in refs) or max(
                    [own] + [at + self._expanded_depth.get(r, 0) for r, at in refs]) \
                    > MAX_EXPANDED_DEPTH or sum(self._expanded_size.get(r, 0) for r, _at in refs) \
                    > MAX_EXPANDED_NODES:
                continue        # refused by check() with its error
            text = render(ast, asts, self.result.lists)
            exceptions = self._exceptions_conditions(rule)
            if exceptions:
                text = f"({text})" + "".join(f" and not {e}" for _name, e in exceptions)
            out[name] = text
        return out

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
