"""Linting Falco's stable ruleset vs only loading it with PyYAML (goal: at most 3x).

Measured side by side in one run, best of N repetitions each:
  * yaml.safe_load               - what any tool pays to read the file (PyYAML, pure Python loader)
  * yaml.load(CSafeLoader)       - the same with libyaml, when PyYAML has it
  * lint_paths (no schema)       - Falco loading semantics + parse/resolve/check every condition
  * lint_paths (rules schema)    - the same plus the JSON schema check of every item
"""
from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".collections"))  # the collection, linked there by `make venv`
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (  # noqa: E402
    linter as falco_linter,
)

FIXTURES = ROOT / "tests" / "fixtures" / "falco"
RULES = FIXTURES / "falco_rules.yaml"
SCHEMA = json.loads((FIXTURES / "rules.schema.json").read_text())
REPEAT = 25


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    text = RULES.read_text()
    csafe = getattr(yaml, "CSafeLoader", None)
    candidates = {
        "safe": lambda: yaml.safe_load(RULES.read_text()),
        "lint": lambda: falco_linter.lint_paths([RULES]),
        "schema": lambda: falco_linter.lint_paths([RULES], SCHEMA),
    }
    if csafe is not None:
        candidates["c"] = lambda: yaml.load(RULES.read_text(), Loader=csafe)
    # round-robin, best of REPEAT: the machine is shared, so load spikes hit every candidate
    best = {k: float("inf") for k in candidates}
    for _repeat in range(REPEAT):
        for k in best:
            best[k] = min(best[k], timed(candidates[k]))
    t_safe, t_lint, t_schema = best["safe"], best["lint"], best["schema"]
    t_c = best.get("c")
    result = falco_linter.lint_paths([RULES], SCHEMA)
    assert not result.errors
    print(f"falco_rules.yaml: {len(text) // 1024} KiB, {len(result.rules)} rules, "
          f"{len(result.macros)} macros, {len(result.lists)} lists; best of {REPEAT}")
    print(f"  yaml.safe_load              {t_safe * 1000:8.1f} ms   1.00x")
    if t_c:
        print(f"  yaml.load(CSafeLoader)      {t_c * 1000:8.1f} ms   {t_c / t_safe:.2f}x")
    print(f"  lint (no schema)            {t_lint * 1000:8.1f} ms   {t_lint / t_safe:.2f}x")
    print(f"  lint (rules schema)         {t_schema * 1000:8.1f} ms   {t_schema / t_safe:.2f}x")
    print(f"ratio lint/safe_load = {t_schema / t_safe:.2f} (goal <= 3.00): "
          + ("OK" if t_schema / t_safe <= 3 else "OVER"))
    if t_c:
        print(f"ratio lint/CSafeLoader load = {t_schema / t_c:.2f} "
              "(the YAML parser the linter uses)")


if __name__ == "__main__":
    main()
