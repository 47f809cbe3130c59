# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The glue every cosign_* module shares, written once (as community.general's ModuleHelper).

The only file of this package that imports Ansible (through module_helper.py): modules import
it, nothing else does.
CosignModule builds the AnsibleModule from the module's own options plus the common ones,
runs cosign through AnsibleModule.run_command, asks the registry API through Ansible's
urls.Request, maps a CosignError to fail_json, and runs the module's per-image function over
O(image) or O(images). ImageModule is the part the notation_* modules share.
"""
from __future__ import annotations

import urllib.error

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import Request, make_context
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.credentials import (
    AuthGetter,
    docker_config_credentials,
    docker_config_dir,
    registry_hosts,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.errors import (
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.params import (
    COMMON_ARGUMENT_SPEC,
    check_image_options,
    cosign_from_params,
    for_each,
    summarize_failures,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.module_helper import (
    ModuleHelper,
)

_CONTEXTS = {}  # ca_path -> ssl.SSLContext, made once per module run (about 0.15 s each)


def _tls_context(ca_path=None):
    if ca_path not in _CONTEXTS:
        _CONTEXTS[ca_path] = make_context(cafile=ca_path)
    return _CONTEXTS[ca_path]


def registry_request(url: str, headers: dict, timeout: float = 5.0, ca_path=None):
    """(HTTP status or None, body, response headers) of a GET: None when the registry cannot
    be reached; an HTTP error comes with its headers (a 401's WWW-Authenticate) and no body.
    One TLS context serves every request of the run: open_url builds a new one (loading
    the CA bundle) per call, which cost more than the request itself."""
    if not url.startswith(("https://", "http://")):
        return None, b"", {}
    try:
        # Redirects come back as 3xx: credentials.AuthGetter follows them and drops the
        # Authorization header when one leaves the host (urllib would have kept it).
        request = Request(context=_tls_context(ca_path), timeout=timeout,
                          follow_redirects="none", force_basic_auth=False)
        with request.open("GET", url, headers=headers) as response:
            return response.status, response.read(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, b"", dict(error.headers or {})
    except (urllib.error.URLError, UrlsConnectionError, OSError):
        return None, b"", {}


def registry_getter(ca_path=None, username=None, password=None, timeout: float = 5.0):
    """The layout probe's getter (registry.py: ``getter(url, accept) -> (status or None,
    body)``): registry_request answering the registry's login challenge with the credentials,
    or its anonymous token flow without them (credentials.AuthGetter). Without a
    registry_username, the login of the user's docker config answers a challenge, through its
    credHelpers/credsStore helper when it names one (credentials.docker_config_credentials)."""
    return AuthGetter(lambda url, headers: registry_request(url, headers, timeout=timeout,
                                                            ca_path=ca_path),
                      username, password,
                      lookup=docker_config_credentials if username is None else None)


class ImageModule(ModuleHelper):
    """A module that runs one tool (``self.tool``, a runner.ToolRunner) per image:
    ``run(fn)`` exits with fn(image) for O(image), or with one result per O(images) entry.
    The cosign_* and notation_* modules share it."""

    tool = None

    def __init__(self, argument_spec: dict, **module_kwargs):
        super().__init__(argument_spec, **module_kwargs)
        try:
            check_image_options(self.params)  # before any probe, key read or process
        except CosignError as error:
            self.fail(error.message, reason=error.reason)

    def _run(self, argv, env):
        """run_command, with a tool that cannot start (not installed, not executable) refused
        as a CosignError naming it: run_command's own handling fails the module with a bare
        "Error executing command." and a traceback."""
        try:
            return self.module.run_command(argv, environ_update=env, handle_exceptions=False)
        except OSError as exc:
            raise CosignError("unsupported", f"cannot run {argv[0]}: {exc.strerror or exc} "
                              f"(install it, or give its path in the module's *_path option)",
                              "", list(argv)) from None

    def fail_tool(self, error: CosignError):
        self.fail(error.message, reason=error.reason, stderr=error.detail,
                  commands=self.tool.commands)

    def run(self, fn, prepare=None):
        """Runs with the registry login in a temporary docker config (removed afterwards)
        and the registry CA as the tools' SSL_CERT_FILE; see ``_run_images``."""
        if self.params.get("registry_password") and self.params.get("registry_username") is None:
            self.fail("registry_password needs registry_username", reason="registry_auth")
        if self.params.get("registry_ca_path"):
            self.tool.env["SSL_CERT_FILE"] = self.params["registry_ca_path"]
        if self.params.get("registry_username") is None:
            return self._run_images(fn, prepare)
        images = self.params.get("images") or [self.params.get("image")]
        with docker_config_dir(self.params["registry_username"],
                               self.params.get("registry_password") or "",
                               registry_hosts([i for i in images if i])) as config:
            self.tool.env["DOCKER_CONFIG"] = config
            return self._run_images(fn, prepare)

    def _run_images(self, fn, prepare=None):
        """``prepare()`` runs first, once, before any parallel work; what it returns is added
        to the result. A CosignError fails the module; with O(images), failed entries are
        listed and the module fails after all have run."""
        extra = {}
        try:
            if prepare is not None:
                extra = prepare() or {}
            if self.params.get("images") is None:
                if self.params.get("image") is None:  # required_one_of counts null as given
                    self.fail("image (or images) must name an image; got null",
                              reason="image_not_found")
                result = fn(self.params["image"])
                self.module.exit_json(**dict({"changed": False}, **extra,
                                             commands=self.tool.commands, **result))
        except CosignError as error:
            self.fail_tool(error)
        results = for_each(self.params["images"], self.params["parallel"], fn)
        changed = any(r.get("changed") for r in results)
        if any(r["failed"] for r in results):
            self.module.fail_json(msg=summarize_failures(results), changed=changed,
                                  results=results, commands=self.tool.commands)
        self.module.exit_json(changed=changed, results=results, commands=self.tool.commands,
                              **extra)


class CosignModule(ImageModule):
    """One cosign_* module run: ``CosignModule(spec, **AnsibleModule kwargs).run(fn)``."""

    common_argument_spec = COMMON_ARGUMENT_SPEC

    def __init__(self, argument_spec: dict, **module_kwargs):
        super().__init__(argument_spec, **module_kwargs)
        getter = registry_getter(self.params.get("registry_ca_path"),
                                 self.params.get("registry_username"),
                                 self.params.get("registry_password"))
        self.cosign = self.tool = cosign_from_params(self.params, self._run, getter)

    def fail_cosign(self, error: CosignError):
        self.fail_tool(error)

    def run(self, fn, *, detect_major: bool = False, report_major: bool = False):
        """``detect_major``: ask cosign its major version first, once, before any parallel
        work (``report_major`` also returns it as C(cosign_major))."""
        def prepare():
            if detect_major or report_major:
                major = self.cosign.major
                if report_major:
                    return {"cosign_major": major}
            return {}
        super().run(fn, prepare)
