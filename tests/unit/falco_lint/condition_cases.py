"""Conditions and what the libs filter compiler says about them.

Each expectation was first observed by hand with sysdig 0.41.4 (falcosecurity libs 0.23):
``sysdig -r /nonexistent.scap "<condition>"``. The unit tests hold the linter to them;
tests/integration/falco_sysdig re-runs every case against the real compiler, so this table
cannot drift from it.

An expectation is None (valid), ("syntax", index) for "filter error at index N", or
("field", text) for a compile error whose message contains text.
"""

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
