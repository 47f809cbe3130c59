# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Registry credentials for the tools and for the layout probe (plain Python, no Ansible).

The tools (cosign, crane, notation) read logins from a docker config directory
(``$DOCKER_CONFIG/config.json``); ``docker_config_dir`` writes one for a module run (directory
0700, file 0600, removed afterwards), so the password is never in argv or in an environment
variable, only in a file only its owner reads. ``AuthGetter`` is the probe's getter: it asks
anonymously, and on 401 answers the challenge the registry sent (``WWW-Authenticate: Basic``
or the ``Bearer`` token flow of the distribution spec).
"""
from __future__ import annotations

import base64
import contextlib
import json
import os
import re
import shutil
import tempfile
from urllib.parse import urlencode

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.references import (
    parse_reference,
)

DOCKER_HUB_AUTH_KEY = "https://index.docker.io/v1/"
_PARAM_RE = re.compile(r'(\w+)="([^"]*)"')


def registry_hosts(images) -> list:
    """The registries the image references name, in the key form docker config uses."""
    hosts = []
    for image in images or []:
        host = parse_reference(image)["registry"]
        key = DOCKER_HUB_AUTH_KEY if host in ("docker.io", "index.docker.io") else host
        if key not in hosts:
            hosts.append(key)
    return hosts


def docker_config(username: str, password: str, hosts) -> dict:
    auth = base64.b64encode(f"{username}:{password}".encode()).decode()
    return {"auths": {host: {"auth": auth} for host in hosts}}


@contextlib.contextmanager
def docker_config_dir(username: str, password: str, hosts):
    """A temporary DOCKER_CONFIG directory with a login for `hosts`; yields its path."""
    path = tempfile.mkdtemp(prefix="bulwark-docker-config-")  # 0700
    try:
        fd = os.open(os.path.join(path, "config.json"), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                     0o600)
        with os.fdopen(fd, "w") as f:
            json.dump(docker_config(username, password, hosts), f)
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def parse_challenge(header: str):
    """('basic' | 'bearer', {realm, service, scope, ...}) of a WWW-Authenticate header;
    (None, {}) for anything else."""
    scheme, _sep, rest = (header or "").strip().partition(" ")
    scheme = scheme.lower()
    if scheme not in ("basic", "bearer"):
        return None, {}
    return scheme, dict(_PARAM_RE.findall(rest))


def _header(headers: dict, name: str) -> str:
    for key, value in (headers or {}).items():
        if key.lower() == name.lower():
            return value
    return ""


class AuthGetter:
    """getter(url, accept) -> (status or None, body) for registry.py, over
    ``request(url, headers) -> (status or None, body, response headers)``.

    Asks anonymously first; on 401 it answers the registry's challenge: Basic with the
    credentials, or Bearer by fetching a token from the realm (with the credentials as Basic
    auth when there are any, anonymously otherwise). The Authorization header found is reused
    for the same host."""

    def __init__(self, request, username: str | None = None, password: str | None = None):
        self.request = request
        self.username = username
        self.password = password
        self._auth = {}  # host -> Authorization header value
        self.schemes = {}  # host -> the scheme it answered on (registry.stored_layouts)

    def _basic(self) -> str | None:
        if self.username is None:
            return None
        raw = f"{self.username}:{self.password or ''}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def __call__(self, url: str, accept: str):
        host = url.split("/")[2] if "://" in url else ""
        headers = {"Accept": accept}
        if host in self._auth:
            headers["Authorization"] = self._auth[host]
        status, body, reply = self.request(url, headers)
        if status != 401:
            return status, body
        authorization = self.answer(_header(reply, "WWW-Authenticate"))
        if not authorization:
            return status, body
        self._auth[host] = authorization
        status, body, _reply = self.request(url, dict(headers, Authorization=authorization))
        return status, body

    def answer(self, challenge: str) -> str | None:
        """The Authorization header value for a challenge, or None when it cannot be met."""
        scheme, params = parse_challenge(challenge)
        if scheme == "basic":
            return self._basic()
        if scheme != "bearer" or not params.get("realm", "").startswith(("https://", "http://")):
            return None
        query = {k: params[k] for k in ("service", "scope") if params.get(k)}
        url = params["realm"] + ("?" + urlencode(query) if query else "")
        headers = {"Accept": "application/json"}
        if self._basic():
            headers["Authorization"] = self._basic()
        status, body, _reply = self.request(url, headers)
        if status != 200:
            return None
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            return None
        token = doc.get("token") or doc.get("access_token")
        return f"Bearer {token}" if token else None
