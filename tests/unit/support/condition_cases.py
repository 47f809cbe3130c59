"""Conditions and what the libs filter compiler says about them.

Each expectation was first observed by hand with sysdig 0.41.4 (falcosecurity libs 0.23):
``sysdig -r /nonexistent.scap "<condition>"``. The unit tests hold the linter to them;
tests/integration/falco_sysdig re-runs every case against the real compiler, so this table
cannot drift from it.

An expectation is None (valid), ("syntax", index) for "filter error at index N", or
("field", text) / ("value", text) for a compile error whose message contains text.
"""
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    linter as falco_linter,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    loader as falco_loader,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.fields import FIELDS

SYSCALL_FIELDS = {k: v for k, v in FIELDS.items() if v[0] == "syscall"}


def verdict(condition: str):
    """What the linter says about a condition, in the terms of CASES: the condition is linted
    as a macro with the syscall fields only (sysdig's view: it loads no plugins)."""
    linter = falco_linter.Linter(fields=SYSCALL_FIELDS)
    linter.load_macro(falco_loader.Item("macro", "m", "<condition>", 1,
                                        {"macro": "m", "condition": condition}, {}))
    linter.check()
    for e in linter.result.errors:
        if e.category == "syntax":
            return ("syntax", e.offset)
    for e in linter.result.errors:
        return ("value" if e.category == "value" else "field", e.message)
    return None


