# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The glue every cosign_* module shares, written once (as community.general's ModuleHelper).

The only file of this package that imports Ansible (through module_helper.py): modules import
it, nothing else does.
CosignModule builds the AnsibleModule from the module's own options plus the common ones,
runs cosign through AnsibleModule.run_command, asks the registry API through Ansible's
open_url, maps a CosignError to fail_json, and runs the module's per-image function over
O(image) or O(images). ImageModule is the part the notation_* modules share.
"""
from __future__ import annotations

import urllib.error

from ansible.module_utils.urls import ConnectionError as UrlsConnectionError
from ansible.module_utils.urls import open_url
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


def registry_get(url: str, accept: str, timeout: float = 5.0):
    """(HTTP status or None, body) of an anonymous GET, for registry.py's layout probes:
    None when the registry cannot be reached, the status of an HTTP error with no body."""
    if not url.startswith(("https://", "http://")):
        return None, b""
    try:
        with open_url(url, headers={"Accept": accept}, timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as error:
        return error.code, b""
    except (urllib.error.URLError, UrlsConnectionError, OSError):
        return None, b""


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
        return self.module.run_command(argv, environ_update=env)

    def fail_tool(self, error: CosignError):
        self.fail(error.message, reason=error.reason, stderr=error.detail,
                  commands=self.tool.commands)

    def run(self, fn, prepare=None):
        """``prepare()`` runs first, once, before any parallel work; what it returns is added
        to the result. A CosignError fails the module; with O(images), failed entries are
        listed and the module fails after all have run."""
        extra = {}
        try:
            if prepare is not None:
                extra = prepare() or {}
            if self.params.get("images") is None:
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
        self.cosign = self.tool = cosign_from_params(self.params, self._run, registry_get)

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
