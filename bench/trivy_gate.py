"""Gate a 50,000-finding Trivy report vs json.load of the same file (goal: ratio <= 2x).

A second ratio adds one Rego policy (the seed's deny-on-Critical, evaluated by regopy) to the
gate: same goal, json.load + gate + policy <= 2x json.load.

The report is Trivy's recorded alpine-39 output (fixtures/trivy/alpine-39.json, upstream's
golden file) with its findings multiplied to 50,000, package names made distinct. Timings are
best of 3, measured side by side in this run. "gate the file" = json.load + gate(), the whole
cost of gating a report on disk; the ratio divides it by json.load alone. Peak memory of the
gate (beyond the loaded report) comes from tracemalloc in a separate pass, so its overhead
does not distort the timings; the process high-water mark comes from getrusage.
"""
from __future__ import annotations

import copy
import datetime as dt
import gc
import json
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / ".collections"))  # the collection, linked there by `make venv`
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import (  # noqa: E402
    build_gate,
    rego,
    rego_input,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (  # noqa: E402
    gate as trivy_gate,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (  # noqa: E402
    reports as trivy_reports,
)

SEED_POLICY = """package misujob.security

deny[msg] {
  input.results[_].vulnerability.severity == "Critical"
  msg := "Critical vulnerability found in image. Deployment blocked."
}
"""

FINDINGS = 50_000
FIXTURES = ROOT / "tests" / "fixtures"
TODAY = dt.date(2026, 11, 25)
GATE_ARGS = {
    "severity": "MEDIUM",          # every finding of the fixture is at or above: worst case
    "ignore_unfixed": True,
    "ignores": [{"id": "CVE-2019-1549", "statement": "bench", "expired_at": "2027-06-01",
                 "paths": ["**/alpine-39*"]}],
    "budgets": {"MEDIUM": 100},
    "today": TODAY,
}


def build_report(path: Path) -> int:
    report = json.loads((FIXTURES / "trivy" / "alpine-39.json").read_text())
    base = report["Results"][0]["Vulnerabilities"]
    vulns = []
    for i in range(FINDINGS):
        v = copy.copy(base[i % len(base)])
        v["PkgName"] = f"{v['PkgName']}-{i // len(base)}"
        vulns.append(v)
    report["Results"][0]["Vulnerabilities"] = vulns
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(report, handle)
    return path.stat().st_size


def best(fn, repeat=3):
    times = []
    for _repeat in range(repeat):
        gc.collect()
        start = time.perf_counter()
        value = fn()
        times.append(time.perf_counter() - start)
        del value
    return min(times)


def main() -> int:
    with tempfile.TemporaryDirectory(prefix="bench-trivy-") as tmp:
        path = Path(tmp) / "report-50k.json"
        size = build_report(path)

        def load():
            with open(path, encoding="utf-8") as handle:
                return json.load(handle)

        def gate_file():
            return trivy_gate.gate(load(), **GATE_ARGS)

        loaded = load()
        result = trivy_gate.gate(loaded, **GATE_ARGS)
        assert result["total"] == FINDINGS, result["total"]

        t_load = best(load)
        t_gate_file = best(gate_file)
        t_gate = best(lambda: trivy_gate.gate(loaded, **GATE_ARGS), repeat=2)
        t_junit = best(lambda: trivy_reports.to_junit(result), repeat=1)

        policies = rego.RegoPolicies({"seed.rego": SEED_POLICY})

        def gate_file_rego():
            return build_gate.gate_report(load(), policies=policies, **GATE_ARGS)

        ruled = gate_file_rego()
        assert ruled["policy_denials"] and ruled["total"] == FINDINGS
        t_gate_file_rego = best(gate_file_rego)
        t_rego = best(lambda: build_gate.gate_report(loaded, policies=policies, **GATE_ARGS),
                      repeat=2) - t_gate
        gated = ruled["blocking"] + ruled["tolerated"] + ruled["ignored"]
        doc = rego_input.policy_input(loaded, "trivy", ruled, gated, policies.words)
        t_input = best(lambda: rego_input.to_rego_input(doc), repeat=2)

        gc.collect()
        tracemalloc.start()
        trivy_gate.gate(loaded, **GATE_ARGS)
        _gate_current, gate_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        rss_peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024

    ratio = t_gate_file / t_load
    print(f"trivy gate bench: {FINDINGS:,} findings, report {size / 1e6:.1f} MB "
          f"(alpine-39.json x {FINDINGS // 6:,})")
    print(f"  json.load                 {t_load:7.3f} s")
    verdict = "goal met" if ratio <= 2.0 else "GOAL MISSED"
    print(f"  json.load + gate          {t_gate_file:7.3f} s   ratio {ratio:.2f}x "
          f"(goal <= 2x: {verdict})")
    print(f"  gate alone                {t_gate:7.3f} s   {t_gate / t_load:.2f}x json.load")
    ratio_rego = t_gate_file_rego / t_load
    verdict_rego = "goal met" if ratio_rego <= 2.0 else "GOAL MISSED"
    print(f"  json.load + gate + Rego   {t_gate_file_rego:7.3f} s   ratio {ratio_rego:.2f}x "
          f"(goal <= 2x: {verdict_rego}; one policy, the seed's deny on Critical)")
    print(f"  Rego alone (input + eval) {t_rego:7.3f} s   of which building regopy's input of "
          f"{len(doc['results']):,} results {t_input:.3f} s")
    print(f"  JUnit of {len(result['blocking']):,} blocking    {t_junit:7.3f} s")
    print(f"  gate peak memory (tracemalloc, beyond the loaded report) "
          f"{gate_peak / 1e6:.1f} MB")
    print(f"  process peak RSS (getrusage)  {rss_peak / 1e6:.1f} MB")
    print(f"  verdict: {len(result['blocking']):,} blocking, {len(result['ignored']):,} ignored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
