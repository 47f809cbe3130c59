"""Falco rules files: a loader with Falco's semantics and a linter.

Plain Python (PyYAML; jsonschema optional), no Ansible imports, so it runs standalone:

    python3 falco_rules.py [--schema rules.schema.json] [--fields FILE] FILE...

prints one line per problem, ``FILE:LINE: rule 'NAME': message``, and exits 1 when there are
errors. What it does, in Falco's order:

* loads the files in the order given: ``list``, ``macro``, ``rule`` items, ``override``
  (append/replace per key) and the legacy ``append: true``, ``exceptions``, ``enabled``;
* checks each item against Falco's rules JSON schema when one is given (jsonschema is optional);
* parses every condition with the grammar of the falcosecurity libs filter compiler (the one
  Falco and sysdig use): ``and``/``or``/``not``, comparison, string and list operators,
  transformers (``tolower()``, ``val()``...), field arguments (``proc.aname[2]``,
  ``evt.arg.flags``); errors carry the line and column in the rules file;
* resolves macro and list references, reports undefined ones and lists used as conditions;
* checks field names (libs catalog + container/k8smeta plugin fields, see falco_fields),
  ``%field`` references in outputs and priorities, and warns on ``evt.type`` values that are
  not events.
"""
from __future__ import annotations

import argparse
import ipaddress
import json
import re
import sys
from dataclasses import dataclass, field
from pathlib import Path

try:
    import yaml
except ImportError:     # lint_paths raises, the CLI says what to install
    yaml = None
PYYAML_MISSING = "PyYAML is required to read rules files (Debian/Ubuntu: apt install python3-yaml)"

try:  # the catalog sits beside this file; imported the same way in both layouts
    from ansible_collections.bulwark.container_security.plugins.module_utils.falco_fields import (
        EVENT_ARGS,
        EVENTS,
        FIELDS,
    )
except ImportError:  # standalone: plugins/module_utils on sys.path, or run as a script
    try:
        from falco_fields import EVENT_ARGS, EVENTS, FIELDS
    except ImportError:
        sys.path.insert(0, str(Path(__file__).resolve().parent))
        from falco_fields import EVENT_ARGS, EVENTS, FIELDS

PRIORITIES = ("EMERGENCY", "ALERT", "CRITICAL", "ERROR", "WARNING", "NOTICE", "INFO",
              "INFORMATIONAL", "DEBUG")
KINDS = ("rule", "macro", "list", "required_engine_version", "required_plugin_versions")
UNARY_OPS = ("exists",)
NUM_OPS = ("<=", "<", ">=", ">")
STR_OPS = ("==", "=", "!=", "glob", "iglob", "contains", "icontains", "bcontains",
           "startswith", "bstartswith", "endswith", "regex")
LIST_OPS = ("intersects", "in", "pmatch")
ALL_OPS = UNARY_OPS + NUM_OPS + STR_OPS + LIST_OPS
TRANSFORMERS = ("tolower", "toupper", "b64", "basename", "len")
RHS_TRANSFORMERS = ("val",) + TRANSFORMERS
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
SYSCALL_SOURCE = "syscall"
_NO_ENTER = "not available since Falco dropped enter events"
DEPRECATED_FIELDS = {       # Falco 0.44 warns on these (falco_load_result.cpp)
    "evt.dir": "enter events are dropped: 'evt.dir = <' is always true and 'evt.dir = >' "
               "always false; remove the check",
    "evt.latency": _NO_ENTER, "evt.latency.s": _NO_ENTER, "evt.latency.ns": _NO_ENTER,
    "evt.latency.human": _NO_ENTER, "evt.wait_latency": _NO_ENTER,
}
EVTTYPE_WARN_LIMIT = 100    # more event types than this counts as "matches too many"
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

    def group(self, _=0):
        return self._text[self._start:self._end]


