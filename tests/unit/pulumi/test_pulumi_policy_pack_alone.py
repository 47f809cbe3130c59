# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The CrossGuard pack stays inside pulumi/policy/ (it is published alone): it imports nothing
from ../, finds the collection's module_utils the one way the program does (the same finder,
byte for byte), and reads no side file."""
from __future__ import annotations

import ast
import shutil
import subprocess
import sys

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.crossguard import (
    POLICY_KEYS,
)
from pulumi_harness import PULUMI_DIR, ROOT

PACK = PULUMI_DIR / "policy"
# the standard library, the pack's own files, its requirements, the collection's namespace
ALLOWED_TOP = {*sys.stdlib_module_names, "pack", "bulwark_collection", "pulumi_policy", "cel",
               "ansible_collections"}


def test_the_pack_imports_only_its_own_files_its_requirements_and_the_collection():
    found = []
    for path in sorted(PACK.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            if isinstance(node, ast.ImportFrom) and node.level:
                found.append(f"{path.name}:{node.lineno} relative import")
            found += [f"{path.name}:{node.lineno} imports {n}" for n in names
                      if n.split(".")[0] not in ALLOWED_TOP]
        text = path.read_text(encoding="utf-8")
        if "parent" in text and path.name != "bulwark_collection.py":
            found.append(f"{path.name} reaches outside its directory")
    assert found == [], found
    assert not (PACK / "policy-settings.yaml").exists()


def test_program_and_pack_find_the_collection_with_one_finder():
    program = (PULUMI_DIR / "bulwark_platform" / "collection.py").read_bytes()
    assert (PACK / "bulwark_collection.py").read_bytes() == program


def _bare(cwd, *code, env=None):
    return subprocess.run([sys.executable, "-c", "; ".join(code)], cwd=cwd, capture_output=True,
                          text=True, env=env, timeout=120, check=False)


def test_the_pack_loads_from_its_directory_in_a_bare_interpreter():
    """As the Pulumi CLI runs it: cwd pulumi/policy, nothing else on sys.path."""
    run = _bare(PACK, "import pack", "print(len(pack.policies()))",
                "print(any('bulwark_platform' in m for m in __import__('sys').modules))")
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == [str(len(POLICY_KEYS)), "False"]


def test_the_pack_published_alone_needs_the_collection_installed(tmp_path):
    """A copy of the pack outside any checkout: an ImportError naming the collection; with the
    collection where Python finds it (PYTHONPATH, as an installed one), it loads."""
    copy = tmp_path / "a" / "b" / "policy"
    shutil.copytree(PACK, copy, ignore=shutil.ignore_patterns("venv", "__pycache__"))
    alone = _bare(copy, "import pack", env={"PATH": "/usr/bin:/bin"})
    assert alone.returncode == 1
    assert alone.stderr.strip().splitlines()[-1] == (
        "ImportError: the collection ansible_collections.bulwark.container_security is not "
        f"installed, and {tmp_path / 'a'} is not its checkout (no galaxy.yml and plugins/ "
        "there): install the collection where Python finds it, or run from a clone of the "
        "repository")
    installed = _bare(copy, "import pack", "print(len(pack.policies()))",
                      env={"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT / ".collections")})
    assert installed.returncode == 0, installed.stderr
    assert installed.stdout.split() == [str(len(POLICY_KEYS))]
