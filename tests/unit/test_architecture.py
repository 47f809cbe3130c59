# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The import rules of README.md's "Architecture" section, held against the code.

The table there says which top-level part of plugins/module_utils may import which; this file
reads that table (the rules are written once, in the README), parses every .py under
plugins/module_utils and pulumi/ with `ast`, and lists every import that breaks a rule (an
import-linter contract of our own: import-linter is not a requirement of the project).
"""
from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MODULE_UTILS = ROOT / "plugins" / "module_utils"
PREFIX = "ansible_collections.bulwark.container_security.plugins.module_utils"
COLLECTION = "ansible_collections.bulwark.container_security"
# Module glue: imports Ansible; reached from plugins/modules only (module.py files chain it).
GLUE = {"module_helper", "module_files"}


def readme_rules() -> dict:
    """{part: set of what it may import} from the README table whose header is
    "| part | may import | ...": backticked names; "primitives" stands for the first row."""
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    section = text.split("## Architecture", 1)[1].split("\n## ", 1)[0]
    rows = [line for line in section.splitlines() if line.startswith("| ")]
    header = rows.index(next(r for r in rows if r.startswith("| part | may import")))
    rules, primitives = {}, None
    for row in rows[header + 1:]:
        cells = [c.strip() for c in row.strip("|").split("|")]
        if len(cells) < 2 or set(cells[0]) <= {"-", " "}:
            continue
        parts = [re.sub(r"(/|\.py)$", "", n) for n in re.findall(r"`([^`]+)`", cells[0])]
        allowed = {re.sub(r"(/|\.py)$", "", n) for n in re.findall(r"`([^`]+)`", cells[1])}
        if "primitives" in cells[1]:
            allowed |= set(primitives or parts)
        if primitives is None:
            primitives = parts
        for part in parts:
            rules[part] = allowed - {part}
    return rules


RULES = readme_rules()


def part_of(path: Path) -> str:
    rel = path.relative_to(MODULE_UTILS)
    return rel.parts[0].removesuffix(".py")


def imports(path: Path):
    """(line, imported dotted name) of every import in a file; `from X import a` gives X.a
    when X is a package of ours, so that `from ...module_utils import redaction` counts."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                yield node.lineno, "." * node.level + (node.module or "")
                continue
            for alias in node.names:
                yield node.lineno, f"{node.module}.{alias.name}"


def target_part(name: str):
    """(part, rest) of an import of module_utils, e.g. ("signing", ["errors", "CosignError"])."""
    tail = name[len(PREFIX) + 1:].split(".")
    return tail[0], tail[1:]


def module_utils_violations() -> list:
    found = []
    for path in sorted(MODULE_UTILS.rglob("*.py")):
        rel, part = path.relative_to(ROOT), part_of(path)
        is_glue = path.name == "module.py" or part in GLUE
        for line, name in imports(path):
            where = f"{rel}:{line} imports {name}"
            if name.startswith("."):
                found.append(f"{where}: relative import (imports are always absolute)")
            elif name.split(".")[0] == "ansible" and not is_glue:
                found.append(f"{where}: only module_helper.py and a package's module.py "
                             "import Ansible")
            elif name.startswith(COLLECTION) and not name.startswith(PREFIX + "."):
                found.append(f"{where}: module_utils imports nothing of plugins/modules, "
                             "filter or doc_fragments")
            elif name.startswith(PREFIX + "."):
                other, rest = target_part(name)
                if other == part:
                    continue
                if other not in RULES:
                    found.append(f"{where}: `{other}` has no row in README.md's rules table")
                    continue
                allowed = RULES.get(part)
                if allowed is None:
                    found.append(f"{where}: `{part}` has no row in README.md's rules table")
                elif other not in allowed and f"{other}.{rest[0] if rest else ''}" not in allowed:
                    found.append(f"{where}: `{part}` may import only "
                                 f"{', '.join(sorted(allowed)) or 'nothing of ours'}")
                if (other in GLUE or "module" in rest[:-1] or rest == ["module"]) \
                        and not is_glue:
                    found.append(f"{where}: module glue is imported by module.py files only")
    return found


def test_the_rules_table_names_every_part():
    parts = {part_of(p) for p in MODULE_UTILS.rglob("*.py") if p.name != "__init__.py"}
    assert {"signing", "cosign", "trivy", "scan", "redaction"} <= set(RULES)
    assert sorted(parts - set(RULES)) == [], "add a row to README.md's Architecture table"
    assert sorted(set(RULES) - parts) == [], "README.md's table names a part that is gone"


def test_module_utils_imports_follow_the_rules():
    found = module_utils_violations()
    assert found == [], "\n".join(found)


@pytest.mark.parametrize("upstream, downstream", [("trivy", "scan"), ("signing", "cosign"),
                                                  ("signing", "notation")])
def test_one_direction_only(upstream, downstream):
    assert upstream in RULES[downstream] or any(
        r.startswith(upstream + ".") for r in RULES[downstream])
    assert downstream not in RULES[upstream]


