# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The condition grammar of Falco rules: the libs filter parser, its AST and rendering.

Follows the falcosecurity libs filter compiler (userspace/libsinsp/filter/parser.cpp) that
Falco and sysdig use: ``and``/``or``/``not``, comparison, string and list operators,
transformers (``tolower()``, ``val()``...), field arguments (``proc.aname[2]``,
``evt.arg.flags``). Errors are FilterSyntaxError with the index of the offending character.
"""
from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass

UNARY_OPS = ("exists",)
NUM_OPS = ("<=", "<", ">=", ">")
STR_OPS = ("==", "=", "!=", "glob", "iglob", "contains", "icontains", "bcontains",
           "startswith", "bstartswith", "endswith", "regex")
LIST_OPS = ("intersects", "in", "pmatch")
ALL_OPS = UNARY_OPS + NUM_OPS + STR_OPS + LIST_OPS
TRANSFORMERS = ("tolower", "toupper", "b64", "basename", "len")
RHS_TRANSFORMERS = ("val",) + TRANSFORMERS

# value types (libs PT_*), as the libs filter compiler treats them
_INTEGER_TYPES = {"UINT8", "UINT16", "UINT32", "UINT64", "INT8", "INT16", "INT32", "INT64",
                  "RELTIME", "ABSTIME"}
_NUMERIC_TYPES = _INTEGER_TYPES | {"BOOL", "PORT", "DOUBLE"}   # no text operators
_IP_TYPES = {"IPADDR", "IPNET"}
_PLUGIN_TYPES = {"string": "CHARBUF", "bool": "BOOL", "abstime": "ABSTIME", "reltime": "RELTIME"}
_TEXT_OPS = {"contains", "icontains", "bcontains", "startswith", "bstartswith", "endswith",
             "glob", "iglob", "regex", "pmatch"}
_INTEGER_RE = re.compile(r"[+\-]?[0-9]+")

_BLANK = " \t\n\r\b\f\v"
# the token regexes of the libs filter parser (userspace/libsinsp/filter/parser.cpp)
_FIELD_RE = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*(?:\.[a-zA-Z]+[a-zA-Z0-9_]*)+")
_IDENT_RE = re.compile(r"[a-zA-Z]+[a-zA-Z0-9_]*")
_BARESTR_RE = re.compile(r"""[^ \t\n\r\f\v(),="']+""")
_ARG_BARE_RE = re.compile(r"""[^ \b\t\n\r\f\v\[\]"']+""")
_BLANK_RE = re.compile(r"[ \t\n\r\b\f\v]+")


class _QuotedLexer:
    """A quoted string as the libs lex it: it ends at the first delimiter not preceded by a
    backslash (so `"a\\"` does not end at its last quote)."""

    @staticmethod
    def match(text: str, i: int):
        if i >= len(text) or text[i] not in "\"'":
            return None
        delim, prev = text[i], "\\"
        for j in range(i, len(text)):
            if text[j] == delim and prev != "\\":
                return _Match(text, i, j + 1)
            prev = text[j]
        return None


class _Match:
    def __init__(self, text, start, end):
        self._text, self._start, self._end = text, start, end

    def end(self):
        return self._end

    def group(self, group_index=0):  # re.Match.group's signature; only group 0 exists
        return self._text[self._start:self._end]


_QUOTED_RE = _QuotedLexer
_OPS_LONGEST_FIRST = sorted(ALL_OPS, key=len, reverse=True)
_NUM_RE = re.compile(r"0[xX][0-9a-fA-F]+|[+\-]?[0-9]+\.?[0-9]*(?:[eE][+\-][0-9]+)?")
# How deep a condition may nest (parentheses, `not`, transformers) and how long a chain of
# macros referring to macros may be: deeper input is refused, not a RecursionError.
MAX_CONDITION_DEPTH = 100
MAX_MACRO_DEPTH = 100
# ...and how deep a condition may be once its macros are expanded (rendering recurses).
MAX_EXPANDED_DEPTH = 200
# ...and how many AST nodes it may expand to (a macro using the previous one twice, n times,
# expands to 2**n nodes).
MAX_EXPANDED_NODES = 100_000
_OUTPUT_FIELD_RE = re.compile(r"%([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+)(\[[^\]]*\])?")


class FilterSyntaxError(Exception):
    def __init__(self, pos: int, message: str):
        super().__init__(message)
        self.pos = pos
        self.message = message


