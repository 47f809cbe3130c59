"""execution-environment.yml through the real `ansible-builder create` (no container build),
and bindep.txt read by the real bindep library.

The build context must carry the project's own requirement files unchanged, name the pinned
base image and the ansible-core pin of requirements.lock.txt. The builder's own introspection
step merges every collection's requirements into one file: merged with kubernetes.core's real
requirements and a collection's unpinned `boto3>=1.28`, what Bulwark ships (the loose, bounded
requirements.txt) must install (`pip install --dry-run` against PyPI), and the hashed lock, merged
the same way, is what pip refuses, which is why the lock does not ship.
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

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
                         capture_output=True, text=True, cwd=ROOT, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return out


def test_definition_is_schema_version_3_with_a_pinned_base_image():
    assert EE["version"] == 3
    image, _sep, tag = BASE_IMAGE.rpartition(":")
    assert "/" in image and re.fullmatch(r"\d+(\.\d+)+", tag), BASE_IMAGE


def test_ansible_core_pin_is_the_controllers():
    assert EE["dependencies"]["ansible_core"]["package_pip"] == pin(
        "ansible-core", ROOT / "requirements.lock.txt")


def test_context_carries_the_project_files_unchanged(context):
    for name in ("requirements.txt", "bindep.txt", "requirements.yml"):
        built = context / "_build" / name
        assert built.is_file(), name
        assert built.read_bytes() == (ROOT / name).read_bytes(), name


def test_containerfile_uses_the_pinned_base_image_and_pins(context):
    text = (context / "Containerfile").read_text()
    assert f'ARG EE_BASE_IMAGE="{BASE_IMAGE}"' in text
    refs = re.search(r'^ARG ANSIBLE_INSTALL_REFS="([^"]*)"', text, re.MULTILINE).group(1).split()
    assert pin("ansible-core", ROOT / "requirements.lock.txt") in refs
    assert all("==" in ref for ref in refs), refs
    assert "ansible-galaxy collection install" in text and "-r requirements.yml" in text


# kubernetes.core's requirements.txt and bindep.txt, unchanged (tests/fixtures/PROVENANCE.md)
KUBERNETES_CORE = ROOT / "tests" / "fixtures" / "ansible_builder" / "kubernetes.core"
# stands in for any collection that asks for a library without a pin (amazon.aws-style)
UNPINNED = "boto3>=1.28"
# what a built bulwark.container_security carries for the builder (galaxy.yml build_ignore)
BULWARK_EE_FILES = ("galaxy.yml", "meta/execution-environment.yml", "bindep.txt")


def _collection(folder: Path, fqcn: str, files: dict[str, bytes]) -> None:
    namespace, name = fqcn.split(".")
    path = folder / "ansible_collections" / namespace / name
    for rel, data in {"galaxy.yml": f"namespace: {namespace}\nname: {name}\n".encode(),
                      **files}.items():
        (path / rel).parent.mkdir(parents=True, exist_ok=True)
        (path / rel).write_bytes(data)


def _merge(context: Path, tmp_path: Path, ours: Path) -> tuple[Path, str]:
    """The builder stage of the project's Containerfile, with `ours` as Bulwark's requirements.txt
    both in the build context (the definition's `python:`) and in the installed collection, next
    to kubernetes.core and a collection with an unpinned requirement. Returns the requirements
    file the builder writes for pip, and the bindep list it writes."""
    build = tmp_path / "_build"
    shutil.copytree(context / "_build", build)
    shutil.copyfile(ours, build / "requirements.txt")
    folder = tmp_path / "collections"
    _collection(folder, "bulwark.container_security",
                {**{rel: (ROOT / rel).read_bytes() for rel in BULWARK_EE_FILES},
                 "requirements.txt": ours.read_bytes()})
    _collection(folder, "kubernetes.core",
                {name: (KUBERNETES_CORE / name).read_bytes()
                 for name in ("requirements.txt", "bindep.txt")})
    _collection(folder, "example.unpinned", {"requirements.txt": f"{UNPINNED}\n".encode()})
    out = tmp_path / "src"
    command = re.search(r"^RUN \$PYCMD /output/scripts/introspect\.py (.*)$",
                        (context / "Containerfile").read_text(), re.MULTILINE).group(1)
    args = command.replace("/tmp/src/", f"{out}/").split()
    res = subprocess.run([sys.executable, str(build / "scripts" / "introspect.py"), *args,
                          str(folder)], capture_output=True, text=True, cwd=build, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    return out / "requirements.txt", (out / "bindep.txt").read_text()


def _pip_dry_run(requirements: Path, report: Path) -> subprocess.CompletedProcess:
    """pip as in the image's assemble step: PyPI only, none of this machine's pip configuration
    (local wheel directories, constraints), nothing taken from the venv's installed packages."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_") or k == "PIP_CERT"}
    env["PIP_CONFIG_FILE"] = os.devnull
    command = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
               "--quiet", "--no-input", "--disable-pip-version-check",
               "--index-url", "https://pypi.org/simple", "--report", str(report),
               "-r", str(requirements)]
    return subprocess.run(command, capture_output=True, text=True, env=env, check=False,
                          timeout=900)


def _requirements(path: Path) -> list[Requirement]:
    return [Requirement(line.split("#", 1)[0].strip()) for line in path.read_text().splitlines()
            if line.split("#", 1)[0].strip()]


def test_shipped_requirements_are_loose_and_bounded():
    """What ansible-builder merges: no hashes, no exact pins, a floor and a ceiling on each."""
    text = (ROOT / "requirements.txt").read_text()
    assert "--hash" not in text
    reqs = _requirements(ROOT / "requirements.txt")
    assert reqs
    for req in reqs:
        operators = {spec.operator for spec in req.specifier}
        assert operators == {">=", "<"}, f"{req}: wants a >= floor and a < ceiling"


def test_merged_with_other_collections_it_installs(context, tmp_path):
    merged, bindep = _merge(context, tmp_path, ROOT / "requirements.txt")
    lines = merged.read_text()
    assert f"{UNPINNED}  # from collection example.unpinned" in lines
    assert "kubernetes>=24.2.0  # from collection kubernetes.core" in lines
    # kubernetes.core's CLI clients are excluded by the definition; our bindep default stays
    assert "openshift-clients" not in bindep and "kubernetes-client" not in bindep
    assert "seccomp [platform:dpkg]  # from collection bulwark.container_security" in bindep
    report = tmp_path / "report.json"
    res = _pip_dry_run(merged, report)
    assert res.returncode == 0, res.stdout + res.stderr
    chosen = {canonicalize_name(item["metadata"]["name"]): item["metadata"]["version"]
              for item in json.loads(report.read_text())["install"]}
    assert "boto3" in chosen
    for req in _requirements(ROOT / "requirements.txt"):
        name = canonicalize_name(req.name)
        assert name in chosen and req.specifier.contains(chosen[name]), (req, chosen.get(name))


def test_the_hashed_lock_merged_the_same_way_is_refused(context, tmp_path):
    """Why requirements.lock.txt does not ship: one hashed line turns on pip's hash-checking
    mode for the whole merged file, and other collections' lines carry no hashes."""
    merged, _bindep = _merge(context, tmp_path, ROOT / "requirements.lock.txt")
    assert "--hash=sha256:" in merged.read_text()
    res = _pip_dry_run(merged, tmp_path / "report.json")
    assert res.returncode != 0
    assert "In --require-hashes mode" in res.stderr and UNPINNED in res.stderr, res.stderr[-2000:]


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
