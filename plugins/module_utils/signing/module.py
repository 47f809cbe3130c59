# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The module glue both signers share, written once (as community.general's ModuleHelper).

The only file of this package that imports Ansible (through module_helper.py): the cosign_*
and notation_* modules reach it through cosign/module.py and notation/module.py.
ImageModule maps a CosignError to fail_json, writes the registry login to a temporary docker
config, and runs the module's per-image function over O(image) or O(images).
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.module_helper import (
    ModuleHelper,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.logins import (
    docker_config_dir,
    registry_hosts,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.params import (
    check_image_options,
    for_each,
    summarize_failures,
)


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
