"""Gate a 50,000-finding Trivy report vs json.load of the same file (goal: ratio <= 2x).

A second ratio adds one Rego policy (the seed's deny-on-Critical, evaluated by regopy) to the
gate: same goal, json.load + gate + policy <= 2x json.load.

The report is Trivy's recorded alpine-39 output (fixtures/trivy/alpine-39.json, upstream's
golden file) with its findings multiplied to 50,000, package names made distinct. Timings are
best of 3, measured side by side in this run. "gate the file" = json.load + gate(), the whole
cost of gating a report on disk; the ratio divides it by json.load alone. Peak memory of the
gate (beyond the loaded report) comes from tracemalloc in a separate pass, so its overhead
does not distort the timings; the process high-water mark comes from getrusage.

Why the Rego ratio misses 2x (cProfile and CPU seconds, 2026-12-07; CPU time, unlike wall time,
is not inflated by a loaded machine): json.load takes 1.4 s and the gate 0.2 s; the Rego path
about 4.8 s. Of that, the input document (input.results, 33,333 entries) takes 0.1 s; handing
it to rego-cpp 1.55 s, one ctypes call per node and object item (1.37 million, 1.1 us each;
regopy's C API has no bulk call, and its JSON and term parsers, regoSetInputJSON and
regoSetInputTerm, took 37 s and 50 s wall for the same input, against 10 s this way in the same
loaded run); rego-cpp's own set_input, query and free 1.8 s; and the forked child 0.4 to 1.3 s
more than the same work in-process, system time of copy-on-write faults on the parent's 2 GB
heap. The input is built once for all policies; calling the builders without releasing the GIL
(ctypes.PyDLL) saved no CPU. The child with its time and memory bounds stays: a policy must not
hang or exhaust the gate. rego-cpp's share alone puts json.load + gate + Rego at 2.4x
json.load, so 2x is out of reach with rego-cpp at this size (4.4x to 4.6x in CPU; the bench
measured 5.2x wall on an idle machine). Each run prints this breakdown.
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


def best(fn, repeat=3, clock=time.perf_counter):
    """Best time of ``fn`` over ``repeat`` runs, by ``clock`` (wall time by default)."""
    times = []
    for _repeat in range(repeat):
        gc.collect()
        start = clock()
        value = fn()
        times.append(clock() - start)
        del value
    return min(times)


def best_cpu(fn, repeat=2):
    """Best CPU time (this process) of ``fn``."""
    return best(fn, repeat, time.process_time)


def child_cpu(fn):
    """CPU seconds (user, system) the child processes ``fn`` waits for used."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    fn()
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime


def input_calls(value) -> int:
    """The C calls to_rego_input makes for ``value``: one per node, one more per object item."""
    if isinstance(value, dict):
        return 1 + sum(2 + input_calls(item) for item in value.values())
    if isinstance(value, (list, tuple)):
        return 1 + sum(input_calls(item) for item in value)
    return 1


def rego_breakdown(load, gate_once, policies, make_doc) -> dict:
    """CPU seconds of each part of the Rego path (see the module docstring)."""
    gc.disable()  # as gate_report does: cyclic collections over the report are noise here
    try:
        document = best_cpu(make_doc)
        doc = make_doc()
        here = best_cpu(lambda: policies._evaluate_here(doc))
        build = best_cpu(lambda: rego_input.to_rego_input(doc))
        child = min(sum(child_cpu(lambda: policies.evaluate(doc))) for _n in range(2))
    finally:
        gc.enable()
    return {"load": best_cpu(load), "gate": best_cpu(gate_once), "document": document,
            "build": build, "rego_cpp": here - build, "here": here, "child": child,
            "calls": input_calls(doc)}


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
        cpu = rego_breakdown(load, lambda: trivy_gate.gate(loaded, **GATE_ARGS), policies,
                             lambda: rego_input.policy_input(loaded, "trivy", ruled, gated,
                                                             policies.words))

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
    floor = (cpu["load"] + cpu["gate"] + cpu["rego_cpp"]) / cpu["load"]
    whole = (cpu["load"] + cpu["gate"] + cpu["document"] + cpu["child"]) / cpu["load"]
    print(f"  Rego in CPU seconds: json.load {cpu['load']:.2f}, gate {cpu['gate']:.2f}, "
          f"input document {cpu['document']:.2f}; "
          f"forked child {cpu['child']:.2f} = input to rego-cpp {cpu['build']:.2f} "
          f"({cpu['calls']:,} ctypes calls, {cpu['build'] / cpu['calls'] * 1e6:.1f} us each) "
          f"+ rego-cpp set_input, query, free {cpu['rego_cpp']:.2f} "
          f"+ fork {cpu['child'] - cpu['here']:.2f}")
    print(f"  CPU ratio json.load + gate + Rego {whole:.2f}x; rego-cpp's share alone: "
          f"json.load + gate + rego-cpp = {floor:.2f}x json.load (why 2x is out of reach: "
          "see the docstring)")
    print(f"  JUnit of {len(result['blocking']):,} blocking    {t_junit:7.3f} s")
    print(f"  gate peak memory (tracemalloc, beyond the loaded report) "
          f"{gate_peak / 1e6:.1f} MB")
    print(f"  process peak RSS (getrusage)  {rss_peak / 1e6:.1f} MB")
    print(f"  verdict: {len(result['blocking']):,} blocking, {len(result['ignored']):,} ignored")
    return 0


if __name__ == "__main__":
    sys.exit(main())
