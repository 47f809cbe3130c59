# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The responder against real podman containers on this machine, fed the way Falco's
program_output (keep_alive) feeds it: Falco's documented JSON alert
(tests/fixtures/falco_events/), filled in with each container's id, this host's name and the
time, written line by line to the entry program's stdin. Falco itself cannot run here (see
/work/shared/LAB.md); everything after its pipe is real: podman, the containers, the webhook
sink on 127.0.0.1, the spool and the audit log."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import respond_support

import lab  # lab/lab.py

ROOT = Path(__file__).resolve().parents[3]
IMAGE = lab.IMAGES["bookworm"]["tag"]
PREFIX = os.environ.get("BULWARK_TEST_PREFIX", "bulwark") + "-respond-" + uuid.uuid4().hex[:6]
TOKEN = "Zq8-respond-webhook-token-" + uuid.uuid4().hex[:8]
PROTECT = "bulwark.respond/protect"
RULES = {"pause": ["notify", "pause"], "stop": ["stop"], "disconnect": ["notify", "disconnect"],
         "kill": ["kill"]}


def podman(*args, check=True):
    return lab.podman(*args, check=check, capture_output=True, text=True)


def state(name: str) -> str:
    return podman("inspect", "--format", "{{.State.Status}}", name).stdout.strip()


def networks(name: str) -> dict:
    out = podman("inspect", "--format", "{{json .NetworkSettings.Networks}}", name).stdout
    return json.loads(out) or {}


@pytest.fixture(scope="module")
def containers():
    if podman("image", "exists", IMAGE, check=False).returncode != 0:
        pytest.fail(f"lab image {IMAGE} is missing (python3 lab/lab.py images builds it)")
    net = f"{PREFIX}-net"
    podman("network", "create", net)
    specs = {"pause": (), "stop": (), "disconnect": ("--network", net), "kill": (),
             "audit": (), "allowed": (), "protected": ("--label", f"{PROTECT}=true")}
    made = {}
    try:
        for role, extra in specs.items():
            name = f"{PREFIX}-{role}"
            extra = extra if "--network" in extra else extra + ("--network", "host")
            # a PID 1 that ends on SIGTERM, as a service does (sleep alone ignores it)
            cid = podman("run", "-d", "--name", name, *extra, IMAGE, "sh", "-c",
                         "trap 'exit 0' TERM; sleep 600 & wait").stdout
            made[role] = (name, cid.strip())
        yield made
    finally:
        for name, _cid in made.values():
            podman("rm", "-f", "-t", "0", name, check=False)
        podman("network", "rm", "-f", net, check=False)


