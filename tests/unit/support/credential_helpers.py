# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Real docker credential helpers for tests: an executable ``docker-credential-<name>``
written into a directory, a real process speaking the helper protocol (the server URL on
stdin, ``{"ServerURL", "Username", "Secret"}`` on stdout). Each run appends what it saw (its
argv, its environment, its stdin) to ``<dir>/<name>.log`` as one JSON line, so a test can
show that the secret never reached either."""
from __future__ import annotations

import json
import os
import sys
from pathlib import Path

# How a helper answers: {server: (exit code, stdout text)}; "*" for any other server.
_BODY = '''import json, os, sys, time
server = sys.stdin.read()
with open({log!r}, "a") as log:
    log.write(json.dumps({{"argv": sys.argv, "env": dict(os.environ), "stdin": server}}) + "\\n")
answers = {answers!r}
time.sleep({sleep!r})
code, out = answers.get(server, answers.get("*", (1, "credentials not found in native keychain")))
sys.stdout.write(out)
sys.stderr.write({stderr!r})
sys.exit(code)
'''


def write_helper(directory: Path, name: str, answers: dict, sleep: float = 0.0,
                 stderr: str = "") -> Path:
    """``directory/docker-credential-<name>``, executable; returns its path."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"docker-credential-{name}"
    path.write_text(f"#!{sys.executable}\n" + _BODY.format(
        log=str(directory / f"{name}.log"), answers=answers, sleep=sleep, stderr=stderr))
    os.chmod(path, 0o755)
    return path


def login(server: str, user: str, secret: str) -> tuple:
    return 0, json.dumps({"ServerURL": server, "Username": user, "Secret": secret})


def runs(directory: Path, name: str) -> list:
    """What each run of the helper saw (argv, env, stdin), in order."""
    log = directory / f"{name}.log"
    return [json.loads(line) for line in log.read_text().splitlines()] if log.exists() else []
