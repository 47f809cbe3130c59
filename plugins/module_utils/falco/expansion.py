# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Macro expansion bounds of the Falco rules linter, and the expanded conditions.

A condition whose macros form a cycle, a chain deeper than MAX_MACRO_DEPTH, or an expansion
deeper than MAX_EXPANDED_DEPTH or larger than MAX_EXPANDED_NODES is refused (one error, where
the bound is first crossed) and never expanded. A mixin of linter.Linter.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.grammar import (
    MAX_EXPANDED_DEPTH,
    MAX_EXPANDED_NODES,
    MAX_MACRO_DEPTH,
    FilterSyntaxError,
    depth_and_refs,
    parse_condition,
    render,
    walk,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.loader import Item


class MacroExpansion:
    """Bounds on macro expansion (checked once per load) and ``expanded()``."""

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
