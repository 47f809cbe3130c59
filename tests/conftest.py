"""Shared pytest fixtures: the collection on sys.path, and the lab (mirror, registry, tools).

Lab fixtures start what they need and stop it at the end of the session. When a lab part
cannot exist on this machine, the test is skipped with the missing tool named.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".collections"
LINK = COLLECTIONS / "ansible_collections" / "bulwark" / "container_security"
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT)
for p in (str(COLLECTIONS), str(ROOT / "lab")):
    if p not in sys.path:
        sys.path.insert(0, p)

import lab  # noqa: E402  (lab/lab.py)

FIXTURES = ROOT.parent / "shared" / "fixtures"
if not FIXTURES.exists():
    FIXTURES = Path(os.environ.get("BULWARK_SHARED_FIXTURES", "/work/shared/fixtures"))


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    if not FIXTURES.exists():
        pytest.skip(f"upstream reference fixtures missing: {FIXTURES}")
    return FIXTURES


def _require(binary: str) -> None:
    if not shutil.which(binary):
        pytest.skip(f"{binary} is not installed (make setup installs it)")


@pytest.fixture(scope="session")
def lab_tools() -> dict:
    """Real binaries: cosign (3.1.1), cosign-2.5.0, crane, syft."""
    _require("apt-get")
    return {k: str(v) for k, v in lab.tools().items()}


@pytest.fixture(scope="session")
def lab_registry(lab_tools) -> str:
    """A real OCI registry (CNCF Distribution) on 127.0.0.1; yields host:port."""
    _require("docker-registry")
    was_up = lab.port_open(lab.REGISTRY_PORT)
    lab.registry_start()
    yield lab.registry_host()
    if not was_up:
        lab.stop_daemon("registry")


@pytest.fixture(scope="session")
def lab_mirror(lab_tools) -> str:
    """The artifact mirror on 127.0.0.1; yields its base URL."""
    was_up = lab.port_open(lab.MIRROR_PORT)
    lab.mirror_start()
    yield f"http://127.0.0.1:{lab.MIRROR_PORT}"
    if not was_up:
        lab.stop_daemon("mirror")


@pytest.fixture(scope="session")
def lab_image_factory(lab_registry):
    """push(repo:tag, content) -> 'host:port/repo@sha256:...' of a fresh one-layer image."""
    def push(ref: str, content: str | None = None) -> str:
        return lab.push_image(ref, content)
    return push


def ansible_env(**extra) -> dict:
    """Environment for running ansible-playbook against the collection from the checkout."""
    env = dict(os.environ)
    env.update(lab.env_vars())
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    })
    env.update(extra)
    return env


def run_playbook(args, **kw) -> subprocess.CompletedProcess:
    """ansible-playbook from the venv with the collection on its path; output captured."""
    exe = Path(sys.executable).parent / "ansible-playbook"
    return subprocess.run([str(exe), *args], env=ansible_env(**kw.pop("env", {})),
                          capture_output=True, text=True, cwd=ROOT, **kw)