@dataclass
class FieldRef:
    name: str
    arg: str | None
    pos: int
    transformers: tuple = ()     # outermost first, e.g. ('tolower',)

    def render(self) -> str:
        text = self.name + (f"[{self.arg}]" if self.arg is not None else "")
        for t in reversed(self.transformers):
            text = f"{t}({text})"
        return text


@dataclass
class Value:
    text: str        # as written (quotes kept)
    pos: int

    @property
    def plain(self) -> str:
        return _unquote(self.text)


@dataclass
class Check:
    lhs: FieldRef
    op: str
    value: object = None    # Value | FieldRef (val()/transformer) | list[Value]
    pos: int = 0


@dataclass
class Ident:
    name: str
    pos: int


@dataclass
class Not:
    child: object


@dataclass
class BoolOp:
    op: str        # and / or
    children: list


def _escape_problem(token: str) -> str | None:
    """Escapes the libs 0.23 accept in a quoted string value: \\b \\f \\n \\r \\t, a
    backslash before a space, a backslash, a slash, or the string's own quote."""
    delim, body, i = token[0], token[1:-1], 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            c = body[i + 1]
            if c in ('"', "'") and c != delim:
                return f"invalid \\{c} escape in {delim}-quoted string"
            if c not in "bfnrt \\/\"'":
                return f"unsupported string escape sequence: \\{c}"
            i += 2
            continue
        i += 1
    return None


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "\"'":
        return re.sub(r"\\(.)", r"\1", text[1:-1])
    return text


def _value_problem(typ: str | None, op: str, value: str) -> str | None:
    """The libs compiler's complaint about `value` for a field of type `typ`, if any."""
    if op in ("bcontains", "bstartswith"):
        if not re.fullmatch(r"(?:[0-9a-fA-F]{2})+", value):
            return "bcontains and bstartswith operator support hex strings only"
        return None
    if typ in _INTEGER_TYPES and not _INTEGER_RE.fullmatch(value):
        return f"{value} is not a valid number"
    if typ == "BOOL" and value not in ("true", "false"):
        return f"unrecognized boolean value {value}"
    if typ == "PORT" and not (value.isascii() and value.isdigit()):
        return f"unrecognized protocol {value}"
    if typ == "IPADDR":
        try:
            ipaddress.ip_address(value)
        except ValueError:
            return f"unrecognized IP address {value}"
    if typ == "IPNET":
        try:
            if "/" not in value:
                raise ValueError(value)
            ipaddress.ip_network(value, strict=False)
        except ValueError:
            return f"unrecognized IP network {value}"
    return None


def _falco_quote(item: str) -> str:
    """How Falco inserts a list item into a condition: quoted only when it has a space."""
    if " " in item and item[:1] not in ("'", '"'):
        return f'"{item}"'
    return item


def _quote(item: str) -> str:
    """A list item as a value token of the filter language."""
    if len(item) >= 2 and item[0] == item[-1] and item[0] in "\"'":
        return item
    if _BARESTR_RE.fullmatch(item) and item not in ("and", "or", "not"):
        return item
    return '"' + item.replace("\\", "\\\\").replace('"', '\\"') + '"'


