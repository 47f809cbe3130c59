# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Every role task that reaches the network (a download, a package install, a signing key or
repository fetched by the package manager) retries a transient failure: `register`, an `until`
on that result, `retries` and a `delay`. Scans every task file and handler of every role,
blocks, rescues and always sections included."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[3]
# modules whose work is a network fetch: downloads, package managers, keys and repositories
# that the package manager fetches (yum_repository and unarchive of a local file do not fetch)
NETWORK = {"get_url", "uri", "apt", "package", "dnf", "dnf5", "yum", "rpm_key",
           "deb822_repository"}
TASK_FILES = sorted(p for role in (ROOT / "roles").iterdir() if role.is_dir()
                    for folder in ("tasks", "handlers") if (role / folder).is_dir()
                    for p in (role / folder).rglob("*.yml"))


def _tasks(entries):
    for task in entries or []:
        if not isinstance(task, dict):
            continue
        yield task
        for section in ("block", "rescue", "always"):
            yield from _tasks(task.get(section))


def _module(task: dict) -> str | None:
    for key in task:
        name = key.removeprefix("ansible.builtin.").removeprefix("ansible.legacy.")
        if name in NETWORK:
            return name
    return None


def problems(tasks) -> list[str]:
    """What a network task lacks to retry, one line per task; nothing when all retry."""
    found = []
    for task in _tasks(tasks):
        module = _module(task)
        if module is None:
            continue
        name = task.get("name", f"<unnamed {module} task>")
        reg = task.get("register")
        missing = [key for key in ("register", "until", "retries", "delay") if key not in task]
        if missing:
            found.append(f"{name} ({module}): no {', '.join(missing)}")
            continue
        if not (isinstance(task["retries"], int) and task["retries"] >= 1):
            found.append(f"{name} ({module}): retries {task['retries']!r} is not a count >= 1")
        if not (isinstance(task["delay"], int) and task["delay"] >= 1):
            found.append(f"{name} ({module}): delay {task['delay']!r} is not seconds >= 1")
        if not re.search(rf"(?<![\w.]){re.escape(str(reg))} is succeeded\b", str(task["until"])):
            found.append(f"{name} ({module}): until does not wait for `{reg} is succeeded`")
    return found


def test_there_are_role_task_files_to_scan():
    assert TASK_FILES
    scanned = [t for p in TASK_FILES for t in _tasks(yaml.safe_load(p.read_text()))
               if _module(t)]
    # the shared installer's downloads are among what the scan sees
    assert any(_module(t) == "get_url" for t in scanned)
    assert any(_module(t) == "apt" for t in scanned)


@pytest.mark.parametrize("path", TASK_FILES, ids=lambda p: str(p.relative_to(ROOT)))
def test_every_network_task_retries(path):
    assert problems(yaml.safe_load(path.read_text())) == []


def test_the_scan_names_a_task_that_would_not_retry():
    """The check can fail: tasks without retries, nested in a block, short or long names."""
    tasks = [{"name": "outer", "block": [
        {"name": "fetch", "ansible.builtin.get_url": {"url": "https://example.invalid/x"}},
        {"name": "install", "apt": {"name": "x"}, "register": "r", "until": "r is succeeded",
         "retries": 0, "delay": 5},
        {"name": "wrong until", "ansible.builtin.package": {"name": "x"}, "register": "r",
         "until": "other is succeeded", "retries": 3, "delay": 5},
    ], "rescue": [{"name": "key", "ansible.builtin.rpm_key": {"key": "k"}}]},
        {"name": "fine", "ansible.builtin.dnf": {"name": "x"}, "register": "d",
         "until": "d is succeeded", "retries": 3, "delay": 5},
        {"name": "not a fetch", "ansible.builtin.copy": {"src": "a", "dest": "b"}}]
    assert problems(tasks) == [
        "fetch (get_url): no register, until, retries, delay",
        "install (apt): retries 0 is not a count >= 1",
        "wrong until (package): until does not wait for `r is succeeded`",
        "key (rpm_key): no register, until, retries, delay",
    ]
