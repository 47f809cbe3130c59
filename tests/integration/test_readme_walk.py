# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The README's walk, "Install" then "Use it on your estate", as a user runs it: the commands
are read from README.md's code blocks and run one after another in bash, from the tarball that
`ansible-galaxy collection build` writes, installed into an empty HOME's default collections
path; no checkout on any path, no ansible.cfg.

Each README line is run as written, except where a user's estate has hosts and this machine has
none: WALK below says, per command, what the walk adds (a vault password file instead of the
prompt, `--limit localhost` for the check run, `--list-tasks` for the runs that need nodes; the
runs on real nodes are tests/integration/fleet). A README line the walk does not know fails it,
so a README change that breaks the walk fails here.
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

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
GALAXY = yaml.safe_load((ROOT / "galaxy.yml").read_text())
TARBALL = f"{GALAXY['namespace']}-{GALAXY['name']}-{GALAXY['version']}.tar.gz"
VAULT = "--vault-password-file $VAULT_PASSWORD_FILE"
# How the walk runs each README command (a regular expression over the line -> the line run).
# Galaxy cannot be reached here: the tarball installs without its dependencies (kubernetes.core
# comes from the venv's ansible package). The estate's hosts do not exist: the check run is the
# admin host's (localhost; its Kyverno CLI download needs the internet), the runs on nodes are
# listed, not run.
WALK = [
    (r"ansible-galaxy collection install \S+\.tar\.gz", lambda ln: f"{ln} --offline --no-deps"),
    (r"C=\S+", lambda ln: ln),
    (r"pip install .*", None),                      # the venv holds requirements.txt already
    (r"cp -r \$C/examples/estate \S+ && cd \S+", lambda ln: ln),
    (r"cp group_vars/all/vault.yml.example .* && ansible-vault encrypt .*", lambda ln: ln),
    (r"ansible-inventory -i inventory.yml --graph", lambda ln: ln),
    (r"ansible-playbook -i inventory.yml \S+\.site --ask-vault-pass --check --diff",
     lambda ln: ln.replace("--ask-vault-pass", VAULT)
     + " --limit localhost -e '{\"kyverno_cli_install\": false}'"),
    (r"ansible-playbook -i inventory.yml \S+\.site --ask-vault-pass( --tags \w+)?",
     lambda ln: ln.replace("--ask-vault-pass", VAULT) + " --list-tasks"),
    (r"ansible-playbook \S+\.scan -e .*", lambda ln: ln),
    (r"ansible-playbook \S+\.cluster_policies -e .*", lambda ln: ln),
    # exit 1 is its verdict on the denied pod, checked below
    (r"python3 \$C/bin/admission_check\.py .*", lambda ln: f"{ln} || echo \"admission exit $?\""),
]
PRIVILEGED = {"apiVersion": "v1", "kind": "Pod",
              "metadata": {"name": "privileged", "namespace": "payments"},
              "spec": {"containers": [{"name": "app", "image": "registry.example.com/app:1",
                                       "securityContext": {"privileged": True}}]}}


def _blocks_after(heading: str) -> list[list[str]]:
    section = README.split(f"\n## {heading}\n", 1)[1].split("\n## ", 1)[0]
    return [[ln.strip() for ln in block.splitlines() if ln.strip()]
            for block in re.findall(r"```\n(.*?)```", section, flags=re.S)]


def readme_walk() -> list[str]:
    """The README's commands in order: Install's tarball block, then the estate's block."""
    install = next(b for b in _blocks_after("Install") if any(TARBALL in ln for ln in b))
    estate = next(b for b in _blocks_after("Use it on your estate")
                  if any("examples/estate" in ln for ln in b))
    return [re.sub(r"\s+#.*$", "", ln) for ln in install + estate]


def walk_script(lines: list[str]) -> str:
    out = ["set -euo pipefail", "set -x"]
    for line in lines:
        rules = [run for pattern, run in WALK if re.fullmatch(pattern, line)]
        assert rules, f"README line the walk does not know (teach WALK): {line}"
        if rules[0] is not None:
            out.append(rules[0](line))
    return "\n".join(out) + "\n"


