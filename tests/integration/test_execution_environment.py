# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""execution-environment.yml through the real `ansible-builder create` (no container build),
and bindep.txt read by the real bindep library.

The build context must carry the project's own requirement files unchanged, name the pinned
base image and the ansible-core pin of requirements.in; and the builder's own introspection
step, run on that context with kubernetes.core installed, must leave a requirements file that
pip's hash-checking mode accepts (every line pinned and hashed).
"""
from __future__ import annotations

import re
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
EE = yaml.safe_load((ROOT / "execution-environment.yml").read_text())
BASE_IMAGE = EE["images"]["base_image"]["name"]


def pin(name: str, path: Path) -> str:
    """The exact `name==version` line of a requirements file."""
    found = re.findall(rf"^{re.escape(name)}==[^\s\\;#]+", path.read_text(), re.MULTILINE)
    assert len(found) == 1, f"{name} in {path.name}: {found}"
    return found[0]


@pytest.fixture(scope="module")
def context(tmp_path_factory):
    builder = BIN / "ansible-builder"
    if not builder.exists():
        pytest.fail(f"{builder} missing (requirements-dev.txt installs ansible-builder)",
                    pytrace=False)
    out = tmp_path_factory.mktemp("ee") / "context"
    res = subprocess.run([str(builder), "create", "-f", str(ROOT / "execution-environment.yml"),
                          "-c", str(out), "--output-filename", "Containerfile"],
                         capture_output=True, text=True, cwd=ROOT)
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def test_definition_is_schema_version_3_with_a_pinned_base_image():
    assert EE["version"] == 3
    image, _, tag = BASE_IMAGE.rpartition(":")
    assert "/" in image and re.fullmatch(r"\d+(\.\d+)+", tag), BASE_IMAGE


def test_ansible_core_pin_is_the_controllers():
    assert EE["dependencies"]["ansible_core"]["package_pip"] == pin(
        "ansible-core", ROOT / "requirements.in")


def test_context_carries_the_project_files_unchanged(context):
    for name in ("requirements.txt", "bindep.txt", "requirements.yml"):
        built = context / "_build" / name
        assert built.is_file(), name
        assert built.read_bytes() == (ROOT / name).read_bytes(), name


def test_containerfile_uses_the_pinned_base_image_and_pins(context):
    text = (context / "Containerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{BASE_IMAGE}"' in text
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', text, re.MULTILINE).group(1).split()
    assert pin("ansible-core", ROOT / "requirements.in") in refs
    assert all("==" in ref for ref in refs), refs
    assert "ansible-galaxy collection install" in text and "-r requirements.yml" in text


def _logical_lines(text: str) -> list[str]:
    """Requirement lines with their backslash continuations joined, comments dropped."""
    joined = re.sub(r"\\\n", " ", text)
    return [line.split("#", 1)[0].strip() for line in joined.splitlines()
            if line.split("#", 1)[0].strip()]


def test_introspected_requirements_stay_hash_checked(context, tmp_path):
    """The builder merges collection requirements into ours; kubernetes.core's unhashed lines
    would switch pip's hash-checking mode into an error, so the definition excludes them."""
    site = Path(sysconfig.get_paths()["purelib"]) / "ansible_collections"
    if not (site / "kubernetes" / "core").is_dir():
        pytest.fail(f"kubernetes.core missing under {site} (requirements-dev.txt: ansible)",
                    pytrace=False)
    collections = tmp_path / "collections" / "ansible_collections" / "kubernetes"
    collections.mkdir(parents=True)
    (collections / "core").symlink_to(site / "kubernetes" / "core")
    # the builder stage's own command, with its /tmp/src output redirected to tmp_path
    command = re.search(r"^RUN \$PYCMD /output/scripts/introspect\.py (.*)$",
                        (context / "Containerfile").read_text(), re.MULTILINE).group(1)
    args = command.replace("/tmp/src/", f"{tmp_path}/").split()
    res = subprocess.run([sys.executable, str(context / "_build" / "scripts" / "introspect.py"),
                          *args, str(tmp_path / "collections")],
                         capture_output=True, text=True, cwd=context / "_build")
    assert res.returncode == 0, res.stdout + res.stderr
    lines = _logical_lines((tmp_path / "requirements.txt").read_text())
    assert len(lines) == len(_logical_lines((ROOT / "requirements.txt").read_text()))
    for line in lines:
        assert re.match(r"^[A-Za-z0-9._-]+(\[[^\]]+\])?==\S+", line), line
        assert "--hash=sha256:" in line, line
    assert any(line.startswith("kubernetes==") for line in lines)


def _bindep(profiles: list[str]) -> set[str]:
    from bindep.depends import Depends  # installed with ansible-builder (requirements-dev.txt)
    rules = Depends((ROOT / "bindep.txt").read_text()).active_rules(profiles)
    return {rule[0] for rule in rules}


def test_bindep_test_profile_on_debian_is_the_lab_package_list():
    lab = {line.strip() for line in (ROOT / "lab" / "apt-packages.txt").read_text().splitlines()
           if line.strip() and not line.startswith("#")}
    assert _bindep(["platform:dpkg", "platform:debian", "test"]) == lab


def test_bindep_default_profile_is_what_the_controller_runs():
    assert _bindep(["platform:dpkg", "platform:debian"]) == {"seccomp"}
    assert _bindep(["platform:rpm", "platform:redhat"]) == {"libseccomp-devel"}
