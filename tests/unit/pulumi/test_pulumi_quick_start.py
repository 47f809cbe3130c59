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
import shutil
import subprocess
import time

import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)
from pulumi_harness import PULUMI_DIR, ROOT
from pulumi_venvs import run, venv

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


def test_the_quick_start_renders_the_falco_rules_library_from_requirements_txt_alone(tmp_path):
    started = time.monotonic()
    clone = _clone(tmp_path)
    pulumi_dir = clone / "pulumi"
    python = venv(pulumi_dir / "venv", pulumi_dir / "requirements.txt", "pulumi")
    expected = {rules_library.FILE_NAME: rules_library.build_rules_library(
        EXAMPLE["config"].get("bulwark:falcoLibrary") or {})}
    assert expected[rules_library.FILE_NAME].count("- rule:") >= 5

    rendered = run([python, "render.py", "--stack", "Pulumi.example.yaml", "--out", "rendered"],
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
    mocked = run([python, "-c", MOCKED_PROGRAM, json.dumps(config)], cwd=pulumi_dir)
    result = json.loads(mocked.stdout)
    assert result["secret"] is True
    assert result["falco"]["customRules"] == expected
    warnings = [m for level, m in result["records"] if level in ("WARNING", "ERROR")]
    assert warnings == []
    assert not any("missing" in m for _level, m in result["records"])
    print(f"quick start in a fresh venv: {time.monotonic() - started:.1f} s")