CASES = [
    # valid
    ("evt.type = open and fd.name startswith /etc", None),
    ("proc.aname[2] = bash and evt.arg.flags contains O_WRONLY", None),
    ("tolower(proc.name) = bash", None),
    ("toupper(tolower(proc.name)) = X", None),
    ("basename(proc.exe) = bash", None),
    ("len(proc.name) > 3", None),
    ("proc.name = val(proc.pname)", None),
    ("evt.arg[0] exists", None),
    ("evt.type.is.open = 1", None),
    ("fd.net = 127.0.0.0/8", None),
    ("thread.cgroup.cpu = x", None),
    ("proc.name intersects (a)", None),
    ("proc.name pmatch (/a)", None),
    ('proc.name regex "a.*"', None),
    ("proc.name in ()", None),
    ("proc.name in(a)", None),
    ("proc.name=bash", None),
    ('proc.name in ("a b", c)', None),
    ("evt.rawres < -1", None),
    ("not proc.name = a", None),
    ("not(proc.name = a)", None),
    ("proc.name = a and(proc.name = b)", None),
    ("(proc.name = a)and(proc.name=b)", None),
    ("proc.name = a or not proc.name = b", None),
    ("proc.name exists and fd.num exists", None),
    ("(proc.name exists)", None),
    ("proc.cmdline contains 'a b'", None),
    ('proc.name glob "*a"', None),
    ("evt.dir = <", None),
    ("proc.name = or", None),
    ("proc.name =and", None),
    ("proc.name = andy and proc.pname = b", None),
    ("proc.name in (and, or)", None),
    ("evt.rawarg.flags exists", None),
    ("proc.name inx", None),
    ("proc.name in x and proc.name = y", None),
    ("proc.name intersectsx", None),
    ("proc.name  exists", None),
    ("evt.num > +1", None),
    ('proc.name = "a\\"b"', None),
    # syntax errors, at the index the compiler reports
    ('evt.dir </> "SA" and evt.type=open', ("syntax", 9)),
    ("proc.name in (a, b", ("syntax", 18)),
    ("proc.name = a and", ("syntax", 17)),
    ("proc.name =", ("syntax", 11)),
    ("proc.name foo bar", ("syntax", 10)),
    ("proc.name containsbash", ("syntax", 18)),
    ('proc.name contains"bash"', ("syntax", 18)),
    ("proc.name=a=b", ("syntax", 11)),
    ("fd.name = /etc/a,b", ("syntax", 16)),
    ("proc.name in (a b)", ("syntax", 16)),
    ("proc.name = a andproc.name = b", ("syntax", 17)),
    ("foo(proc.name) = x", ("syntax", 3)),
    ("evt.type = open or", ("syntax", 18)),
    ('proc.name = "unterminated', ("syntax", 12)),
    ("proc.name in (a, (b))", ("syntax", 17)),
    ("proc.name = a)", ("syntax", 13)),
    ("proc.aname[2].x = 1", ("syntax", 13)),
    ("proc.name exists)", ("syntax", 16)),
    ("proc.name = (a)", ("syntax", 12)),
    ("proc.name = and proc.pname = bash", ("syntax", 16)),
    ("proc.name in (a,)", ("syntax", 16)),
    ("proc.name in (,a)", ("syntax", 14)),
    ("evt.num > 1e5", ("syntax", 11)),
    ("proc.name existsx", ("syntax", 16)),
    ("proc.nameexists", ("syntax", 15)),
    ("proc.name icontains(x)", ("syntax", 19)),
    ("evt.type innk, linkat)", ("syntax", 13)),
    ("proc.name = x(", ("syntax", 13)),
    # `or(`: the group is the whole operand of `or`, so a following `and` is out of place
    ("(proc.name = a or(proc.name = b) and proc.name = c)", ("syntax", 33)),
    ("proc.name = a or(proc.name = b) and proc.name = c", ("syntax", 32)),
    # field errors
    ("evt.name = open", ("field", "evt.name")),
    ("proc.nme = x", ("field", "proc.nme")),
    ("container.id = host", ("field", "container.id")),
    ("notproc.name = a", ("field", "notproc.name")),
    ("proc.name[2] = x", ("field", "proc.name")),
    ("proc.aname[abc] = x", ("field", "proc.aname")),
    ("evt.args.x = 1", ("field", "evt.args.x")),
    ("proc.env.HOME = x", ("field", "proc.env.HOME")),
    ("evt.arg.foo exists", ("field", "foo")),
    ("evt.arg[foo] exists", ("field", "foo")),
    ("tolower(proc.aname) = x", ("field", "proc.aname")),
    ("proc.aname = val(proc.name)", ("field", "proc.aname")),
    ("proc.name = val(proc.aname[2])", ("field", "proc.aname")),
    ("evt.type.is = 1", ("field", "evt.type.is")),
]
CASES += [
    ("proc.name in val(proc.pname)", None),
    ("proc.name in val( ()", ("syntax", 18)),
    ("proc.name = val( ()", ("syntax", 17)),
    ("proc.name = tolower( ()", ("syntax", 21)),
]
# escapes in quoted string values (libs 0.23: no \x yet); list values are not unescaped
CASES += [
    ('proc.name = "a\\.b"', ("syntax", 18)),
    ('proc.name = "a\\x41b"', ("syntax", 20)),
    ("proc.name = 'a\\\"b'", ("syntax", 18)),
    ('proc.name = "a\\ b"', None),
    ('proc.name = "a\\/b"', None),
    ('proc.name in ("a\\.b")', None),
]
# operators and values per field type
CASES += [
    ("evt.is_open_read in (true, false)", None),
    ("fd.num = -1", None),
    ("fd.sip = ::1", None),
    ("fd.net = fe80::/10", None),
    ("fd.sport = 80", None),
    ("evt.buffer bcontains 6162", None),
    ("evt.buffer contains abc", None),
    ("proc.name < 5", None),
    ("fd.num intersects (1)", None),
    ("evt.is_open_read = TRUE", ("value", "unrecognized boolean value TRUE")),
    ("evt.is_open_read = yes", ("value", "unrecognized boolean value yes")),
    ("evt.is_open_read contains t", ("value", "'contains' operator not supported for numeric")),
    ("fd.num = 1.0", ("value", "1.0 is not a valid number")),
    ("fd.num = 0x1f", ("value", "0x1f is not a valid number")),
    ("fd.num in (1, a)", ("value", "a is not a valid number")),
    ("fd.num glob 1", ("value", "'glob' operator not supported for numeric filters")),
    ("proc.pid icontains 1", ("value", "'icontains' operator not supported for numeric")),
    ("fd.num pmatch (1)", ("value", "'pmatch' operator not supported for numeric filters")),
    ("proc.name bstartswith 61", ("value", "'bstartswith' operator not supported for string")),
    ("evt.buffer bcontains xyz", ("value", "bcontains and bstartswith operator support hex")),
    ("fd.sip = localhost", ("value", "localhost")),
    ("fd.net = 10.0.0.0", ("value", "unrecognized IP network 10.0.0.0")),
    ("fd.sip contains 10", ("value", "not supported for ip address and network filters")),
    ("fd.sport = http", ("value", "unrecognized protocol http")),
    ("proc.duration > 1.5", ("value", "1.5 is not a valid number")),
    ("len(proc.name) = abc", ("value", "abc is not a valid number")),
    ("len(proc.name) contains 1", ("value", "'contains' operator not supported for numeric")),
]
