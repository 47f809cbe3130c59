"""`ansible-galaxy collection build` then `install` of the tarball gives a working collection."""
from __future__ import annotations

import os
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    built = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force",
                            "--output-path", str(out), str(ROOT)],
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = out / "bulwark-container_security-0.1.0.tar.gz"
    assert tarball.exists()
    dest = tmp_path_factory.mktemp("collections")
    inst = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline",
                           "--force", "--no-deps", "-p", str(dest), str(tarball)],
                          capture_output=True, text=True)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    return tarball, dest


def test_tarball_holds_the_collection_and_nothing_private(installed):
    tarball, _ = installed
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names and "MANIFEST.json" in names
    assert "roles/release_artifact/meta/argument_specs.yml" in names
    assert "plugins/module_utils/release_artifacts.py" in names
    for private in (".venv", ".lab", ".collections", ".git"):
        assert not any(n == private or n.startswith(private + "/") for n in names), private
    assert not any(n.endswith(".key") for n in names)


def _env(dest):
    env = dict(os.environ)
    env.pop("ANSIBLE_CONFIG", None)
    env.update({"ANSIBLE_COLLECTIONS_PATH": str(dest), "ANSIBLE_NOCOLOR": "1",
                "PATH": f"{BIN}:{env.get('PATH', '')}"})
    return env


def test_installed_collection_plugins_load(installed, tmp_path):
    _, dest = installed
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.assert:\n"
        "        that: >-\n"
        "          ('cosign' | bulwark.container_security.release_artifact_plan("
        "version='3.1.1', architecture='x86_64')).url.endswith('/v3.1.1/cosign-linux-amd64')\n"
    )
    res = subprocess.run([str(BIN / "ansible-playbook"), str(play)], capture_output=True,
                         text=True, env=_env(dest), cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_every_module_has_documentation(installed):
    _, dest = installed
    modules = sorted(p.stem for p in (ROOT / "plugins/modules").glob("*.py")
                     if p.stem != "__init__")
    if not modules:
        pytest.skip("no modules in plugins/modules yet")
    for name in modules:
        res = subprocess.run([str(BIN / "ansible-doc"), "-t", "module", "--json",
                              f"bulwark.container_security.{name}"],
                             capture_output=True, text=True, env=_env(dest))
        assert res.returncode == 0, f"{name}: {res.stderr}"
        assert '"examples"' in res.stdout and '"return"' in res.stdout, name