class Responder:
    """The entry program as Falco's program_output runs it, with its audit log."""

    def __init__(self, tmp: Path, sink, allowed: str):
        token = tmp / "respond.token"
        token.write_text(TOKEN + "\n")
        token.chmod(0o600)
        self.audit = tmp / "log" / "respond.jsonl"
        self.spool = tmp / "spool"
        responses = [{"rule": f"Bulwark test {r}", "actions": a, "mode": "enforce"}
                     for r, a in RULES.items()]
        responses.append({"tag": "bulwark_audit", "actions": ["notify", "pause", "disconnect"]})
        settings = {"responses": responses, "allowlist": {"containers": [allowed]},
                    "audit_log": {"path": str(self.audit)},
                    "webhook": {"url": sink.url, "token_file": str(token),
                                "spool_dir": str(self.spool), "retry_max_seconds": 1}}
        path = tmp / "respond.json"
        path.write_text(json.dumps(settings))
        env = dict(os.environ, **lab.podman_env(),
                   PYTHONPATH=str(ROOT / ".collections"))
        self.proc = subprocess.Popen(
            [sys.executable, "-m",
             "ansible_collections.bulwark.container_security.plugins.module_utils.respond",
             "--settings", str(path)], stdin=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        self.sent = 0

    def send(self, line: bytes) -> dict:
        """Write one line; the audit record it produced."""
        self.proc.stdin.write(line + b"\n")
        self.proc.stdin.flush()
        self.sent += 1
        deadline = time.time() + 20
        while time.time() < deadline:
            records = self.records()
            if len(records) >= self.sent:
                return records[self.sent - 1]
            assert self.proc.poll() is None, self.proc.stderr.read().decode()
            time.sleep(0.02)
        raise AssertionError(f"no audit record for line {self.sent} within 20 s")

    def records(self) -> list:
        if not self.audit.exists():
            return []
        return [json.loads(line) for line in self.audit.read_text().splitlines()]


def event(cid: str, what: str, tags=None) -> bytes:
    return respond_support.falco_event(cid[:12], rule=f"Bulwark test {what}", tags=tags)


def test_responder_on_real_podman(containers, tmp_path):
    started = time.time()
    sink = respond_support.WebhookSink()
    responder = Responder(tmp_path, sink, containers["allowed"][0])
    try:
        pause_name, pause_id = containers["pause"]
        record = responder.send(event(pause_id, "pause"))
        assert state(pause_name) == "paused"
        assert [(a["action"], a["ok"], a["detail"]) for a in record["actions"]] == [
            ("pause", True, "done")] and record["actions"][0]["seconds"] > 0
        assert record["container"]["id"] == pause_id and record["notify"] == "spooled"
        assert sink.wait_for(1) and sink.received[0]["container"]["name"] == pause_name
        assert sink.headers[0]["Authorization"] == f"Bearer {TOKEN}"

        # a bad line is refused and the program reads on
        assert responder.send(b'{"rule": "half')["refused"]["reason"] == "malformed"

        stop_name, stop_id = containers["stop"]
        assert responder.send(event(stop_id, "stop"))["actions"][0]["ok"]
        assert state(stop_name) in ("exited", "stopped")    # podman: stopped, then exited
        kill_name, kill_id = containers["kill"]
        assert responder.send(event(kill_id, "kill"))["actions"][0]["ok"]
        assert state(kill_name) in ("exited", "stopped")
        disc_name, disc_id = containers["disconnect"]
        assert len(networks(disc_name)) == 1
        record = responder.send(event(disc_id, "disconnect"))
        assert record["actions"][0]["ok"], record
        assert networks(disc_name) == {} and state(disc_name) == "running"

        # audit mode, allowlist, protect label, host, forged: nothing changes
        audit_name, audit_id = containers["audit"]
        record = responder.send(event(audit_id, "audit", tags=["bulwark_audit"]))
        assert record["decision"]["mode"] == "audit" and state(audit_name) == "running"
        assert [a["detail"] for a in record["actions"]] == ["audit mode: would do"] * 2
        allowed_name, allowed_id = containers["allowed"]
        assert "allowlist" in responder.send(event(allowed_id, "pause"))["decision"]["reason"]
        protected_name, protected_id = containers["protected"]
        assert "protect label" in responder.send(
            event(protected_id, "pause"))["decision"]["reason"]
        assert "host event" in responder.send(event("host", "pause"))["decision"]["reason"]
        assert responder.send(event("0123456789ab", "pause"))["refused"]["reason"] == "forged"
        assert responder.send(event("../../etc/x", "pause"))["refused"]["reason"] == "forged"
        forged_name = respond_support.falco_event(audit_id[:12], rule="Bulwark test pause",
                                                  name="somebody-else")
        assert responder.send(forged_name)["refused"]["reason"] == "forged"
        for name in (audit_name, allowed_name, protected_name):
            assert state(name) == "running", name
        assert sink.wait_for(3) and [r["decision"]["mode"] for r in sink.received] == [
            "enforce", "enforce", "audit"]

        # the webhook goes down: notifications wait in the spool and arrive in order after
        port = sink.port
        sink.stop()
        lines = [event(pause_id, "audit", tags=["bulwark_audit"]),
                 event(disc_id, "audit", tags=["bulwark_audit"]),
                 event(stop_id, "audit", tags=["bulwark_audit"])]
        for line in lines:
            assert responder.send(line)["notify"] == "spooled"
        time.sleep(1.0)
        assert len([p for p in responder.spool.iterdir() if p.suffix == ".json"]) == 3
        back = respond_support.WebhookSink(port)
        assert back.wait_for(3, timeout=15)
        assert [r["container"]["id"] for r in back.received] == [pause_id, disc_id, stop_id]
        back.stop()

        # the token is in no file, argument or environment of the responder
        proc = Path(f"/proc/{responder.proc.pid}")
        assert TOKEN.encode() not in (proc / "cmdline").read_bytes()
        assert TOKEN.encode() not in (proc / "environ").read_bytes()
        assert TOKEN not in responder.audit.read_text()
        assert oct(responder.audit.stat().st_mode & 0o777) == "0o600"
    finally:
        responder.proc.stdin.close()
        code = responder.proc.wait(timeout=20)
        stderr = responder.proc.stderr.read().decode()
        sink.stop()
    assert code == 0, stderr
    assert "Traceback" not in stderr and TOKEN not in stderr
    assert "refused (malformed)" in stderr and "refused (forged)" in stderr
    assert len(responder.records()) == responder.sent
    assert time.time() - started < 60
