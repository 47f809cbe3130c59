# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""render.py's output for pulumi/Pulumi.example.yaml, committed under tests/golden/, so that a
change to a policy or a control shows in review as a YAML diff.

Regenerate after an intended change with ``BULWARK_UPDATE_GOLDEN=1 pytest <this file>`` and
review the diff. all.yaml (the same manifests concatenated) is left out, and helm/falco.yaml is
kept without its customRules (the Falco rules library, owned by the falco role) as
helm/falco-without-rules.yaml: its falcosidekick outputs are in review too.
"""
from __future__ import annotations

import os
import shutil

import render
import yaml
from pulumi_harness import PULUMI_DIR, ROOT

GOLDEN = ROOT / "tests" / "golden" / "pulumi-example"
LEFT_OUT = {"helm/falco.yaml", "all.yaml"}
SUFFIXES = (".yaml", ".json")       # manifests, release descriptors, the policy pack's config


def _rendered(out) -> dict[str, str]:
    assert render.main(["--stack", str(PULUMI_DIR / "Pulumi.example.yaml"), "--out", str(out)]) == 0
    files = {str(p.relative_to(out)): p.read_text(encoding="utf-8")
             for p in sorted(out.rglob("*")) if p.suffix in SUFFIXES
             and str(p.relative_to(out)) not in LEFT_OUT}
    falco = yaml.safe_load((out / "helm" / "falco.yaml").read_text(encoding="utf-8"))
    assert falco["values"].pop("customRules")
    files["helm/falco-without-rules.yaml"] = yaml.safe_dump(falco, sort_keys=True)
    return files


def test_render_of_the_example_stack_matches_the_golden(tmp_path):
    rendered = _rendered(tmp_path / "out")
    if os.environ.get("BULWARK_UPDATE_GOLDEN") == "1":
        shutil.rmtree(GOLDEN, ignore_errors=True)
        for rel, text in rendered.items():
            (GOLDEN / rel).parent.mkdir(parents=True, exist_ok=True)
            (GOLDEN / rel).write_text(text, encoding="utf-8")
    golden = {str(p.relative_to(GOLDEN)): p.read_text(encoding="utf-8")
              for p in sorted(GOLDEN.rglob("*")) if p.suffix in SUFFIXES}
    assert sorted(rendered) == sorted(golden), "files added or removed: regenerate (see docstring)"
    changed = [rel for rel in rendered if rendered[rel] != golden[rel]]
    assert not changed, f"render differs from tests/golden for {changed}: review, regenerate"
    assert any(rel.startswith("admission/validatingpolicy-") for rel in golden)
