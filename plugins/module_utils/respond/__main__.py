# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The responder as Falco's ``program_output`` runs it (``keep_alive: true``, ``json_output:
true``): JSON alerts on stdin, one per line, no listening port.

    python3 -m ansible_collections.bulwark.container_security.plugins.module_utils.respond \
        --settings /etc/bulwark/respond.json [--check]

``--check`` validates the settings (and reads the token file) and exits: 0, or 2 naming the
key. A bad line is recorded and refused, and the next line is read: the program only ends when
its input does (Falco closing the pipe) or on SIGTERM/SIGINT, leaving undelivered notifications
spooled for its next start. Messages go to stderr (Falco's journal).
"""
from __future__ import annotations

import argparse
import os
import signal
import socket
import sys
import threading

from ansible_collections.bulwark.container_security.plugins.module_utils.respond.audit import (
    AuditLog,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    RespondError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.notify import (
    Notifier,
    Spool,
    read_token,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.responder import (
    Responder,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.runtime import (
    detect,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.respond.settings import (
    validate_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
    load_json_file,
)

PROG = "bulwark-respond"
WARM_SECONDS = 20.0


def log(message: str) -> None:
    sys.stderr.write(f"{PROG}: {message}\n")
    sys.stderr.flush()


def lines(stream, max_bytes: int):
    """Lines of ``stream``; a line longer than ``max_bytes`` is read to its end in bounded
    pieces and given as ``max_bytes + 1`` bytes, so it is refused as oversized without ever
    being held whole."""
    while True:
        line = stream.readline(max_bytes + 2)
        if not line:
            return
        if len(line) > max_bytes + 1:
            while line and not line.endswith(b"\n"):
                line = stream.readline(65536)
            yield b"x" * (max_bytes + 1)
            continue
        yield line.rstrip(b"\r\n")


def build(settings: dict, log_to=log):
    token = None
    webhook = settings["webhook"]
    if webhook and webhook["token_file"]:
        token = read_token(webhook["token_file"])
    audit = AuditLog(settings["audit_log"]["path"], settings["audit_log"]["max_bytes"],
                     settings["audit_log"]["keep"], secrets=[token] if token else ())
    notifier = None
    if webhook:
        notifier = Notifier(webhook["url"], Spool(webhook["spool_dir"], webhook["spool_max"]),
                            token=token, timeout=webhook["timeout_seconds"],
                            retry_max=webhook["retry_max_seconds"], ca_file=webhook["ca_file"],
                            log=log_to)
    runtimes = detect(settings["runtime"], settings["command_timeout_seconds"],
                      grace=settings["stop_grace_seconds"])
    # the name Falco puts in `hostname`: FALCO_HOSTNAME (inherited from Falco) or the host's
    hostname = os.environ.get("FALCO_HOSTNAME") or socket.gethostname()
    responder = Responder(settings, runtimes, audit, notifier, hostname=hostname, log=log_to)
    return responder


def _warm_loop(responder: Responder, stop: threading.Event) -> None:
    while not stop.is_set():
        try:
            responder.warm()
        except Exception as exc:     # noqa: BLE001 - the warm cache is an optimisation only
            log(f"listing containers failed ({type(exc).__name__}); events inspect on demand")
        stop.wait(WARM_SECONDS)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n", 1)[0])
    parser.add_argument("--settings", required=True, help="the responder's settings (JSON)")
    parser.add_argument("--check", action="store_true", help="validate the settings and exit")
    args = parser.parse_args(argv)
    try:
        settings = validate_settings(load_json_file(args.settings, "responder settings",
                                                    max_bytes=1024 * 1024))
        responder = build(settings)
    except (RespondError, InputError) as exc:
        log(str(exc))
        return 2
    if args.check:
        log(f"settings ok: {len(settings['responses'])} response(s), runtime "
            f"{', '.join(r.name for r in responder.runtimes)}")
        return 0

    def stop_on_signal(signum, _frame):
        raise KeyboardInterrupt(signum)
    signal.signal(signal.SIGTERM, stop_on_signal)
    stop = threading.Event()
    threading.Thread(target=_warm_loop, args=(responder, stop), name="respond-warm",
                     daemon=True).start()
    if responder.notifier:
        responder.notifier.start()
    try:
        for line in lines(sys.stdin.buffer, settings["max_event_bytes"]):
            try:
                responder.handle(line)
            except Exception as exc:  # noqa: BLE001 - one bad line must not end the responder
                log(f"line {responder.lines} not handled: internal error {type(exc).__name__}")
    except KeyboardInterrupt:
        pass
    finally:
        stop.set()
        if responder.notifier:
            responder.notifier.stop(drain=5.0)
        responder.audit.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
