# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The forked child that evaluates Rego policies (scan/rego.py), bounded in time and
address space: a policy that does not finish, runs out of memory or crashes the interpreter
is a PolicyError naming its file, never a pass.
"""
from __future__ import annotations

import contextlib
import faulthandler
import multiprocessing.connection
import os
import signal
import time

from ansible_collections.bulwark.container_security.plugins.module_utils.scan.rego_source import (
    PolicyError,
)

try:
    import resource
except ImportError:  # not on every platform; the memory bound then stays the system's
    resource = None


def _limit_memory(extra):
    if resource is None or not hasattr(resource, "RLIMIT_AS"):
        return
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            used = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        used = 0
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(conn, policies, document):
    """The forked evaluation: reports each query it starts, then its result or its error."""
    try:
        os.dup2(2, 1)  # nothing the interpreter prints may reach a module's JSON on stdout
        faulthandler.disable()  # an abort on bad_alloc is reported by the parent, once
        _limit_memory(policies.max_memory)
        out = policies._evaluate_here(document, lambda q: conn.send(("start", q)))
        conn.send(("done", out))
    except PolicyError as exc:
        conn.send(("error", str(exc)))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException as exc:  # noqa: BLE001  (reported to the parent, which refuses)
        conn.send(("error", f"Rego evaluation failed: {type(exc).__name__}: {exc}"))


def _fork(policies, document):
    """(pid, connection) of a child evaluating ``document``; os.fork rather than
    multiprocessing.Process, which refuses to start from a daemonic process."""
    parent, child = multiprocessing.connection.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child; coverage does not follow it)
        code = 0
        try:
            parent.close()
            _child(child, policies, document)
            child.close()
        except BaseException:  # noqa: BLE001  (a broken pipe: the parent has gone)
            code = 1
        finally:
            os._exit(code)
    child.close()
    return pid, parent


def _reap(pid, kill):
    if kill:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    try:
        _pid, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _bounded(policies, document):
    deadline = time.monotonic() + policies.timeout
    current, names = None, ", ".join(policies.sources)
    pid, conn = _fork(policies, document)
    done = False
    try:
        while True:
            what = policies._names(current) if current else names
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not conn.poll(remaining):
                raise PolicyError(f"policy {what} did not finish within "
                                  f"{policies.timeout:g} s ({current or 'loading the input'}); "
                                  "the gate refuses rather than passes (one message per finding "
                                  "builds a set in quadratic time: use deny := [msg | ...])")
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                code = _reap(pid, kill=False)
                done = True
                raise PolicyError(f"policy {what} stopped the Rego interpreter (exit status "
                                  f"{code}: more than {policies.max_memory >> 20} MiB of "
                                  "memory, or a crash); the gate refuses") from None
            if kind == "start":
                current = value
            elif kind == "done":
                return value
            elif kind == "memory":
                raise PolicyError(f"policy {what} needed more than "
                                  f"{policies.max_memory >> 20} MiB of memory; the gate refuses")
            else:
                raise PolicyError(value)
    finally:
        conn.close()
        if not done:
            _reap(pid, kill=True)
