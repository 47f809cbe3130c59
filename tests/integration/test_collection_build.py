"""`ansible-galaxy collection build`, then `install` of the tarball into an empty collections
path, gives a working collection: no lab, test or development files in it, every playbook
passes `--syntax-check` by its FQCN, every module (and every filter, once filters carry docs)
renders in `ansible-doc`.

The dependency collections cannot come from Galaxy here, so the install uses `--no-deps` and
kubernetes.core comes from the `ansible` package in the venv (requirements-dev.txt); nothing
else is on the collections path, and the checkout is not.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
import tarfile
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
FQCN = f"{GALAXY['namespace']}.{GALAXY['name']}"
# every playbook a user runs by FQCN (site.yml too once it exists); the lab's are not shipped
PLAYBOOKS = sorted(p.stem for p in (ROOT / "playbooks").glob("*.yml"))
# top-level entries a user of the built collection must not get
PRIVATE = ("Makefile", "ansible.cfg", "pyproject.toml", "requirements.lock.txt",
           "requirements-dev.in", "requirements-dev.txt", "requirements-lab.in",
           "requirements-lab.txt", "lab", "tests",
           "molecule", "tools", "bench", ".ci", ".config", ".venv", ".lab", ".collections",
           ".cache", ".git", ".gitignore", ".yamllint", ".ansible-lint", "plugins/ruff.toml")
SHIPPED = ("MANIFEST.json", "README.md", "LICENSE", "meta/runtime.yml",
           "meta/execution-environment.yml", "requirements.txt", "requirements.yml", "bindep.txt",
           "execution-environment.yml", "playbooks/scan.yml",
           "roles/release_artifact/meta/argument_specs.yml",
           "plugins/module_utils/release_artifacts.py", "bin/admission_check.py",
           "bin/falco_rules_lint.py")


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    out = tmp_path_factory.mktemp("build")
    built = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force",
                            "--output-path", str(out), str(ROOT)],
                           capture_output=True, text=True, check=False)
    assert built.returncode == 0, built.stdout + built.stderr
    tarball = out / f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
    assert tarball.exists(), sorted(p.name for p in out.iterdir())
    dest = tmp_path_factory.mktemp("collections")
    inst = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "install", "--offline",
                           "--force", "--no-deps", "-p", str(dest), str(tarball)],
                          capture_output=True, text=True, check=False)
    assert inst.returncode == 0, inst.stdout + inst.stderr
    assert sorted(os.listdir(dest / "ansible_collections")) == [GALAXY["namespace"]]
    return tarball, dest


def _env(dest):
    """The installed copy plus the venv's collections (kubernetes.core); no checkout, no cfg."""
    env = dict(os.environ)
    for key in ("ANSIBLE_CONFIG", "ANSIBLE_ROLES_PATH", "ANSIBLE_COLLECTIONS_PATH"):
        env.pop(key, None)
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": f"{dest}:{sysconfig.get_paths()['purelib']}",
        "ANSIBLE_COLLECTIONS_SCAN_SYS_PATH": "false",
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{BIN}:{env.get('PATH', '')}",
    })
    return env


def _run(tool, *args, dest, cwd):
    return subprocess.run([str(BIN / tool), *args], capture_output=True, text=True,
                          env=_env(dest), cwd=cwd, check=False)


def test_tarball_holds_the_collection_and_nothing_private(installed):
    tarball, _dest = installed
    with tarfile.open(tarball) as tar:
        names = tar.getnames()
    assert "galaxy.yml" not in names
    for shipped in SHIPPED:
        assert shipped in names, shipped
    for private in PRIVATE:
        assert not any(n == private or n.startswith(private + "/") for n in names), private
    assert not any(n.startswith("playbooks/lab") for n in names)
    assert not any(n.endswith((".key", ".pyc")) or "__pycache__" in n for n in names)


def test_the_installed_copy_is_the_one_ansible_uses(installed, tmp_path):
    _tarball, dest = installed
    res = _run("ansible-galaxy", "collection", "list", FQCN, "--format", "json",
               dest=dest, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert list(json.loads(res.stdout)) == [str(dest / "ansible_collections")]


def test_installed_collection_plugins_load(installed, tmp_path):
    _tarball, dest = installed
    play = tmp_path / "play.yml"
    play.write_text(
        "- hosts: localhost\n  gather_facts: false\n  tasks:\n"
        "    - ansible.builtin.assert:\n"
        "        that: >-\n"
        "          ('cosign' | bulwark.container_security.release_artifact_plan("
        "version='3.1.1', architecture='x86_64')).url.endswith('/v3.1.1/cosign-linux-amd64')\n"
    )
    res = _run("ansible-playbook", str(play), dest=dest, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr


def test_scan_is_among_the_shipped_playbooks():
    assert "scan" in PLAYBOOKS, PLAYBOOKS


@pytest.mark.parametrize("playbook", PLAYBOOKS)
def test_playbook_syntax_check_by_fqcn(installed, tmp_path, playbook):
    _tarball, dest = installed
    res = _run("ansible-playbook", f"{FQCN}.{playbook}", "--syntax-check", "-i", "localhost,",
               dest=dest, cwd=tmp_path)
    assert res.returncode == 0, res.stdout + res.stderr
    assert f"playbook: {dest}" in res.stdout, res.stdout


def test_every_module_has_documentation(installed, tmp_path):
    _tarball, dest = installed
    modules = sorted(p.stem for p in (ROOT / "plugins/modules").glob("*.py")
                     if p.stem != "__init__")
    assert modules
    for name in modules:
        res = _run("ansible-doc", "-t", "module", "--json", f"{FQCN}.{name}", dest=dest,
                   cwd=tmp_path)
        assert res.returncode == 0, f"{name}: {res.stderr}"
        assert '"examples"' in res.stdout and '"return"' in res.stdout, name
        # a real author line or none, never a placeholder (`!UNKNOWN`)
        assert "!UNKNOWN" not in res.stdout, name


def test_documented_filters_render_and_once_one_is_documented_all_are(installed, tmp_path):
    _tarball, dest = installed
    res = _run("ansible-doc", "-t", "filter", "-l", FQCN, "--json", dest=dest, cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    listed = json.loads(res.stdout)
    assert listed, "no filters listed"
    documented = sorted(n for n, text in listed.items() if text != "UNDOCUMENTED")
    for name in documented:
        doc = _run("ansible-doc", "-t", "filter", "--json", name, dest=dest, cwd=tmp_path)
        assert doc.returncode == 0, f"{name}: {doc.stderr}"
        assert json.loads(doc.stdout)[name]["examples"], f"{name}: no examples"
    if documented:
        assert sorted(listed) == documented, "undocumented filters: " + ", ".join(
            sorted(set(listed) - set(documented)))
