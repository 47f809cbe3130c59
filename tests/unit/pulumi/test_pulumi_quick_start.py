# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""pulumi/README.md's quick start, in a fresh virtualenv made from pulumi/requirements.txt alone.

A copy of the checkout's files (what a clone has: no .venv, no .collections link) gets
``python -m venv venv && venv/bin/pip install --require-hashes -r requirements.txt`` in its
pulumi/ directory, from PyPI, with no pip configuration of this machine (the wheels are kept in
.cache/pulumi-wheels, checked against the lock's hashes on every install, so a rerun downloads
nothing). Then, with that interpreter only:

- ``python render.py --stack Pulumi.example.yaml --out rendered/`` (what the README says to run
  without the Pulumi CLI) writes the Falco release with the collection's rules library:
  customRules equal to the builder's output, not empty;
- the program itself (``bulwark_platform.main()``, what ``pulumi up`` runs) under Pulumi's mocks
  registers the same rules and logs no warning at all.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time

import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)
from pulumi_harness import PULUMI_DIR, ROOT

WHEELS = ROOT / ".cache" / "pulumi-wheels"
REQUIREMENTS = PULUMI_DIR / "requirements.txt"
EXAMPLE = yaml.safe_load((PULUMI_DIR / "Pulumi.example.yaml").read_text(encoding="utf-8"))

# The program under Pulumi's mocks, run by the fresh venv's interpreter: every log record
# (warnings included) and the Falco release's values, as JSON on stdout.
MOCKED_PROGRAM = r'''
import asyncio, json, logging, sys
import pulumi

config = json.loads(sys.argv[1])
records = []
class Keep(logging.Handler):
    def emit(self, record):
        records.append([record.levelname, record.getMessage()])
logger = logging.getLogger("quick-start")
logger.setLevel(logging.DEBUG)
logger.addHandler(Keep())
releases = {}
class Mocks(pulumi.runtime.Mocks):
    def new_resource(self, args):
        if args.typ == "kubernetes:helm.sh/v3:Release":
            releases[args.name] = args.inputs
        return f"{args.name}-id", dict(args.inputs)
    def call(self, args):
        return {}
asyncio.set_event_loop(asyncio.new_event_loop())
pulumi.runtime.set_mocks(Mocks(), project="bulwark", stack="example", preview=False,
                         logger=logger)
pulumi.runtime.set_all_config(config)
import bulwark_platform
pulumi.runtime.test(bulwark_platform.main)()
values = releases["falco"]["values"]
secret = pulumi.runtime.rpc.is_rpc_secret(values)   # falcosidekick's outputs: a secret
print(json.dumps({"records": records, "secret": secret,
                  "falco": pulumi.runtime.rpc.unwrap_rpc_secret(values)}))
'''


def _clean_env() -> dict:
    """No pip configuration of this machine (find-links, extra indexes): PyPI and the lock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    for keep in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        if keep in os.environ:
            env[keep] = os.environ[keep]
    env.pop("PYTHONPATH", None)
    return env


def _run(argv, cwd, timeout=300, env=None) -> subprocess.CompletedProcess:
    run = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                         env=env or _clean_env())
    assert run.returncode == 0, f"{argv[:4]} failed:\n{run.stdout[-2000:]}\n{run.stderr[-4000:]}"
    return run


def _clone(tmp_path):
    """The checkout's files as a clone has them (tracked and new, nothing ignored)."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT, capture_output=True, check=True).stdout.split(b"\0")
    clone = tmp_path / "bulwark"
    for rel in filter(None, (name.decode() for name in listed)):
        source = ROOT / rel
        if source.is_file() and not source.is_symlink():
            (clone / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, clone / rel)
    assert not (clone / ".collections").exists() and not (clone / ".venv").exists()
    return clone


def _venv(pulumi_dir) -> str:
    """The README's two commands, the wheels kept under .cache/ (hash-checked either way)."""
    _run([sys.executable, "-m", "venv", "venv"], cwd=pulumi_dir)
    python = str(pulumi_dir / "venv" / "bin" / "python")
    WHEELS.mkdir(parents=True, exist_ok=True)
    offline = subprocess.run([python, "-m", "pip", "install", "-q", "--require-hashes",
                              "--no-index", "--find-links", str(WHEELS), "-r", "requirements.txt"],
                             cwd=pulumi_dir, capture_output=True, text=True, timeout=300,
                             env=_clean_env())
    if offline.returncode != 0:     # the cache lacks a wheel of the lock: fetch it from PyPI
        _run([python, "-m", "pip", "download", "-q", "--require-hashes", "-d", str(WHEELS),
              "-r", "requirements.txt"], cwd=pulumi_dir, timeout=600)
        _run([python, "-m", "pip", "install", "-q", "--require-hashes", "--no-index",
              "--find-links", str(WHEELS), "-r", "requirements.txt"], cwd=pulumi_dir)
    return python


def test_the_quick_start_renders_the_falco_rules_library_from_requirements_txt_alone(tmp_path):
    started = time.monotonic()
    clone = _clone(tmp_path)
    pulumi_dir = clone / "pulumi"
    python = _venv(pulumi_dir)
    expected = {rules_library.FILE_NAME: rules_library.build_rules_library(
        EXAMPLE["config"].get("bulwark:falcoLibrary") or {})}
    assert expected[rules_library.FILE_NAME].count("- rule:") >= 5

    rendered = _run([python, "render.py", "--stack", "Pulumi.example.yaml", "--out", "rendered"],
                    cwd=pulumi_dir)
    assert rendered.stderr == ""
    assert rendered.stdout.startswith("wrote ")
    assert rendered.stdout.endswith(" files under rendered\n")
    falco = yaml.safe_load((pulumi_dir / "rendered" / "helm" / "falco.yaml").read_text("utf-8"))
    assert falco["values"]["customRules"] == expected
    assert json.loads((pulumi_dir / "rendered" / "policy-pack-config.json").read_text("utf-8"))
    # the collection was found through the clone itself (no installed copy in the venv)
    assert (clone / ".collections" / "ansible_collections" / "bulwark" / "container_security"
            ).resolve() == clone.resolve()

    config = {k: v if isinstance(v, str) else json.dumps(v)
              for k, v in EXAMPLE["config"].items()}
    mocked = _run([python, "-c", MOCKED_PROGRAM, json.dumps(config)], cwd=pulumi_dir)
    result = json.loads(mocked.stdout)
    assert result["secret"] is True
    assert result["falco"]["customRules"] == expected
    warnings = [m for level, m in result["records"] if level in ("WARNING", "ERROR")]
    assert warnings == []
    assert not any("missing" in m for _level, m in result["records"])
    print(f"quick start in a fresh venv: {time.monotonic() - started:.1f} s")
