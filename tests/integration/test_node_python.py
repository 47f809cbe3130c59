# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The modules that run on managed nodes (and build hosts) work on the oldest Python we support.

Each module's simplest real invocation runs through ansible-playbook against localhost with
ansible_python_interpreter set to Python 3.9 (RHEL 9's platform Python, tests/config.yml).
The interpreter is part of the machine image; when it is missing the test fails.

falco_rules_lint needs PyYAML on the node (its documented requirement): it runs in a Python 3.9
venv with RHEL 9's PyYAML (5.4.1), and on the bare interpreter it must refuse with a message
naming PyYAML. The other modules need nothing beyond the standard library.
"""
from __future__ import annotations

import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from conftest import run_playbook

OLDEST_PYTHON = Path(os.environ.get("BULWARK_OLDEST_PYTHON",
                                    "/root/.pyenv/versions/3.9.18/bin/python3.9"))
OLDEST_VERSION = "3.9"
ROOT = Path(__file__).resolve().parents[2]
# RHEL 9's python3-pyyaml; installed into a cached venv of the oldest Python for the linter.
NODE_PYYAML = "PyYAML==5.4.1"
NEEDS_PYYAML = {"falco_rules_lint"}

FALCO_RULES = """\
- list: shell_binaries
  items: [bash, sh, zsh]
- rule: Shell in container
  desc: A shell was spawned in a container
  condition: evt.type = execve and container.id != host and proc.name in (shell_binaries)
  output: "Shell in container (user=%user.name command=%proc.cmdline)"
  priority: WARNING
"""

TRIVY_REPORT = {
    "SchemaVersion": 2,
    "ArtifactName": "registry.example/app:1.0",
    "ArtifactType": "container_image",
    "Results": [{"Target": "app", "Vulnerabilities": [
        {"VulnerabilityID": "CVE-2024-0001", "PkgName": "libfoo", "InstalledVersion": "1.0",
         "FixedVersion": "1.1", "Severity": "MEDIUM", "Status": "fixed"}]}],
}

# One play per module group; `{...}` fields are filled in by the test.
PLAYS = {
    "falco_rules_lint": """
    - name: Lint a small rules file
      bulwark.container_security.falco_rules_lint:
        paths: ["{rules}"]
      register: lint
    - ansible.builtin.assert:
        that: lint is not failed and lint.errors == [] and lint.counts.rules == 1
""",
    "file_set": """
    - name: Write two files, then again (nothing to do)
      bulwark.container_security.file_set:
        path: "{tmp}/set"
        files: {{"a.yaml": "a\\n", "sub/b.yaml": "b\\n"}}
        prune: [sub]
        mode: "0640"
      register: fileset
      loop: [1, 2]
    - ansible.builtin.assert:
        that: fileset.results[0].changed and not fileset.results[1].changed
""",
    "seccomp_profile_validate": """
    - name: Validate an inline profile
      bulwark.container_security.seccomp_profile_validate:
        profile:
          defaultAction: SCMP_ACT_KILL_PROCESS
          architectures: [SCMP_ARCH_X86_64, SCMP_ARCH_AARCH64]
          syscalls:
            - names: [read, write, close, futex, exit_group]
              action: SCMP_ACT_ALLOW
            - names: [ptrace]
              action: SCMP_ACT_ERRNO
      register: profile
    - ansible.builtin.assert:
        that: profile is not failed
""",
    "trivy_gate": """
    - name: Gate a report with one MEDIUM finding at HIGH
      bulwark.container_security.trivy_gate:
        path: "{report}"
        severity: HIGH
        junit_path: "{tmp}/gate.junit.xml"
      register: gate
    - ansible.builtin.assert:
        that: gate.passed and gate.counts.MEDIUM == 1 and gate.changed
""",
    "trivy_scan": """
    - name: Plan a scan in check mode (Trivy is not run)
      bulwark.container_security.trivy_scan:
        target: registry.example/app:1.0
        severity: HIGH
      check_mode: true
      register: scan
    - ansible.builtin.assert:
        that:
          - scan.skipped
          - scan.command[1] == 'image' and scan.command[-1] == 'registry.example/app:1.0'
""",
    "cosign": """
    - name: Sign a fresh lab image
      bulwark.container_security.cosign_sign:
        <<: &cosign_common
          image: "{image}"
          transparency_log: false
          insecure_registry: true
          cosign_path: "{cosign}"
          crane_path: "{crane}"
        key: "{key}"
        key_password: "{password}"
      register: signed
    - name: Verify it
      bulwark.container_security.cosign_verify:
        <<: *cosign_common
        public_keys: ["{pub}"]
      register: verified
    - name: Attest a small predicate
      bulwark.container_security.cosign_attest:
        <<: *cosign_common
        predicate: "{predicate}"
        predicate_type: custom
        key: "{key}"
        key_password: "{password}"
      register: attested
    - name: Verify the attestation
      bulwark.container_security.cosign_verify_attestation:
        <<: *cosign_common
        predicate_type: custom
        public_keys: ["{pub}"]
      register: attestation
    - ansible.builtin.assert:
        that:
          - signed.changed and verified is not failed
          - attested.changed and attestation is not failed
""",
}

PLAYBOOK = """
- name: Node-side modules on the oldest supported Python
  hosts: localhost
  gather_facts: false
  tasks:
    - name: The modules run on the interpreter under test
      ansible.builtin.setup:
        gather_subset: [min]
    - ansible.builtin.assert:
        that: >-
          '%d.%d' | format(ansible_facts.python.version.major,
                           ansible_facts.python.version.minor) == '{version}'
{tasks}
"""


@pytest.fixture(scope="session")
def oldest_python() -> Path:
    if not (OLDEST_PYTHON.is_file() and os.access(OLDEST_PYTHON, os.X_OK)):
        pytest.fail(f"{OLDEST_PYTHON} (Python {OLDEST_VERSION}, the oldest Python the modules "
                    "support) is missing; set BULWARK_OLDEST_PYTHON to one")
    version = subprocess.run([str(OLDEST_PYTHON), "-c",
                              "import sys; print('%d.%d' % sys.version_info[:2])"],
                             capture_output=True, text=True, check=True).stdout.strip()
    assert version == OLDEST_VERSION
    return OLDEST_PYTHON


@pytest.fixture(scope="session")
def oldest_python_with_pyyaml(oldest_python) -> Path:
    venv = ROOT / ".cache" / "node-python" / f"{OLDEST_VERSION}-{NODE_PYYAML.replace('==', '-')}"
    python = venv / "bin" / "python"
    if not (venv / ".complete").exists():
        subprocess.run([str(oldest_python), "-m", "venv", "--clear", str(venv)], check=True)
        subprocess.run([str(python), "-m", "pip", "install", "-q", NODE_PYYAML], check=True)
        (venv / ".complete").write_text(NODE_PYYAML + "\n")
    return python


def _fields(name, tmp_path, request) -> dict:
    fields = {"tmp": str(tmp_path)}
    if name == "falco_rules_lint":
        fields["rules"] = tmp_path / "rules.yaml"
        fields["rules"].write_text(FALCO_RULES)
    elif name == "trivy_gate":
        fields["report"] = tmp_path / "report.json"
        fields["report"].write_text(json.dumps(TRIVY_REPORT))
    elif name == "cosign":
        tools = request.getfixturevalue("lab_tools")
        push = request.getfixturevalue("lab_image_factory")
        password = uuid.uuid4().hex
        subprocess.run([tools["cosign"], "generate-key-pair"], cwd=tmp_path, check=True,
                       capture_output=True, env=dict(os.environ, COSIGN_PASSWORD=password))
        repo = f"bulwark-test/node-python-{uuid.uuid4().hex[:10]}"
        push(f"{repo}:v1", uuid.uuid4().hex)
        predicate = tmp_path / "predicate.json"
        predicate.write_text(json.dumps({"checked_on": OLDEST_VERSION}))
        registry = request.getfixturevalue("lab_registry")
        fields.update(image=f"{registry}/{repo}:v1", key=tmp_path / "cosign.key",
                      pub=tmp_path / "cosign.pub", password=password, predicate=predicate,
                      cosign=tools["cosign"], crane=tools["crane"])
    return fields


def _run(name, interpreter, tmp_path, request) -> subprocess.CompletedProcess:
    tasks = PLAYS[name].format(**_fields(name, tmp_path, request))
    playbook = tmp_path / "play.yml"
    playbook.write_text(PLAYBOOK.format(version=OLDEST_VERSION, tasks=tasks))
    return run_playbook([str(playbook), "-i", "localhost,", "-c", "local",
                         "-e", f"ansible_python_interpreter={interpreter}"])


@pytest.mark.parametrize("name", sorted(PLAYS))
def test_module_runs_on_the_oldest_python(name, oldest_python, tmp_path, request):
    interpreter = oldest_python
    if name in NEEDS_PYYAML:
        interpreter = request.getfixturevalue("oldest_python_with_pyyaml")
    res = _run(name, interpreter, tmp_path, request)
    assert res.returncode == 0, (res.stdout + res.stderr)[-4000:]
    assert "failed=0" in res.stdout


@pytest.mark.parametrize("name", sorted(NEEDS_PYYAML))
def test_module_without_pyyaml_says_so(name, oldest_python, tmp_path, request):
    res = _run(name, oldest_python, tmp_path, request)
    assert res.returncode != 0
    assert "Failed to import the required Python library (PyYAML)" in res.stdout, res.stdout[-3000:]
    assert f"Python {oldest_python}." in res.stdout