class _Parser:
    """Recursive descent over the libs filter grammar; positions are indexes in the text."""

    def __init__(self, text: str):
        self.s = text
        self.i = 0
        self.depth = 0

    def enter(self):
        """One level deeper (a group, a `not`, a transformer); refused past the limit."""
        self.depth += 1
        if self.depth > MAX_CONDITION_DEPTH:
            self.error(f"condition nested deeper than {MAX_CONDITION_DEPTH} levels")

    # lexing helpers
    def blank(self) -> bool:
        m = _BLANK_RE.match(self.s, self.i)
        if m is None:
            return False
        self.i = m.end()
        return True

    def at_keyword(self, word: str) -> bool:
        """The keyword at i, followed by a blank or '(' (or the end for 'exists')."""
        if not self.s.startswith(word, self.i):
            return False
        nxt = self.s[self.i + len(word):self.i + len(word) + 1]
        return nxt == "" or nxt in _BLANK or nxt == "("

    def error(self, message: str, pos: int | None = None):
        raise FilterSyntaxError(self.i if pos is None else pos, message)

    def parse(self):
        self.blank()
        if self.i >= len(self.s):
            self.error("empty condition")
        node = self.parse_or()
        self.blank()
        if self.i < len(self.s):
            self.error(f"unexpected token after '{self.last}', expecting 'or', 'and'")
        return node

    def parse_or(self):
        return self.parse_bool("or", self.parse_and)

    def parse_and(self):
        return self.parse_bool("and", self.parse_not)

    def parse_bool(self, word: str, operand):
        children = [operand()]
        while True:
            save = self.i
            self.blank()
            if self.s.startswith(word, self.i):
                if self.keyword_sep(word):
                    # `or(`/`and(`: like the libs parser, the group is the whole operand, so
                    # `a or(b) and c` does not bind `and c` to `(b)`
                    children.append(self.parse_group())
                else:
                    children.append(operand())
            else:
                self.i = save
                break
        return children[0] if len(children) == 1 else BoolOp(word, children)

    def keyword_sep(self, word: str) -> bool:
        """Consume `word` and what must follow it; True when that was '(' (a group follows)."""
        self.i += len(word)
        nxt = self.s[self.i:self.i + 1]
        if nxt == "(":
            self.i += 1
            return True
        if not nxt or nxt not in _BLANK:
            self.error(f"expected blank or '(' after '{word}'")
        self.blank()
        return False

    def parse_group(self):
        """The rest of a parenthesised expression, after its '('."""
        self.enter()
        self.blank()
        node = self.parse_or()
        self.blank()
        if self.s[self.i:self.i + 1] != ")":
            self.error("expected a ')' token")
        self.i += 1
        self.last = ")"
        self.depth -= 1
        return node

    def parse_not(self):
        if self.at_keyword("not"):
            self.i += 3
            self.blank()
            self.enter()
            node = Not(self.parse_not())
            self.depth -= 1
            return node
        return self.parse_check()

    def parse_check(self):
        if self.i >= len(self.s):
            self.error("expected a condition")
        if self.s[self.i] == "(":
            self.i += 1
            return self.parse_group()
        start = self.i
        lhs = self.parse_field_or_transformer(rhs=False)
        if lhs is None:
            m = _IDENT_RE.match(self.s, self.i)
            if not m:
                self.error("expected a field, a macro name, 'not' or '('")
            self.i = m.end()
            self.last = m.group(0)
            return Ident(m.group(0), start)
        self.blank()
        op = self.parse_operator()
        if op in UNARY_OPS:
            self.last = op
            return Check(lhs, op, None, start)
        self.blank()
        if op in LIST_OPS:
            value = self.parse_list_value()
        elif op in NUM_OPS:
            value = self.parse_value(numeric=True)
        else:
            value = self.parse_value(numeric=False)
        return Check(lhs, op, value, start)

    def parse_field_or_transformer(self, rhs: bool):
        start = self.i
        names = RHS_TRANSFORMERS if rhs else TRANSFORMERS
        m = _IDENT_RE.match(self.s, self.i)
        if m and m.group(0) in names and self.s[m.end():m.end() + 1] == "(":
            self.i = m.end() + 1
            self.blank()
            self.enter()
            inner = self.parse_field_or_transformer(rhs=False)
            self.depth -= 1
            if inner is None:
                self.error(f"expected a field or a transformer inside '{m.group(0)}()'")
            self.blank()
            if self.s[self.i:self.i + 1] != ")":
                self.error("expected a ')' token")
            self.i += 1
            self.last = ")"
            inner.transformers = (m.group(0),) + inner.transformers
            inner.pos = start
            return inner
        m = _FIELD_RE.match(self.s, self.i)
        if not m:
            return None
        self.i = m.end()
        arg = None
        if self.s[self.i:self.i + 1] == "[":
            self.i += 1
            am = _QUOTED_RE.match(self.s, self.i) \
                or _ARG_BARE_RE.match(self.s, self.i)
            if not am:
                self.error("expected a field argument")
            arg = am.group(0)
            self.i = am.end()
            if self.s[self.i:self.i + 1] != "]":
                self.error("expected a ']' token")
            self.i += 1
        self.last = self.s[start:self.i]
        return FieldRef(m.group(0), arg, start)

    def parse_operator(self) -> str:
        for op in _OPS_LONGEST_FIRST:
            if self.s.startswith(op, self.i):
                # word operators need a blank after them, except the list operators and
                # `exists` (what follows them is checked by the rest of the grammar)
                if op[0].isalpha() and op not in LIST_OPS and op != "exists":
                    nxt = self.s[self.i + len(op):self.i + len(op) + 1]
                    if nxt and nxt not in _BLANK:
                        self.i += len(op)
                        self.error("expected a valid check operator: one of "
                                   + ", ".join(f"'{o}'" for o in ALL_OPS))
                self.i += len(op)
                return op
        self.error("expected a valid check operator: one of "
                   + ", ".join(f"'{o}'" for o in ALL_OPS))
        return ""

    def parse_value(self, numeric: bool):
        kind = "number" if numeric else "string"
        expect = (f"expected a {kind} value or a field with a valid transformer: "
                  + ", ".join(f"'{t}'" for t in RHS_TRANSFORMERS))
        start = self.i
        rhs = self.parse_field_or_transformer(rhs=True) if self.at_transformer() else None
        if rhs is not None:
            return rhs
        self.i = start
        if numeric:
            m = _NUM_RE.match(self.s, self.i)
        else:
            m = _QUOTED_RE.match(self.s, self.i) \
                or _BARESTR_RE.match(self.s, self.i)
        if not m:
            self.error(expect)
        self.i = m.end()
        self.last = m.group(0)
        if not numeric and m.group(0)[:1] in "\"'":
            problem = _escape_problem(m.group(0))
            if problem:
                self.error(problem)     # the libs report it after the closing quote
        return Value(m.group(0), start)

    def at_transformer(self) -> bool:
        m = _IDENT_RE.match(self.s, self.i)
        return bool(m and m.group(0) in RHS_TRANSFORMERS and self.s[m.end():m.end() + 1] == "(")

    def parse_list_value(self):
        start = self.i
        if self.at_transformer():       # `proc.name in val(proc.pname)` is a field comparison
            return self.parse_field_or_transformer(rhs=True)
        if self.s[self.i:self.i + 1] != "(":
            m = _IDENT_RE.match(self.s, self.i)
            if m:       # a list name without parentheses: `proc.name in shell_binaries`
                self.i = m.end()
                self.last = m.group(0)
                return [Value(m.group(0), start)]
            self.error("expected a '(' token")
        self.i += 1
        items = []
        self.blank()
        if self.s[self.i:self.i + 1] != ")":
            if not (_QUOTED_RE.match(self.s, self.i) or _BARESTR_RE.match(self.s, self.i)):
                self.error("expected a ')' token")
            while True:
                self.blank()
                vstart = self.i
                m = _QUOTED_RE.match(self.s, self.i) \
                    or _BARESTR_RE.match(self.s, self.i)
                if not m:
                    self.error("expected a string value")
                self.i = m.end()
                items.append(Value(m.group(0), vstart))
                self.blank()
                if self.s[self.i:self.i + 1] == ",":
                    self.i += 1
                    continue
                break
        if self.s[self.i:self.i + 1] != ")":
            self.error("expected a ')' token")
        self.i += 1
        self.last = ")"
        return items

    last = ""