_QUOTED_RE = _QuotedLexer
_OPS_LONGEST_FIRST = sorted(ALL_OPS, key=len, reverse=True)
_NUM_RE = re.compile(r"0[xX][0-9a-fA-F]+|[+\-]?[0-9]+\.?[0-9]*(?:[eE][+\-][0-9]+)?")
_OUTPUT_FIELD_RE = re.compile(r"%([a-zA-Z][a-zA-Z0-9_]*(?:\.[a-zA-Z0-9_]+)+)(\[[^\]]*\])?")


if yaml is not None:
    class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):
        """PyYAML's safe loader (libyaml when present), reading YAML like Falco's yaml-cpp:
        a bare `=` (as in `comps: [=, startswith]`) is a string, not YAML 1.1's `value` tag."""

    _Loader.add_constructor("tag:yaml.org,2002:value",
                            lambda loader, node: loader.construct_scalar(node))


# --------------------------------------------------------------------------- results

@dataclass
class Problem:
    file: str
    line: int
    kind: str          # rule / macro / list / item
    name: str
    message: str
    column: int | None = None
    severity: str = "error"
    # syntax / field / value (condition), exception, output (%field), reference (macro/list),
    # schema, priority, load; warnings also evttype, deprecated, unused
    category: str = "load"
    offset: int | None = None    # index in the condition text, for condition syntax errors

    def __str__(self) -> str:
        where = f" (column {self.column})" if self.column else ""
        return f"{self.file}:{self.line}: {self.kind} '{self.name}': {self.message}{where}"

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "column": self.column, "kind": self.kind,
                "name": self.name, "message": self.message, "severity": self.severity,
                "category": self.category}


@dataclass
class LintResult:
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    rules: dict = field(default_factory=dict)      # name -> Item (final state)
    macros: dict = field(default_factory=dict)
    lists: dict = field(default_factory=dict)
    _expand: object = None

    @property
    def expanded(self) -> dict:
        """Rule name -> fully expanded condition (macros, lists, exceptions); computed once."""
        if not isinstance(self._expand, dict):
            self._expand = self._expand() if self._expand else {}
        return self._expand

    @property
    def ok(self) -> bool:
        return not self.errors


# --------------------------------------------------------------------------- condition AST

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
    if typ == "PORT" and not value.isdigit():
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
        self.blank()
        node = self.parse_or()
        self.blank()
        if self.s[self.i:self.i + 1] != ")":
            self.error("expected a ')' token")
        self.i += 1
        self.last = ")"
        return node

    def parse_not(self):
        if self.at_keyword("not"):
            self.i += 3
            self.blank()
            return Not(self.parse_not())
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
            inner = self.parse_field_or_transformer(rhs=False)
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
    """Yield every node of an AST."""
    yield node
    if isinstance(node, Not):
        yield from walk(node.child)
    elif isinstance(node, BoolOp):
        for c in node.children:
            yield from walk(c)


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


# --------------------------------------------------------------------------- fields

def lookup_field(name: str, arg: str | None, fields: dict = FIELDS):
    """Return (base field name, flags, error message or None)."""
    base, flags, problem = _lookup_field(name, arg, fields)
    if problem is None and base in ("evt.arg", "evt.rawarg"):
        if arg is not None:     # evt.arg[N]: by position only
            if not arg.isdigit():
                problem = f"'{name}[{arg}]': the argument in brackets must be a number"
        elif name[len(base) + 1:] not in EVENT_ARGS:
            key = name[len(base) + 1:]
            problem = f"unknown event argument '{key}' in '{name}': no event has it"
    return base, flags, problem


def _lookup_field(name: str, arg: str | None, fields: dict):
    if name in fields:
        flags = fields[name][1].split()
        if arg is not None and "arg_required" not in flags and "arg_allowed" not in flags:
            return name, flags, f"unknown field '{name}[{arg}]': '{name}' takes no argument"
        if arg is None and "arg_required" in flags:
            return name, flags, f"field '{name}' requires an argument ('{name}[...]')"
        if arg is not None and name.startswith("proc.a") and not arg.strip("'\"").isdigit():
            return name, flags, f"field '{name}' takes a numeric argument, not '{arg}'"
        return name, flags, None
    # `evt.arg.flags`, `container.label.app`: the argument after a dot
    parts = name.split(".")
    for cut in range(len(parts) - 1, 1, -1):
        base = ".".join(parts[:cut])
        if base in fields and "arg_required" in fields[base][1].split():
            if arg is not None:
                return base, [], f"unknown field '{name}[{arg}]'"
            return base, fields[base][1].split(), None
    return name, [], f"unknown field '{name}'"


