"""Cross-check of the rules linter with the real libs filter compiler (sysdig 0.41.4 in sid).

A disagreement is a bug in the linter. sysdig loads no plugins, so conditions that use
container.* / k8s.* (plugin) fields are left out of the "accepted" checks.
"""
from __future__ import annotations

import copy
import os
import random
import re
import sys
from pathlib import Path

import pytest
import yaml
from conftest import skip_actionable

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(HERE))

import sysdig_sid  # noqa: E402
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (  # noqa: E402
    field_lookup as falco_field_lookup,  # noqa: E402
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (  # noqa: E402
    grammar as falco_grammar,  # noqa: E402
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (  # noqa: E402
    linter as falco_linter,  # noqa: E402
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (  # noqa: E402
    rules_library as falco_rules_library,  # noqa: E402
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.fields import FIELDS  # noqa: E402  # noqa: E402
from condition_cases import CASES, verdict  # noqa: E402

import lab  # noqa: E402  (lab/lab.py: the sid version check)

BROKEN = sorted((ROOT / "tests" / "fixtures" / "falco" / "broken").glob("*.yaml"))
LIBRARY_GLOBS = ("roles/falco/files/rules/*.yaml", "roles/falco/files/rules/*.yml",
                 "roles/falco/files/*rules*.yaml")
# plugin fields replaced by a syscall field of the same type, so that sysdig (which loads no
# plugins) still checks the syntax and every other field of a condition that uses them
STAND_INS = {"string": "proc.name", "bool": "evt.is_open_read", "abstime": "evt.rawtime",
             "reltime": "proc.duration"}


@pytest.fixture(scope="module")
def sysdig():
    missing = sysdig_sid.missing_tools()
    if missing:
        pytest.fail(f"{', '.join(missing)} not installed: cannot build the sysdig sid rootfs "
                    "(make setup installs debootstrap)", pytrace=False)
    if os.geteuid() != 0:
        skip_actionable("chroot needs root: run this test as root to compile with sysdig")
    rootfs, seconds = sysdig_sid.build()
    print(f"\n[sysdig-sid] rootfs {rootfs} "
          + (f"built in {seconds:.0f} s" if seconds else "reused from the cache"))
    # sid keeps only its newest build: any sysdig in the pinned 0.41 series will do
    served, pinned = sysdig_sid.sysdig_version(rootfs), sysdig_sid.RECIPE["expect_version"]
    print(f"[sysdig-sid] sysdig {served} used (pin {pinned})")
    assert lab.in_series(pinned, served), \
        f"sid serves sysdig {served}, outside the pinned series of {pinned}: check the " \
        "expectations against it, then update RECIPE['expect_version'] in sysdig_sid.py"

    def compile_all(conditions, outputs=None):
        return sysdig_sid.check_conditions(rootfs, conditions, outputs)
    return compile_all


def syscall_only(condition: str) -> bool:
    ast = falco_grammar.parse_condition(condition)
    for node in falco_grammar.walk(ast):
        if isinstance(node, falco_grammar.Check):
            for ref in (node.lhs, node.value):
                if isinstance(ref, falco_grammar.FieldRef):
                    base = falco_field_lookup.lookup_field(ref.name, ref.arg)[0]
                    if FIELDS.get(base, ("?",))[0] != "syscall":
                        return False
    return True


def with_stand_ins(condition: str) -> str:
    """The condition with each plugin field replaced by a syscall field of the same type."""
    ast = copy.deepcopy(falco_grammar.parse_condition(condition))
    for node in falco_grammar.walk(ast):
        if isinstance(node, falco_grammar.Check):
            for ref in (node.lhs, node.value):
                if not isinstance(ref, falco_grammar.FieldRef):
                    continue
                base = falco_field_lookup.lookup_field(ref.name, ref.arg)[0]
                origin, flags = FIELDS.get(base, ("?", ""))
                if origin.startswith("plugin:"):
                    kind = next(f[5:] for f in flags.split() if f.startswith("type:"))
                    ref.name, ref.arg = STAND_INS[kind], None
    return falco_grammar.render(ast)


def assert_all_accepted(sysdig, conditions: dict):
    verdicts = sysdig(list(conditions.values()))
    rejected = {n: (v, conditions[n]) for n, v in zip(conditions, verdicts, strict=True)
                if v != sysdig_sid.ACCEPTED}
    assert rejected == {}


def expanded_macros(result) -> dict:
    asts = {}
    for name, item in result.macros.items():
        asts[name] = falco_grammar.parse_condition(item.data["condition"])
    return {f"macro {n}": falco_grammar.render(a, asts, result.lists) for n, a in asts.items()}


def test_condition_cases_match_the_real_compiler(sysdig):
    """The table the unit tests hold the parser to is what the libs compiler really says."""
    verdicts = sysdig([c for c, _expected in CASES])
    wrong = []
    for (cond, expected), got in zip(CASES, verdicts, strict=True):
        if expected is None:
            ok = got == sysdig_sid.ACCEPTED
        elif expected[0] == "syntax":
            ok = got.startswith(f"filter error at index {expected[1]},")
        else:
            ok = got != sysdig_sid.ACCEPTED and expected[1] in got
        if not ok:
            wrong.append((cond, expected, got))
    assert wrong == []


def test_hidden_catalog_fields_are_accepted(sysdig):
    hidden = [n for n, (_origin, flags) in FIELDS.items() if "hidden" in flags.split()]
    assert hidden
    assert_all_accepted(sysdig, {n: f"{n} exists" for n in hidden})


def test_upstream_rules_and_macros_expanded_are_accepted(sysdig, shared_fixtures):
    result = falco_linter.lint_paths([shared_fixtures / "falco" / "falco_rules.yaml"])
    assert result.errors == []
    candidates = {**result.expanded, **expanded_macros(result)}
    checked = {n: c for n, c in candidates.items() if syscall_only(c)}
    print(f"\n[cross-check] upstream: {len(checked)} of {len(candidates)} expanded conditions "
          "use only syscall fields and are compiled by sysdig; the other "
          f"{len(candidates) - len(checked)} with plugin fields replaced by stand-ins")
    assert len(checked) >= 80
    assert_all_accepted(sysdig, checked)
    assert_all_accepted(sysdig, {n: with_stand_ins(c) for n, c in candidates.items()
                                 if n not in checked})
    outputs = {n: r.data["output"] for n, r in result.rules.items()}
    verdicts = sysdig(["evt.num = 0"] * len(outputs), list(outputs.values()))
    bad = {n: v for n, v in zip(outputs, verdicts, strict=True) if v != sysdig_sid.ACCEPTED
           and "container." not in v and "k8s." not in v}
    assert bad == {}


@pytest.fixture(scope="module", params=["defaults", "example_vars"])
def library(tmp_path_factory, request) -> list[Path]:
    """The collection's rules library: plain rule files as they are, and the library the falco
    role writes (rules_library.py, through its falco_rules_library filter) built with its
    defaults, then with every allowlist and exception filled in (library_example_vars.yml)."""
    variables = yaml.safe_load((HERE / "library_example_vars.yml").read_text(encoding="utf-8")) \
        if request.param == "example_vars" else {}
    out = tmp_path_factory.mktemp("library")
    built = out / falco_rules_library.FILE_NAME
    built.write_text(falco_rules_library.build_rules_library(variables), encoding="utf-8")
    return sorted({p for g in LIBRARY_GLOBS for p in ROOT.glob(g)}) + [built]


def test_library_conditions_are_accepted(sysdig, shared_fixtures, library):
    upstream = shared_fixtures / "falco" / "falco_rules.yaml"
    result = falco_linter.lint_paths([upstream, *library])
    assert result.errors == []
    ours = {str(p) for p in library}
    rules = {n: c for n, c in result.expanded.items() if result.rules[n].file in ours}
    assert rules
    macros = {n: c for n, c in expanded_macros(result).items()
              if result.macros[n[len("macro "):]].file in ours}
    candidates = {**rules, **macros}
    checked = {n: c for n, c in candidates.items() if syscall_only(c)}
    print(f"\n[cross-check] library: {len(rules)} rules, {len(macros)} macros; {len(checked)} "
          "use only syscall fields, the others are compiled with plugin-field stand-ins")
    assert_all_accepted(sysdig, checked)
    assert_all_accepted(sysdig, {n: with_stand_ins(c) for n, c in candidates.items()
                                 if n not in checked})


def sysdig_inputs_for(path: Path):
    """(problem, condition, output format, what sysdig must say) per condition/output error."""
    result = falco_linter.lint_paths([path])
    items = {**{("rule", n): r for n, r in result.rules.items()},
             **{("macro", n): m for n, m in result.macros.items()}}
    expanded = result.expanded
    for p in result.errors:
        if p.category not in ("syntax", "field", "value", "output", "exception"):
            continue
        item = items[(p.kind, p.name)]
        if p.category == "exception":     # the rule with its exceptions, as Falco builds it
            yield p, expanded[p.name], "", "filter error at index"
            continue
        if p.category == "syntax":
            yield p, item.data["condition"], "", f"filter error at index {p.offset},"
            continue
        if p.category == "value":      # e.g. "yes is not a valid boolean value (fd.num)"
            must = p.message.rsplit(" (", 1)[0]
            cond = expanded[p.name] if p.kind == "rule" else \
                falco_grammar.render(falco_grammar.parse_condition(item.data["condition"]))
            yield p, cond, "", must
            continue
        field = re.search(r"'([^']+)'", p.message).group(1)
        if p.category == "output":
            yield p, "evt.num = 0", item.data["output"], field
        elif p.kind == "rule":
            yield p, expanded[p.name], "", field.split("[")[0]
        else:
            ast = falco_grammar.parse_condition(item.data["condition"])
            yield p, falco_grammar.render(ast), "", field


def confirms(problem, must: str, got: str) -> bool:
    """Does sysdig's message confirm our error? A syntax error must be at the same index; a
    field error must be a compile (not syntax) error, naming the field where sysdig does
    (for `args.flags` sysdig says only "proc.arg filter not implemented yet")."""
    if got == sysdig_sid.ACCEPTED:
        return False
    if problem.category in ("syntax", "exception"):
        return got.startswith(must)
    if got.startswith("filter error at index"):
        return False
    if problem.category == "value":     # same message, or at least the same offending value
        return must in got or must.split()[-1] in got
    return must in got or "not implemented" in got


def test_every_syntax_and_field_error_on_the_broken_set_is_confirmed_by_sysdig(sysdig):
    cases = [c for path in BROKEN for c in sysdig_inputs_for(path)]
    marked = [p for p in BROKEN if "# sysdig: rejects" in p.read_text()]
    assert {Path(c[0].file) for c in cases} == set(marked)
    verdicts = sysdig([c[1] for c in cases], [c[2] for c in cases])
    missed = [(str(p), cond, fmt, must, got)
              for (p, cond, fmt, must), got in zip(cases, verdicts, strict=True)
              if not confirms(p, must, got)]
    print(f"\n[cross-check] broken set: {len(cases)} syntax/field/output errors, "
          f"{len(cases) - len(missed)} confirmed by sysdig")
    assert missed == []


# the one compile error the linter reports as a warning only (as the issue asks): event names
# come from libs 0.23 and a newer Falco may know more
WARNED_ONLY = ("unknown event type",)
MUTATION_TOKENS = ("(", ")", ",", " and ", " or ", " not ", "=", '"', "'", " in ", "[", "]",
                   "val(", "tolower(", " exists", "<", "!", " ", "x", ".", "0")


def mutations(conditions: list[str], count: int, seed: int) -> list[str]:
    rnd = random.Random(seed)
    out = []
    for _repeat in range(count):
        c = rnd.choice(conditions)
        i, op = rnd.randrange(len(c)), rnd.random()
        if op < 0.4:
            out.append(c[:i] + c[i + 1:])
        elif op < 0.8:
            out.append(c[:i] + rnd.choice(MUTATION_TOKENS) + c[i:])
        else:
            out.append(c[:i] + c[i + rnd.randrange(1, 8):])
    return out


def agrees(condition: str, got: str) -> bool:
    ours = verdict(condition)
    if ours is None and any(isinstance(n, falco_grammar.Ident)
                            for n in falco_grammar.walk(falco_grammar.parse_condition(condition))):
        ours = ("field", "identifier")     # a macro name sysdig cannot resolve
    if got == sysdig_sid.ACCEPTED:
        return ours is None
    m = re.match(r"filter error at index (\d+),", got)
    if m:
        return ours == ("syntax", int(m.group(1)))
    if ours is None:
        return any(v in got for v in WARNED_ONLY)
    return ours[0] in ("field", "value")


def test_mutated_upstream_conditions_get_the_same_verdict(sysdig, shared_fixtures):
    """Differential test: 400 seeded one-edit mutations of upstream's expanded conditions.

    Valid / syntax error at the same index / field or value error must match the real
    compiler (unknown event types are warnings in the linter).
    """
    result = falco_linter.lint_paths([shared_fixtures / "falco" / "falco_rules.yaml"])
    conditions = list(result.expanded.values()) + list(expanded_macros(result).values())
    cases = mutations(conditions, 400, seed=20261125)
    verdicts = sysdig(cases)
    disagreements = [(c, got, verdict(c)) for c, got in zip(cases, verdicts, strict=True)
                     if not agrees(c, got)]
    syntax = sum(v.startswith("filter error at index") for v in verdicts)
    print(f"\n[cross-check] mutations: {len(cases)}, of which {syntax} syntax errors; "
          f"{len(disagreements)} disagreements")
    assert disagreements == []