def test_the_check_sees_a_violation(tmp_path, monkeypatch):
    """The check is not vacuous: trivy importing scan, and a relative import, are reported."""
    fake = tmp_path / "module_utils"
    (fake / "trivy").mkdir(parents=True)
    (fake / "trivy" / "gate.py").write_text(
        f"from {PREFIX}.scan.build_gate import gate_task\nfrom . import reports\n"
        "import ansible.module_utils.basic\n")
    monkeypatch.setitem(globals(), "MODULE_UTILS", fake)
    monkeypatch.setitem(globals(), "ROOT", tmp_path)
    found = module_utils_violations()
    assert len(found) == 3, found
    assert "`trivy` may import only" in found[0] and "scan.build_gate" in found[0]
    assert "relative import" in found[1] and "import Ansible" in found[2]


def test_pulumi_imports_module_utils_through_the_public_paths():
    """pulumi/ reaches the collection only as `ansible_collections.bulwark.container_security.
    plugins.module_utils.<part>...`: no plugins/modules or filters, no module glue (Ansible),
    no other spelling of the path (a copy of the module, not the same object)."""
    found = []
    for path in sorted((ROOT / "pulumi").rglob("*.py")):
        for line, name in imports(path):
            where = f"{path.relative_to(ROOT)}:{line} imports {name}"
            head = name.split(".")[0]
            if head == "ansible" or (head == "ansible_collections"
                                     and not name.startswith(PREFIX + ".")):
                found.append(f"{where}: pulumi/ imports module_utils only")
            elif "module_utils" in name and not name.startswith(PREFIX + "."):
                found.append(f"{where}: not the public path {PREFIX}.<part>")
            elif name.startswith(PREFIX + "."):
                part, rest = target_part(name)
                if part not in RULES or part in GLUE or "module" in rest:
                    found.append(f"{where}: not a public part (module glue or unknown)")
    assert found == [], "\n".join(found)
    loaders = [p.name for p in (ROOT / "pulumi").rglob("*.py")
               if "spec_from_file_location" in p.read_text(encoding="utf-8")]
    assert loaders == [], "module_utils loaded from a file path is a second copy"


def test_filters_never_reach_the_module_glue():
    """Filters run on the controller inside a play: no AnsibleModule glue, only the logic."""
    found = []
    for path in sorted((ROOT / "plugins" / "filter").glob("*.py")):
        for line, name in imports(path):
            if name.startswith(PREFIX + "."):
                part, rest = target_part(name)
                if part in GLUE or "module" in rest:
                    found.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert found == [], "\n".join(found)


def unit_test_home(test: Path) -> list[str]:
    """Why a unit test file under tests/unit/plugins is not where its name says (empty: it is)."""
    rel = test.relative_to(ROOT / "tests" / "unit" / "plugins")
    kind, stem = rel.parts[0], test.stem
    if kind == "modules":
        name = stem.removeprefix("test_module_")
        known = {p.stem for p in (ROOT / "plugins" / "modules").glob("*.py")}
        family = any(m.startswith(name + "_") for m in known)  # test_module_cosign: cosign_*
        ok = stem.startswith("test_module_") and (name in known or family or name == "return_docs")
        return [] if ok else [f"{rel}: test_module_<one of plugins/modules/*.py>"]
    if kind == "filter":
        name = stem.removeprefix("test_filter_")
        known = {p.stem for p in (ROOT / "plugins" / "filter").glob("*.py")} | {"docs", "lists"}
        return [] if stem.startswith("test_filter_") and name in known else [
            f"{rel}: test_filter_<one of plugins/filter/*.py>"]
    if kind != "module_utils":
        return [f"{rel}: tests/unit/plugins holds modules/, filter/ and module_utils/ only"]
    source = ROOT / "plugins" / "module_utils" / rel.parent.relative_to("module_utils")
    files = {p.stem for p in source.glob("*.py")} - {"__init__"}
    prefix = "test_" + (f"{rel.parent.name}_" if len(rel.parts) > 2 else "")
    tail = stem.removeprefix(prefix)
    if not stem.startswith(prefix) or not any(tail == f or tail.startswith(f + "_")
                                              for f in files | {"input_checks"}):
        return [f"{rel}: {prefix}<one of {source.relative_to(ROOT)}/*.py>[_<aspect>]"]
    return []


def test_unit_tree_mirrors_plugins():
    """A plugin file's tests are where its path says: module_utils/<pkg>/<file>.py is tested in
    tests/unit/plugins/module_utils/<pkg>/test_<pkg>_<file>*.py, a module in
    plugins/modules/test_module_<name>.py, a filter in plugins/filter/test_filter_<name>.py."""
    tests = sorted((ROOT / "tests" / "unit" / "plugins").rglob("test_*.py"))
    assert len(tests) > 40
    found = [why for test in tests for why in unit_test_home(test)]
    assert found == [], "\n".join(found)
    loose = [p.name for p in (ROOT / "tests" / "unit").glob("test_*.py")]
    assert loose == ["test_architecture.py"], loose
