"""The condition parser against the libs filter compiler's recorded verdicts (condition_cases.py).

Stands in for sysdig at the process boundary only: every expectation here is re-checked
against the real compiler by tests/integration/falco_sysdig.
"""
import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    grammar as falco_grammar,
)
from condition_cases import CASES, verdict


@pytest.mark.parametrize(("condition", "expected"), CASES, ids=[c for c, _expected in CASES])
def test_condition_verdict_matches_the_libs_compiler(condition, expected):
    got = verdict(condition)
    if expected is None or expected[0] == "syntax":
        assert got == expected
    else:
        assert got is not None and got[0] == expected[0] and expected[1] in got[1], got


def test_operators_and_transformers_are_falcos():
    assert set(falco_grammar.ALL_OPS) == {
        "=", "==", "!=", "<", "<=", ">", ">=", "contains", "icontains", "bcontains",
        "startswith", "bstartswith", "endswith", "glob", "iglob", "in", "intersects", "pmatch",
        "exists", "regex"}
    assert set(falco_grammar.RHS_TRANSFORMERS) == {"tolower", "toupper", "b64", "basename", "len",
                                                   "val"}


def test_precedence_and_binds_tighter_than_or():
    ast = falco_grammar.parse_condition("proc.name = a or proc.name = b and not fd.num = 1")
    assert isinstance(ast, falco_grammar.BoolOp) and ast.op == "or"
    assert isinstance(ast.children[1], falco_grammar.BoolOp) and ast.children[1].op == "and"
    assert isinstance(ast.children[1].children[1], falco_grammar.Not)


def test_render_keeps_grouping_and_expands_macros_and_lists():
    macro = falco_grammar.parse_condition("proc.name = a or proc.name = b")
    rule = falco_grammar.parse_condition(
        "m and not (fd.num = 1 or fd.num = 2) and proc.name in (shells, zsh)")
    text = falco_grammar.render(rule, {"m": macro}, {"shells": ["bash", "my shell"]})
    assert text == ('(proc.name = a or proc.name = b) and not (fd.num = 1 or fd.num = 2) '
                    'and proc.name in (bash, "my shell", zsh)')
    assert falco_grammar.render(falco_grammar.parse_condition(text)) == text
