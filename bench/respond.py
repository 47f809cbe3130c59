"""The Falco responder on real podman containers (goal: event to paused within 1.2x of a bare
`podman pause`; a burst of 1,000 events in one second handled without loss or backlog).

Measured side by side in one run, round-robin, median of REPEAT each:
  * podman pause            - `podman pause <id>` of the same container, timed around the call
  * responder               - an alert in Falco's JSON format (tests/fixtures/falco_events/)
                              written to the entry program's stdin, until its audit record
                              (written after `podman pause` returned) appears
Then a burst: 1,000 alerts written in one second over CONTAINERS containers and three rules
(30 distinct container/rule pairs, the rest duplicates), audit mode with notify to a sink on
127.0.0.1: every line must have its record (no loss), the last within BACKLOG_S of the last
write (no backlog), and the sink must hold one notification per pair. Peak memory of the
responder process (VmHWM) is printed.
"""
from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
for p in (ROOT / ".collections", ROOT / "lab", ROOT / "tests" / "unit" / "support"):
    sys.path.insert(0, str(p))
import respond_support  # noqa: E402  (Falco's documented alert, the webhook sink)

import lab  # noqa: E402  (lab/lab.py: podman with the lab's containers.conf where needed)

IMAGE = lab.IMAGES["bookworm"]["tag"]
PREFIX = os.environ.get("BULWARK_TEST_PREFIX", "bulwark") + "-bench-respond-" + uuid.uuid4().hex[:6]
CONTAINERS = 10
REPEAT = 15
BURST = 1000
BACKLOG_S = 1.0
GOAL = 1.2


def podman(*args, check=True):
    return lab.podman(*args, check=check, capture_output=True, text=True)


class Audit:
    """Counts the responder's audit records as they appear."""

    def __init__(self, path: Path):
        self.path, self.offset, self.records = path, 0, []

    def poll(self) -> int:
        if self.path.exists():
            with open(self.path, "rb") as handle:
                handle.seek(self.offset)
                data = handle.read()
            cut = data.rfind(b"\n") + 1
            self.offset += cut
            self.records += [json.loads(x) for x in data[:cut].splitlines()]
        return len(self.records)

    def wait(self, count: int, timeout: float = 30.0) -> float:
        deadline = time.perf_counter() + timeout
        while self.poll() < count:
            if time.perf_counter() > deadline:
                raise SystemExit(f"only {len(self.records)} of {count} records after {timeout} s")
            time.sleep(0.0005)
        return time.perf_counter()


def start_responder(tmp: Path, sink):
    settings = {"responses": [{"tag": "bench_pause", "actions": ["pause"], "mode": "enforce"},
                              {"tag": "bench_burst", "actions": ["notify", "pause"]}],
                "audit_log": {"path": str(tmp / "respond.jsonl")},
                "max_actions_per_minute": 10000,
                "webhook": {"url": sink.url, "spool_dir": str(tmp / "spool")}}
    (tmp / "respond.json").write_text(json.dumps(settings))
    env = dict(os.environ, **lab.podman_env(), PYTHONPATH=str(ROOT / ".collections"))
    return subprocess.Popen(
        [sys.executable, "-m",
         "ansible_collections.bulwark.container_security.plugins.module_utils.respond",
         "--settings", str(tmp / "respond.json")], stdin=subprocess.PIPE, env=env)


def peak_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    return 0


def main() -> int:
    ids = []
    tmp = Path(tempfile.mkdtemp(prefix="bench-respond-"))
    sink = respond_support.WebhookSink()
    proc = None
    try:
        for n in range(CONTAINERS):
            ids.append(podman("run", "-d", "--name", f"{PREFIX}-{n}", "--network", "host", IMAGE,
                              "sleep", "600").stdout.strip())
        proc = start_responder(tmp, sink)
        audit = Audit(tmp / "respond.jsonl")

        def send(line: bytes) -> None:
            proc.stdin.write(line + b"\n")
            proc.stdin.flush()

        send(respond_support.falco_event("host"))
        audit.wait(1)
        time.sleep(2.0)                       # the responder's first listing of containers
        target = ids[0]
        bare, responder, inside = [], [], []

        def bare_pause() -> None:
            start = time.perf_counter()
            podman("pause", target)
            bare.append(time.perf_counter() - start)
            podman("unpause", target)

        def responder_pause(rep: int) -> None:
            line = respond_support.falco_event(target[:12], rule=f"Bench pause {rep}",
                                               tags=["bench_pause"])
            start = time.perf_counter()
            send(line)
            done = audit.wait(len(audit.records) + 1)
            responder.append(done - start)
            record = audit.records[-1]
            assert record["actions"][0]["ok"] is True, record
            inside.append(record["actions"][0]["seconds"])
            assert podman("inspect", "--format", "{{.State.Status}}", target).stdout.strip() \
                == "paused"
            podman("unpause", target)

        for rep in range(REPEAT):     # round-robin, alternating which goes first
            if rep % 2:
                responder_pause(rep)
                bare_pause()
            else:
                bare_pause()
                responder_pause(rep)
        ratio = statistics.median(responder) / statistics.median(bare)

        before = len(audit.records)
        lines = [respond_support.falco_event(ids[i % CONTAINERS][:12],
                                             rule=f"Bench burst {(i // CONTAINERS) % 3}",
                                             tags=["bench_burst"]) for i in range(BURST)]
        start = time.perf_counter()
        for i, line in enumerate(lines):      # paced: 1,000 lines over one second
            send(line)
            pause = start + (i + 1) / BURST - time.perf_counter()
            if pause > 0:
                time.sleep(pause)
        written = time.perf_counter()
        done = audit.wait(before + BURST)
        burst = audit.records[before:]
        pairs = {(r["event"]["container_id"], r["event"]["rule"]) for r in burst
                 if r.get("decision", {}).get("verdict") == "respond"}
        lost = BURST - len(burst)
        backlog = done - written
        delivered = sink.wait_for(len(pairs), timeout=20)
        peak = peak_kib(proc.pid)
        print(f"{'':28}{'median s':>10}{'ratio':>8}")
        print(f"{'podman pause':28}{statistics.median(bare):10.3f}{1:8.2f}")
        print(f"{'event -> paused (responder)':28}{statistics.median(responder):10.3f}"
              f"{ratio:8.2f}   goal <= {GOAL}")
        print(f"{'  of which podman pause':28}{statistics.median(inside):10.3f}"
              f"{statistics.median(inside) / statistics.median(bare):8.2f}"
              "   (run by the responder)")
        overhead = statistics.median(r - i for r, i in zip(responder, inside, strict=True))
        print(f"responder's own overhead (read, decide, audit; no inspect: cached): "
              f"{overhead * 1000:.1f} ms per event")
        print(f"burst: {BURST} lines in {written - start:.2f} s, {len(burst)} records "
              f"(lost {lost}), last {backlog:.3f} s after the last write (goal <= {BACKLOG_S}), "
              f"{len(pairs)} container/rule pairs responded, {len(sink.received)} notifications "
              f"delivered")
        print(f"responder peak memory (VmHWM): {peak / 1024:.1f} MiB")
        ok = ratio <= GOAL and lost == 0 and backlog <= BACKLOG_S and delivered \
            and len(pairs) == 3 * CONTAINERS
        print("met" if ok else "MISSED")
        return 0 if ok else 1
    finally:
        if proc:
            proc.stdin.close()
            proc.wait(timeout=20)
        sink.stop()
        for n in range(len(ids)):
            podman("rm", "-f", "-t", "0", f"{PREFIX}-{n}", check=False)


if __name__ == "__main__":
    sys.exit(main())
