# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Fresh virtualenvs from one hashed lock, as a user makes them (``python -m venv venv &&
venv/bin/pip install --require-hashes -r requirements.txt``): from PyPI, with no pip
configuration of this machine. The wheels are kept under .cache/<name>-wheels and checked
against the lock's hashes on every install, so a rerun downloads nothing."""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def clean_env() -> dict:
    """No pip configuration of this machine (find-links, extra indexes): PyPI and the lock."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIP_")}
    env["PIP_CONFIG_FILE"] = os.devnull
    env["PIP_DISABLE_PIP_VERSION_CHECK"] = "1"
    for keep in ("PIP_CERT", "PIP_DEFAULT_TIMEOUT"):
        if keep in os.environ:
            env[keep] = os.environ[keep]
    env.pop("PYTHONPATH", None)
    return env


def run(argv, cwd, timeout=300, env=None) -> subprocess.CompletedProcess:
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout,
                          env=env or clean_env(), check=False)
    assert done.returncode == 0, (f"{argv[:4]} failed:\n{done.stdout[-2000:]}\n"
                                  f"{done.stderr[-4000:]}")
    return done


def venv(where: Path, requirements: Path, cache: str) -> str:
    """A venv at ``where`` from ``requirements`` alone; the path of its python."""
    wheels = ROOT / ".cache" / f"{cache}-wheels"
    run([sys.executable, "-m", "venv", str(where)], cwd=where.parent)
    python = str(where / "bin" / "python")
    wheels.mkdir(parents=True, exist_ok=True)
    install = [python, "-m", "pip", "install", "-q", "--require-hashes", "--no-index",
               "--find-links", str(wheels), "-r", str(requirements)]
    offline = subprocess.run(install, cwd=where.parent, capture_output=True, text=True,
                             timeout=300, env=clean_env(), check=False)
    if offline.returncode != 0:     # the cache lacks a wheel of the lock: fetch it from PyPI
        run([python, "-m", "pip", "download", "-q", "--require-hashes", "-d", str(wheels),
             "-r", str(requirements)], cwd=where.parent, timeout=600)
        run(install, cwd=where.parent)
    return python
