# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The Pulumi program and the collection share one copy of each module_utils module."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils import kubernetes_names
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    validation,
)
from bulwark_platform import policy_source
from bulwark_platform.settings import StackConfigError

ROOT = Path(__file__).resolve().parents[3]


def test_settings_error_is_one_class_for_pulumi_and_module_utils():
    assert policy_source.SettingsError is validation.SettingsError
    with pytest.raises(validation.SettingsError):        # raised by the program's builders
        policy_source.Settings.from_dict({"pod_security": {"default_action": "Nope"}})


def test_pulumi_names_manifests_with_the_collections_function():
    """The same manifest_name the kyverno role's kubernetes_manifest_name filter calls."""
    assert policy_source.manifest_name is kubernetes_names.manifest_name


def test_no_module_utils_file_is_importable_as_a_top_level_module():
    """Nothing puts plugins/module_utils on sys.path any more (that made second copies)."""
    module_utils = str(ROOT / "plugins" / "module_utils")
    assert module_utils not in sys.path
    with pytest.raises(ImportError):
        __import__("kyverno_policies")


def test_a_stack_error_from_the_builders_names_the_key():
    settings = type("S", (), {"policy": {"pod_security": {"default_action": "Nope"}},
                              "system_namespaces": ()})()
    with pytest.raises(StackConfigError, match="bulwark:policy.pod_security.default_action"):
        policy_source.policy_settings(settings)


def test_program_finds_the_collection_from_a_bare_interpreter():
    """render.py in a fresh interpreter (no conftest paths): one SettingsError there too."""
    code = ("import sys; sys.path.insert(0, 'pulumi');"
            " import bulwark_platform.policy_source as p;"
            " from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno"
            " import validation as v; print(p.SettingsError is v.SettingsError,"
            " any(m.split('.')[-1] == 'kyverno_policies' for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.split()
    assert out == ["True", "False"]


def test_program_outside_a_checkout_names_the_missing_collection(tmp_path):
    """pulumi/ copied out of the repository, no collection installed: an ImportError that says
    what is missing and what to do, not an empty result further on."""
    import shutil

    copy = tmp_path / "elsewhere" / "pulumi"
    shutil.copytree(ROOT / "pulumi", copy,
                    ignore=shutil.ignore_patterns("venv", "__pycache__", "rendered"))
    run = subprocess.run([sys.executable, "render.py", "--out", str(tmp_path / "out")], cwd=copy,
                         capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"},
                         timeout=120, check=False)
    assert run.returncode == 1
    assert run.stderr.strip().splitlines()[-1] == (
        "ImportError: the collection ansible_collections.bulwark.container_security is not "
        f"installed, and {tmp_path / 'elsewhere'} is not its checkout (no galaxy.yml and "
        "plugins/ there): install the collection where Python finds it, or run from a clone of "
        "the repository")
    assert not (tmp_path / "out").exists()