def test_the_walk_knows_every_readme_line_and_runs_the_estate_steps():
    lines = readme_walk()
    script = walk_script(lines)
    for step in ("--graph", "--check --diff", "--tags run", ".scan", ".cluster_policies",
                 "bin/admission_check.py", "collection install"):
        assert step in script, step


@pytest.fixture(scope="module")
def built(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("walk-build")
    res = subprocess.run([str(BIN / "ansible-galaxy"), "collection", "build", "--force",
                          "--output-path", str(out), str(ROOT)],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
    assert (out / TARBALL).exists()
    return out


def test_readme_walk_from_the_built_tarball(built, tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    work = tmp_path / "work"
    shutil.copytree(built, work)
    password = tmp_path / "vault-password"
    password.write_text("walk-vault-password\n")
    # What the user brings: a recorded Trivy report (upstream's, tests/fixtures/trivy) and the
    # manifests of a release, to gate and judge in the estate directory.
    estate = home / "bulwark-estate"
    brought = (f"mkdir deploy && cp {ROOT}/tests/fixtures/trivy/npm.json app.json\n"
               f"cat > deploy/app.yaml <<'EOF'\n{yaml.safe_dump(PRIVILEGED)}EOF\n")
    script = re.sub(r"^(cp -r \$C/examples/estate .*)$", lambda m: m.group(1) + "\n" + brought,
                    walk_script(readme_walk()), count=1, flags=re.M)
    assert brought in script
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("ANSIBLE_", "PYTHONPATH", "BULWARK_"))}
    env.update({"HOME": str(home), "PATH": f"{BIN}:{env.get('PATH', '')}",
                "ANSIBLE_NOCOLOR": "1", "ANSIBLE_VAULT_PASSWORD_FILE": str(password),
                "VAULT_PASSWORD_FILE": str(password)})
    run = subprocess.run(["bash", "-c", script], cwd=work, env=env, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, text=True, timeout=1200, check=False)
    out = run.stdout          # the trace of each command, then its output, in order
    assert run.returncode == 0, out[-6000:]

    installed = home / ".ansible/collections/ansible_collections/bulwark/container_security"
    assert (installed / "MANIFEST.json").exists()
    # the estate copied from the installed collection, its vault encrypted
    assert (estate / "group_vars/all/vault.yml").read_text().startswith("$ANSIBLE_VAULT;")
    for group in ("@bulwark_builders:", "@bulwark_nodes:", "@bulwark_admins:"):
        assert group in run.stdout, group
    text = " ".join(out.split())
    # the check run on a fresh estate: the admin host reports the keys a real run creates first
    assert re.search(r"localhost +: ok=\d+ +changed=\d+ +unreachable=0 +failed=0", out), out[-3000:]
    assert "Not known yet: kyverno_public_key_files" in text
    assert "ci-runner-01.example.com.pub does not exist on the controller" in text
    # --tags run lists only Falco and seccomp tasks (besides argument validation)
    tagged = out.split("--tags run --list-tasks", 1)[1].split("ansible-playbook", 1)[0]
    listed = set(re.findall(r"bulwark\.container_security\.(\w+) : (?!Validating arguments)",
                            tagged))
    assert listed == {"falco", "seccomp_profiles"}, listed
    # the recorded report passed the gate and left its JUnit file
    assert (estate / "trivy-gate.junit.xml").exists()
    # the cluster policies rendered from group_vars/all/policy.yml
    rendered = estate / "rendered"
    assert (rendered / "bundle.yaml").exists()
    kinds = {doc["kind"] for doc in yaml.safe_load_all((rendered / "bundle.yaml").read_text())}
    assert {"Namespace", "NetworkPolicy", "ValidatingPolicy"} <= kinds
    # the admission check from the installed copy: a summary on stdout, every verdict in the file
    assert "admission exit 1" in out
    assert "DENY  Pod/payments/privileged" in out
    assert "fail  bulwark-disallow-privileged-containers (deny)" in out
    report = json.loads((estate / "admission.json").read_text())
    assert report["denied"] == ["Pod/payments/privileged"]
    assert len(report["resources"][0]["policies"]) == 19
