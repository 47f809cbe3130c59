# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""file_set run in-process (patch_module_args): check mode writes nothing, a second run changes
nothing, files dropped from the set are pruned, and a path that could leave the root is refused
before anything is written."""
from __future__ import annotations

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.module_files import (
    file_set_errors,
    stale_files,
)
from ansible_collections.bulwark.container_security.plugins.modules import file_set
from conftest import run_module

FILES = {"policies/a.yaml": "a\n", "policies/sub/b.yaml": "b\n", "bundle.yaml": "all\n"}


def run(capsys, root, files, **extra):
    return run_module(file_set, {"path": str(root), "files": files, "prune": ["policies"],
                                 "mode": "0640", **extra}, capsys)


def tree(root):
    return {str(p.relative_to(root)): (p.read_text(), oct(p.stat().st_mode & 0o777))
            for p in sorted(root.rglob("*")) if p.is_file()}


def test_check_mode_then_write_then_nothing_to_do(tmp_path, capsys):
    root = tmp_path / "out"
    checked = run(capsys, root, FILES, _ansible_check_mode=True, _ansible_diff=True)
    assert checked["changed"] and sorted(checked["written"]) == sorted(FILES)
    assert [d["after"] for d in checked["diff"]] == [FILES[k] for k in sorted(FILES)]
    assert not root.exists()
    first = run(capsys, root, FILES)
    assert first["changed"] and first["_rc"] == 0
    assert tree(root) == {k: (v, "0o640") for k, v in FILES.items()}
    assert oct((root / "policies" / "sub").stat().st_mode & 0o777) == "0o755"
    second = run(capsys, root, FILES)
    assert second["changed"] is False and second["written"] == [] and second["removed"] == []


def test_mode_drift_is_repaired_and_reported(tmp_path, capsys):
    root = tmp_path / "out"
    run(capsys, root, FILES)
    (root / "bundle.yaml").chmod(0o666)
    again = run(capsys, root, FILES)
    assert again["changed"] and again["written"] == ["bundle.yaml"]
    assert tree(root)["bundle.yaml"] == ("all\n", "0o640")


def test_files_dropped_from_the_set_are_pruned_only_under_prune(tmp_path, capsys):
    root = tmp_path / "out"
    run(capsys, root, FILES)
    (root / "notes.txt").write_text("kept: not under a prune directory\n")
    smaller = {"policies/a.yaml": "a2\n", "bundle.yaml": "all\n"}
    checked = run(capsys, root, smaller, _ansible_check_mode=True, _ansible_diff=True)
    assert checked["removed"] == ["policies/sub/b.yaml"]
    assert (root / "policies" / "sub" / "b.yaml").exists()
    done = run(capsys, root, smaller)
    assert done["written"] == ["policies/a.yaml"] and done["removed"] == ["policies/sub/b.yaml"]
    assert sorted(tree(root)) == ["bundle.yaml", "notes.txt", "policies/a.yaml"]


@pytest.mark.parametrize("bad", ["../escape.yaml", "/etc/passwd", "policies//a.yaml",
                                 "policies/./a.yaml", ""])
def test_paths_that_could_leave_the_root_are_refused_before_writing(tmp_path, capsys, bad):
    root = tmp_path / "out"
    result = run(capsys, root, {"ok.yaml": "x\n", bad: "x\n"})
    assert result["_rc"] == 1 and result["failed"]
    assert repr(bad) in result["msg"] and "relative path inside the root" in result["msg"]
    assert not root.exists()


def test_non_text_content_is_named():
    assert file_set_errors({"a.yaml": {"k": 1}}, []) == [
        "files: 'a.yaml' must map to text, got dict"]
    assert file_set_errors({"a.yaml": "x"}, ["../up"])[0].startswith("prune: '../up'")


def test_stale_files_lists_only_unnamed_files_under_prune(tmp_path):
    for rel in ("p/a", "p/q/b", "other/c"):
        (tmp_path / rel).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / rel).write_text("x")
    assert stale_files(str(tmp_path), ["p"], {"p/a"}) == ["p/q/b"]
    assert stale_files(str(tmp_path), ["missing"], set()) == []
