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
import subprocess
import tempfile
from urllib.parse import urlencode, urljoin, urlsplit

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    printable,
    redact,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
    load_json_file,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.references import (
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


def _origin(url: str):
    """(scheme, host[:port]) of an absolute http(s) URL, lowercased; (None, None) otherwise."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return None, None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc or "@" in parts.netloc:
        return None, None
    return parts.scheme.lower(), parts.netloc.lower()


REDIRECT_CODES = (301, 302, 303, 307, 308)
MAX_REDIRECTS = 5


class AuthGetter:
    """getter(url, accept) -> (status or None, body) for registry.py, over
    ``request(url, headers) -> (status or None, body, response headers)``.

    Asks anonymously first; on 401 it answers the registry's challenge: Basic with the
    credentials, or Bearer by fetching a token from the realm (with the credentials as Basic
    auth when there are any, anonymously otherwise). The Authorization header found is reused
    for the same host.

    Where the credentials may go (fail closed):
    - Basic credentials are sent only to the registry host itself (the host of the URL asked).
    - A Bearer realm on another host is asked only over https; a realm on the registry's own
      host over the scheme the registry itself answered on. Any other realm is not asked.
    - Redirects are followed here, not by the transport (``request`` must not follow them):
      the Authorization header is dropped when a redirect leaves the host or goes from https
      to http, and a redirect to a non-http(s) URL ends the request.
    """

    def __init__(self, request, username: str | None = None, password: str | None = None,
                 lookup=None):
        self.request = request
        self.username = username
        self.password = password
        self.lookup = lookup  # host -> (username, secret) or None (docker config helpers)
        self._auth = {}  # host -> Authorization header value
        self._looked_up = {}  # host -> what lookup answered
        self.schemes = {}  # host -> the scheme it answered on (registry.stored_layouts)

    def _login(self, host: str):
        if self.username is not None:
            return self.username, self.password or ""
        if self.lookup is not None:
            if host not in self._looked_up:  # one helper run per host and getter
                self._looked_up[host] = self.lookup(host)
            return self._looked_up[host]
        return None

    def _basic(self, host: str) -> str | None:
        login = self._login(host)
        if login is None:
            return None
        raw = f"{login[0]}:{login[1] or ''}".encode()
        return "Basic " + base64.b64encode(raw).decode()

    def _get(self, url: str, headers: dict):
        """request() with redirects followed here: Authorization kept only on the same origin
        (same host, no https -> http downgrade). Returns (status, body, reply headers, url)."""
        for _hop in range(MAX_REDIRECTS + 1):
            status, body, reply = self.request(url, headers)
            if status not in REDIRECT_CODES:
                return status, body, reply, url
            location = _header(reply, "Location")
            if not location:
                return status, body, reply, url
            target = urljoin(url, location)
            scheme, host = _origin(url)
            new_scheme, new_host = _origin(target)
            if new_scheme is None:
                return None, b"", {}, url
            if new_host != host or (scheme == "https" and new_scheme == "http"):
                headers = {k: v for k, v in headers.items() if k.lower() != "authorization"}
            url = target
        return None, b"", {}, url

    def __call__(self, url: str, accept: str):
        scheme, host = _origin(url)
        if host is None:
            return None, b""
        headers = {"Accept": accept}
        if host in self._auth:
            headers["Authorization"] = self._auth[host]
        status, body, reply, final = self._get(url, headers)
        if status != 401 or _origin(final)[1] != host:
            # a 401 from another host (after a redirect) is not the registry's challenge
            return status, body
        authorization = self.answer(_header(reply, "WWW-Authenticate"), url)
        if not authorization:
            return status, body
        self._auth[host] = authorization
        status, body, _reply, _final = self._get(url, dict(headers, Authorization=authorization))
        return status, body

    def realm_allowed(self, realm: str, registry_url: str) -> bool:
        """A token realm may be asked (with the credentials) when it is https, or on the
        registry's own host over the scheme the registry itself was asked on."""
        scheme, host = _origin(realm)
        reg_scheme, reg_host = _origin(registry_url)
        if scheme is None or reg_host is None:
            return False
        if scheme == "https":
            return True
        return host == reg_host and scheme == reg_scheme

    def answer(self, challenge: str, registry_url: str = "") -> str | None:
        """The Authorization header value for a challenge, or None when it cannot be met.
        `registry_url` is the URL that was challenged: Basic answers go only to its host."""
        scheme, params = parse_challenge(challenge)
        reg_host = _origin(registry_url)[1]
        if scheme == "basic":
            return self._basic(reg_host) if reg_host else None
        realm = params.get("realm", "")
        if scheme != "bearer" or not reg_host or not self.realm_allowed(realm, registry_url):
            return None
        query = {k: params[k] for k in ("service", "scope") if params.get(k)}
        url = realm + (("&" if "?" in realm else "?") + urlencode(query) if query else "")
        headers = {"Accept": "application/json"}
        basic = self._basic(reg_host)
        if basic:
            headers["Authorization"] = basic
        status, body, _reply, _final = self._get(url, headers)
        if status != 200:
            return None
        try:
            doc = json.loads(body or b"{}")
        except ValueError:
            return None
        token = doc.get("token") or doc.get("access_token") if isinstance(doc, dict) else None
        return f"Bearer {token}" if isinstance(token, str) and token else None


# --- docker config logins and credential helpers ----------------------------------------------

HELPER_PREFIX = "docker-credential-"
_HELPER_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")
HELPER_TIMEOUT = 30
HELPER_MAX_OUTPUT = 1 << 20


def _config_keys(host: str) -> list:
    if host in ("docker.io", "index.docker.io", "registry-1.docker.io"):
        return [DOCKER_HUB_AUTH_KEY, "docker.io", "index.docker.io", "registry-1.docker.io"]
    return [host, f"https://{host}", f"http://{host}"]


def helper_credentials(name: str, server: str, run=None, which=shutil.which):
    """(username, secret) from ``docker-credential-<name> get`` with `server` on stdin (the
    docker credential helper protocol); None when the helper has no login for it.

    The server URL goes on stdin, never in argv, and nothing of the login goes in the
    helper's environment; the helper's output is JSON with Username and Secret. Every failure
    is a CosignError (reason registry_auth) naming the helper and the server and never the
    helper's output (it may hold the secret): not installed, not runnable, no answer within
    HELPER_TIMEOUT seconds, a non-zero exit (other than "credentials not found"), an answer
    over HELPER_MAX_OUTPUT bytes or one that is not JSON with text Username and Secret."""
    if not isinstance(name, str) or not _HELPER_NAME.fullmatch(name):
        raise CosignError("registry_auth", f"docker config names a credential helper "
                          f"{redact(printable(name))!r} that is not a helper name")
    helper = HELPER_PREFIX + name
    program = which(helper)
    if not program:
        raise CosignError("registry_auth", f"docker config names the credential helper "
                          f"{helper} for {server}, but it is not installed "
                          f"(not on PATH)")
    run = run or _run_helper
    try:
        rc, out = run([program, "get"], server)
    except HelperFailure as failure:
        raise CosignError("registry_auth", f"credential helper {helper} {failure} for "
                          f"{server}") from None
    if rc != 0:
        # "credentials not found in native keychain" is the protocol's no-login answer
        if b"credentials not found" in (out or b"").lower():
            return None
        raise CosignError("registry_auth", f"credential helper {helper} failed "
                          f"for {server} (exit {rc})")
    if len(out or b"") > HELPER_MAX_OUTPUT:
        raise CosignError("registry_auth", f"credential helper {helper} answered {server} "
                          f"with more than {HELPER_MAX_OUTPUT} bytes; refused")
    try:
        doc = json.loads(out or b"")
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or not isinstance(doc.get("Username"), str) \
            or not isinstance(doc.get("Secret"), str):
        raise CosignError("registry_auth", f"credential helper {helper} did not "
                          f"answer {server} with JSON holding Username and Secret")
    return doc["Username"], doc["Secret"]


class HelperFailure(Exception):
    """A credential helper that could not be run or did not answer; the text says which."""


def _run_helper(argv, stdin_text: str):
    """(exit code, stdout + stderr when it failed) of one helper run; HelperFailure when it
    cannot be started or does not end within HELPER_TIMEOUT seconds (then it is killed)."""
    try:
        done = subprocess.run(argv, input=stdin_text.encode(), capture_output=True,
                              timeout=HELPER_TIMEOUT, check=False)
    except subprocess.TimeoutExpired:
        raise HelperFailure(f"did not answer within {HELPER_TIMEOUT} s") from None
    except OSError as error:
        raise HelperFailure(f"could not be run ({error.strerror or type(error).__name__})") \
            from None
    return done.returncode, done.stdout if done.returncode == 0 else done.stdout + done.stderr


def docker_config_credentials(host: str, config_dir: str | None = None, run=None,
                              which=shutil.which):
    """(username, secret) for `host` from a docker config (``$DOCKER_CONFIG/config.json`` or
    ``~/.docker/config.json``): its ``credHelpers`` entry for the host first, then
    ``credsStore``, then an inline ``auths`` entry; None when there is no login."""
    base = config_dir or os.environ.get("DOCKER_CONFIG") or os.path.expanduser("~/.docker")
    path = os.path.join(base, "config.json")
    if not os.path.exists(path):
        return None
    try:
        doc = load_json_file(path, "docker config")
    except InputError as error:
        raise CosignError("registry_auth", redact(str(error))) from None
    if not isinstance(doc, dict):
        raise CosignError("registry_auth", f"docker config {path} is not a JSON object")
    keys = _config_keys(host)
    helpers = doc.get("credHelpers") or {}
    if not isinstance(helpers, dict):
        raise CosignError("registry_auth", f"docker config {path}: credHelpers is not an object")
    for key in keys:
        if key in helpers:
            return helper_credentials(helpers[key], keys[0] if "://" in keys[0] else host,
                                      run, which)
    store = doc.get("credsStore")
    if store:
        found = helper_credentials(store, keys[0] if "://" in keys[0] else host, run, which)
        if found is not None:
            return found
    auths = doc.get("auths") or {}
    for key in keys:
        entry = auths.get(key) if isinstance(auths, dict) else None
        if isinstance(entry, dict) and isinstance(entry.get("auth"), str):
            try:
                user, _sep, secret = base64.b64decode(entry["auth"]).decode().partition(":")
            except (ValueError, UnicodeDecodeError):
                raise CosignError("registry_auth", f"docker config {path}: the login for "
                                  f"{host} is not base64 user:password") from None
            return user, secret
    return None
