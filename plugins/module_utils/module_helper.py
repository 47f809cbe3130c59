# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The AnsibleModule plumbing every module helper shares (as community.general's ModuleHelper).

Imports Ansible, so only modules (through signing/module.py, scan/module.py) import it; the
pure logic of module_utils stays Ansible-free.
"""
from __future__ import annotations

from ansible.module_utils.basic import AnsibleModule, _load_params
from ansible.module_utils.common.text.converters import to_native
from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    got,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    safe_message,
)

_MAPPING_TYPES = (dict, str)   # what ansible-core's dict check reads (a str as JSON or k=v)


def _suboption_type_errors(argument_spec: dict, params) -> list:
    """Options with suboptions given a value ansible-core's own validation crashes on (a bool
    or a number raises TypeError inside ansible-core, a traceback instead of a refusal)."""
    errors = []
    for name, spec in argument_spec.items():
        value = params.get(name) if isinstance(params, dict) else None
        if not spec.get("options") or value is None:
            continue
        if spec.get("type") == "list":
            ok = isinstance(value, (list, str)) and all(
                isinstance(v, _MAPPING_TYPES) for v in (value if isinstance(value, list) else ()))
            want = "a list of mappings"
        else:
            ok, want = isinstance(value, _MAPPING_TYPES), "a mapping"
        if not ok:
            errors.append(f"option {name} must be {want}, got {got(value)}")
    return errors


def new_module(argument_spec: dict, **module_kwargs) -> AnsibleModule:
    """AnsibleModule(argument_spec, ...), except that an option with suboptions given a
    non-mapping is refused naming the option (never its value) before ansible-core's argument
    validation would crash on it: the module is built with those options taken as they are
    (``raw``) only to fail."""
    params = _load_params()
    errors = _suboption_type_errors(argument_spec, params)
    if not errors:
        return AnsibleModule(argument_spec=argument_spec, **module_kwargs)
    lenient = {name: ({"type": "raw", "no_log": bool(spec.get("no_log"))}
                      if spec.get("options") else spec)
               for name, spec in argument_spec.items()}
    module = AnsibleModule(argument_spec=lenient, **module_kwargs)
    module.fail_json(msg="; ".join(errors))
    return module   # not reached: fail_json exits


class ModuleHelper:
    """An AnsibleModule (check mode supported) built from the module's options plus
    ``common_argument_spec``, the options every module of one family takes."""

    common_argument_spec: dict = {}

    def __init__(self, argument_spec: dict, **module_kwargs):
        self.module = new_module(dict(argument_spec, **self.common_argument_spec),
                                 supports_check_mode=True, **module_kwargs)
        self.params = self.module.params

    def fail(self, msg, **extra):
        """fail_json with the one redaction: no_log values, URL userinfo and keyed credentials
        removed, control characters escaped."""
        self.module.fail_json(msg=safe_message(to_native(msg), self.module.no_log_values),
                              **extra)
