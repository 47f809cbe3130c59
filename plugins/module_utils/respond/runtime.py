# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The container runtime the node runs: podman, docker or crictl, driven with argv lists (never
a shell), a bounded time per call and a small environment (no secret ever reaches it).

``detect`` finds the runtimes a node really runs: podman when its binary is on PATH, docker
only when its daemon's socket exists too (a docker client alone runs nothing), crictl when a
CRI socket (containerd or CRI-O) exists. ``inspect`` is how the responder learns what a
container is (its full id, name, image, labels and networks); an id the runtime does not know,
or whose full id does not start with the id asked for (inspect also matches names), is None.
crictl can stop and kill but neither pause nor disconnect: those answer "unsupported".
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field

from ansible_collections.bulwark.container_security.plugins.module_utils.respond.errors import (
    SETTINGS,
    RespondError,
    excerpt,
)

DOCKER_SOCKETS = ("/var/run/docker.sock", "/run/docker.sock")
CRI_SOCKETS = ("/run/containerd/containerd.sock", "/var/run/crio/crio.sock",
               "/run/crio/crio.sock", "/run/k3s/containerd/containerd.sock")
# what the runtime CLIs need from the environment; everything else (tokens included) stays out
ENV_KEEP = ("CONTAINERS_CONF", "CONTAINER_HOST", "CONTAINER_CONNECTION", "DOCKER_HOST",
            "XDG_RUNTIME_DIR", "HOME", "CONTAINER_RUNTIME_ENDPOINT")
ENV_BASE = {"PATH": "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin", "LANG": "C"}
MAX_OUTPUT = 4 * 1024 * 1024


@dataclass(frozen=True)
class Container:
    id: str                      # the full id
    name: str
    image: str
    labels: dict = field(default_factory=dict)
    networks: tuple = ()
    network_mode: str = ""
    state: str = ""


def _env() -> dict:
    env = dict(ENV_BASE)
    env.update({k: os.environ[k] for k in ENV_KEEP if k in os.environ})
    return env


class Runtime:
    """One runtime CLI. ``run`` is subprocess.run (a test passes its own)."""

    def __init__(self, name: str, binary: str, timeout: float = 10, run=subprocess.run,
                 grace: int = 10):
        self.name, self.binary, self.timeout, self._run = name, binary, timeout, run
        self.grace = grace

    def _call(self, *args, extra: float = 0):
        limit = self.timeout + extra
        try:
            done = self._run([self.binary, *args], capture_output=True, timeout=limit,
                             env=_env(), stdin=subprocess.DEVNULL, check=False)
        except subprocess.TimeoutExpired:
            return False, f"{self.name} {args[0]} took longer than {limit:g} s"
        except OSError as exc:
            return False, f"{self.name} could not run: {exc.strerror or exc}"
        out = (done.stdout or b"")[:MAX_OUTPUT]
        if done.returncode != 0:
            err = (done.stderr or b"").decode("utf-8", "replace").strip().splitlines()
            return False, excerpt(err[-1] if err else f"exit {done.returncode}", 200)
        return True, out

    # -- reading ---------------------------------------------------------------------------
    def inspect_many(self, ids) -> dict:
        """{id asked: Container} for the ids the runtime knows (unknown ids are left out)."""
        ids = list(ids)
        if not ids:
            return {}
        if self.name == "crictl":
            return {cid: c for cid in ids for c in [self._crictl_inspect(cid)] if c}
        ok, out = self._call("container", "inspect", *ids)
        if not ok and len(ids) > 1:       # one unknown id fails the whole call: ask one by one
            return {cid: c for cid in ids for c in [self.inspect(cid)] if c}
        found = {}
        for item in _json_list(out) if ok else []:
            container = _oci_container(item)
            if container:
                for cid in ids:
                    if container.id.startswith(cid):
                        found[cid] = container
        return found

    def inspect(self, cid: str):
        return self.inspect_many([cid]).get(cid)

    def list_ids(self) -> list:
        args = ("ps", "-a", "-q") if self.name == "crictl" else ("ps", "-a", "-q", "--no-trunc")
        ok, out = self._call(*args)
        return out.decode("ascii", "replace").split() if ok else []

    def _crictl_inspect(self, cid: str):
        ok, out = self._call("inspect", cid)
        if not ok:
            return None
        try:
            status = json.loads(out).get("status") or {}
            container = Container(
                id=str(status["id"]), name=str((status.get("metadata") or {}).get("name", "")),
                image=str((status.get("image") or {}).get("image", "")),
                labels=dict(status.get("labels") or {}), state=str(status.get("state", "")))
        except (ValueError, KeyError, TypeError, AttributeError):
            return None
        return container if container.id.startswith(cid) else None

    # -- acting ----------------------------------------------------------------------------
    def act(self, action: str, container: Container) -> dict:
        """Run ``action`` on ``container``: {"action", "ok", "detail"}."""
        if self.name == "crictl":
            argv = {"stop": ("stop", "--timeout", str(self.grace), container.id),
                    "kill": ("stop", "--timeout", "0", container.id)}.get(action)
            if argv is None:
                return {"action": action, "ok": False,
                        "detail": f"unsupported: crictl cannot {action} (use stop or kill)"}
            return self._result(action, *argv)
        if action == "disconnect":
            return self._disconnect(container)
        argv = {"pause": ("pause", container.id),
                "stop": ("stop", "-t", str(self.grace), container.id),
                "kill": ("kill", "--signal", "KILL", container.id)}[action]
        return self._result(action, *argv)

    def _result(self, action, *argv) -> dict:
        start = time.monotonic()
        ok, out = self._call(*argv, extra=self.grace if action == "stop" else 0)
        return {"action": action, "ok": ok, "detail": "done" if ok else out,
                "seconds": round(time.monotonic() - start, 3)}

    def _disconnect(self, container: Container) -> dict:
        if container.network_mode in ("host", "none") or not container.networks:
            return {"action": "disconnect", "ok": False,
                    "detail": f"no network to disconnect (network mode "
                              f"{container.network_mode or 'none'})"}
        force = ("--force",) if self.name == "docker" else ()
        failed = []
        for network in container.networks:
            ok, out = self._call("network", "disconnect", *force, network, container.id)
            if not ok:
                failed.append(f"{network}: {out}")
        return {"action": "disconnect", "ok": not failed,
                "detail": "; ".join(failed) if failed else
                f"disconnected from {', '.join(container.networks)}"}