# --------------------------------------------------------------------------- loading

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


class Linter:
    def __init__(self, schema: dict | None = None, fields: dict | None = None):
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
        try:
            buffer = Path(path).read_text()
        except OSError as exc:
            self.err(path, 0, "file", path, f"cannot read: {exc}")
            return
        loader = _Loader(buffer)
        try:
            root = loader.get_single_node()
            data = loader.construct_document(root) if root is not None else None
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
        for node, item in zip(root.value, data, strict=False):
            self.load_item(path, buffer, node, item)

    def load_item(self, path, buffer, node, item):
        line = node.start_mark.line + 1
        if not isinstance(item, dict):
            self.err(path, line, "item", str(item)[:40], "an item must be a mapping")
            return
        marks = {}
        for knode, vnode in node.value:     # the raw text is sliced only when an error needs it
            start, end = vnode.start_mark, vnode.end_mark
            marks[knode.value] = (start.line, start.column, (buffer, start.index, end.index),
                                  getattr(vnode, "style", None))
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
        if self._validator is not None and not (self._fast.usable and self._fast.valid([item])):
            for e in sorted(self._validator.iter_errors([item]), key=lambda e: list(e.path)):
                where = "/".join(str(p) for p in list(e.path)[1:]) or "item"
                if where == "priority" and str(e.instance).upper() in PRIORITIES:
                    # Falco reads priorities case-insensitively; only its schema is stricter
                    self.warn(path, line, kind, name, f"schema: priority {e.instance!r} is not "
                              "upper-case (Falco accepts it, its rules schema does not)",
                              category="schema")
                    continue
                self.err(path, line, kind, name, f"schema: {where}: {e.message}",
                         category="schema")
        if kind in ("required_engine_version", "required_plugin_versions"):
            return
        if not isinstance(item[kind], str) or not item[kind]:
            self.err(path, line, kind, str(item[kind]), f"'{kind}' must be a non-empty string")
            return
        getattr(self, f"load_{kind}")(Item(kind, name, path, line, item, marks))

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
                if not isinstance(it, (str, int)) or isinstance(it, bool):
                    self.err(new.file, new.line, "list", new.name,
                             f"list item {it!r} is a {type(it).__name__}, not a string or number")
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
            for it in self.lists[name].data.get("items") or []:
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
            if source == SYSCALL_SOURCE and data.get("warn_evttypes", True) is not False:
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
                    base, flags, _ = self._lookup(node.lhs.name, node.lhs.arg)
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

    def _macro_refs(self, ast, stack):
        out = []
        for node in walk(ast):
            if isinstance(node, Ident) and node.name in self.macros:
                if node.name in stack:
                    m = self.macros[node.name]
                    self.err(m.file, m.line, "macro", node.name,
                             f"macro reference cycle: {' -> '.join(stack + [node.name])}")
                    continue
                out.append(node.name)
                sub = self._macro_asts.get(node.name)
                if sub is not None and len(stack) < 50:
                    out.extend(self._macro_refs(sub, stack + [node.name]))
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
            for f, c in zip(fields, comps, strict=False):
                if c not in ALL_OPS or c in UNARY_OPS:
                    self.err(rule.file, line, "rule", rule.name,
                             f"exception '{ename}': invalid comp '{c}' "
                             f"(one of {', '.join(o for o in ALL_OPS if o not in UNARY_OPS)})")
                m = _FIELD_RE.fullmatch(str(f).split("[")[0])
                if not m:
                    self.err(rule.file, line, "rule", rule.name,
                             f"exception '{ename}': '{f}' is not a field name")
                    continue
                if source == SYSCALL_SOURCE:
                    arg = str(f)[len(m.group(0)) + 1:-1] if "[" in str(f) else None
                    _, _, problem = self._lookup(m.group(0), arg)
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
                _, col = _position(rule.marks, "output", m.start(), out)
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
        asts = {n: a for n, a in self._macro_asts.items() if a is not None}
        for name in self.rule_order:
            rule = self.rules[name]
            try:
                ast = parse_condition(rule.data.get("condition", ""))
                text = render(ast, asts, self.result.lists)
            except (FilterSyntaxError, RecursionError, TypeError):
                continue
            exceptions = self._exceptions_conditions(rule)
            if exceptions:
                text = f"({text})" + "".join(f" and not {e}" for _, e in exceptions)
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
                for f, c, v in zip(fields, comps, tup, strict=False):
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