def parse_condition(text: str):
    """Parse one condition (or macro body); raise FilterSyntaxError with the index of the error."""
    return _Parser(text).parse()


def walk(node):
    """Yield every node of an AST, depth first (iterative: depth cannot exhaust the stack)."""
    stack = [node]
    while stack:
        node = stack.pop()
        yield node
        if isinstance(node, Not):
            stack.append(node.child)
        elif isinstance(node, BoolOp):
            stack.extend(reversed(node.children))


def depth_and_refs(node):
    """(nesting depth of an AST, [(identifier name, depth at which it appears)])."""
    stack, deepest, refs = [(node, 1)], 0, []
    while stack:
        node, depth = stack.pop()
        deepest = max(deepest, depth)
        if isinstance(node, Not):
            stack.append((node.child, depth + 1))
        elif isinstance(node, BoolOp):
            stack.extend((c, depth + 1) for c in node.children)
        elif isinstance(node, Ident):
            refs.append((node.name, depth))
    return deepest, refs


def render(node, macros: dict | None = None, lists: dict | None = None) -> str:
    """Text of an AST; with macros/lists (name -> AST / items) references are expanded."""
    if isinstance(node, BoolOp):
        return f" {node.op} ".join(_group(c, macros, lists) for c in node.children)
    if isinstance(node, Not):
        return f"not {_group(node.child, macros, lists)}"
    if isinstance(node, Ident):
        if macros is not None and node.name in macros:
            return f"({render(macros[node.name], macros, lists)})"
        return node.name
    lhs = node.lhs.render()
    if node.op in UNARY_OPS:
        return f"{lhs} {node.op}"
    if isinstance(node.value, FieldRef):
        return f"{lhs} {node.op} {node.value.render()}"
    if isinstance(node.value, list):
        items = []
        for v in node.value:
            if lists is not None and v.text in lists:
                items.extend(_quote(x) for x in lists[v.text])
            else:
                items.append(v.text)
        return f"{lhs} {node.op} ({', '.join(items)})"
    return f"{lhs} {node.op} {node.value.text}"


def _group(node, macros, lists) -> str:
    text = render(node, macros, lists)
    return f"({text})" if isinstance(node, BoolOp) else text
