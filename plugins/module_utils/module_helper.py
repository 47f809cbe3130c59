# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The AnsibleModule plumbing every module helper shares (as community.general's ModuleHelper).

Imports Ansible, so only modules (through signing/module.py, scan/module.py) import it; the
pure logic of module_utils stays Ansible-free.
"""
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    safe_message,
)


class ModuleHelper:
    """An AnsibleModule (check mode supported) built from the module's options plus
    ``common_argument_spec``, the options every module of one family takes."""

    common_argument_spec: dict = {}

    def __init__(self, argument_spec: dict, **module_kwargs):
        self.module = AnsibleModule(
            argument_spec=dict(argument_spec, **self.common_argument_spec),
            supports_check_mode=True, **module_kwargs)
        self.params = self.module.params

    def fail(self, msg, **extra):
        """fail_json with the one redaction: no_log values, URL userinfo and keyed credentials
        removed, control characters escaped."""
        self.module.fail_json(msg=safe_message(to_native(msg), self.module.no_log_values),
                              **extra)