def read_field_list(text: str) -> dict:
    """Fields from `falco --list` / `sysdig -l` output (or a plain list of names), as FIELDS
    entries with origin 'extra' and the ARG_/EPF_ flags printed beside them."""
    names = {"ARG_REQUIRED": "arg_required", "ARG_ALLOWED": "arg_allowed",
             "EPF_NO_RHS": "no_rhs", "EPF_NO_TRANSFORMER": "no_transformer",
             "FILTER_ONLY": "filter_only", "EPF_IS_LIST": "is_list"}
    out = {}
    for line in text.splitlines():
        m = re.match(r"^([a-z][a-zA-Z0-9_.]*\.[a-zA-Z0-9_.]+)(?:\s+\(([A-Z_,]+)\))?(?:\s|$)", line)
        if m:
            flags = [names[f] for f in (m.group(2) or "").split(",") if f in names]
            out[m.group(1)] = ("extra", " ".join(flags))
    return out


def _load_schema(schema) -> dict | None:
    if schema is None or isinstance(schema, dict):
        return schema
    return json.loads(Path(schema).read_text())


def lint_paths(paths, schema=None, fields: dict | None = None) -> LintResult:
    """Load the rules files (or directories of them) in order with Falco's semantics and
    lint them.

    `schema` is Falco's rules JSON schema (a dict, or a path); None skips the schema check.
    """
    if yaml is None:
        raise ImportError(PYYAML_MISSING)
    linter = Linter(_load_schema(schema), fields)
    for p in paths:
        if Path(p).is_dir():    # like Falco's rules_files: a directory's files, sorted by name
            for f in sorted(x for x in Path(p).iterdir() if x.is_file()):
                linter.load_file(str(f))
        else:
            linter.load_file(str(p))
    linter.check()
    linter.result._expand = linter.expanded
    if linter.schema_note:
        linter.result.warnings.insert(0, Problem("-", 0, "linter", "schema", linter.schema_note,
                                                 severity="warning"))
    return linter.result


def expand_conditions(paths, fields: dict | None = None) -> dict:
    """rule name -> fully expanded condition (macros, lists, exceptions) for the given files."""
    return lint_paths(paths, None, fields).expanded


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description="Lint Falco rules files (Falco's loading semantics).")
    ap.add_argument("--schema", help="Falco's rules JSON schema (falco --rule-schema)")
    ap.add_argument("--fields", help="extra fields, e.g. the output of `falco --list` on a node "
                                     "with plugins: field names at the start of lines")
    ap.add_argument("--expand", action="store_true", help="print the expanded conditions as JSON")
    ap.add_argument("files", nargs="+")
    a = ap.parse_args(argv)
    if yaml is None:
        print(f"falco_rules.py: {PYYAML_MISSING}", file=sys.stderr)
        return 2
    fields = None
    if a.fields:
        fields = dict(FIELDS)
        fields.update(read_field_list(Path(a.fields).read_text()))
    result = lint_paths(a.files, a.schema, fields)
    if a.expand:
        print(json.dumps(result.expanded, indent=1))
    for w in result.warnings:
        print(f"note: {w.message}" if w.file == "-" else f"warning: {w}", file=sys.stderr)
    for e in result.errors:
        print(e)
    if not a.expand:
        print(f"{len(result.errors)} error(s), {len(result.warnings)} warning(s) in "
              f"{len(a.files)} file(s)", file=sys.stderr)
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main())