def _json_list(out) -> list:
    try:
        data = json.loads(out)
    except ValueError:
        return []
    return data if isinstance(data, list) else []


def _oci_container(item):
    """A podman or docker inspect entry as a Container; None when it is not one."""
    if not isinstance(item, dict) or not isinstance(item.get("Id"), str):
        return None
    config = item.get("Config") if isinstance(item.get("Config"), dict) else {}
    settings = item.get("NetworkSettings") if isinstance(item.get("NetworkSettings"),
                                                         dict) else {}
    host = item.get("HostConfig") if isinstance(item.get("HostConfig"), dict) else {}
    state = item.get("State") if isinstance(item.get("State"), dict) else {}
    networks = settings.get("Networks") if isinstance(settings.get("Networks"), dict) else {}
    labels = config.get("Labels") if isinstance(config.get("Labels"), dict) else {}
    return Container(id=item["Id"], name=str(item.get("Name", "")).lstrip("/"),
                     image=str(item.get("ImageName") or config.get("Image") or ""),
                     labels={str(k): str(v) for k, v in labels.items()},
                     networks=tuple(sorted(str(n) for n in networks)),
                     network_mode=str(host.get("NetworkMode", "")),
                     state=str(state.get("Status", "")))


def _docker_socket(exists) -> bool:
    host = os.environ.get("DOCKER_HOST", "")
    if host.startswith("unix://"):
        return exists(host[len("unix://"):])
    return bool(host) or any(exists(s) for s in DOCKER_SOCKETS)


def detect(preferred: str = "auto", timeout: float = 10, which=shutil.which,
           exists=os.path.exists, run=subprocess.run, grace: int = 10) -> list:
    """The runtimes this node runs, in the order the responder asks them (podman, docker,
    crictl), or just ``preferred``; RespondError when there is none."""
    found = []
    for name, ready in (("podman", lambda: True), ("docker", lambda: _docker_socket(exists)),
                        ("crictl", lambda: any(exists(s) for s in CRI_SOCKETS))):
        if preferred not in ("auto", name):
            continue
        binary = which(name)
        if binary and (preferred == name or ready()):
            found.append(Runtime(name, binary, timeout, run, grace))
    if not found:
        wanted = "podman, docker or crictl" if preferred == "auto" else preferred
        raise RespondError(SETTINGS, f"no container runtime found on this node ({wanted} on "
                                     "PATH, with its socket for docker and crictl)")
    return found
