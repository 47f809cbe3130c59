# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The glue the notation_* modules share: signing/module.py's ImageModule with a Notation.

Imports Ansible (through signing/module.py): only modules import it.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.notation.params import (
    COMMON_ARGUMENT_SPEC,
    notation_from_params,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.module import (
    ImageModule,
)


class NotationModule(ImageModule):
    """One notation_* module run: ``NotationModule(spec, **AnsibleModule kwargs).run(fn)``."""

    common_argument_spec = COMMON_ARGUMENT_SPEC

    def __init__(self, argument_spec: dict, **module_kwargs):
        super().__init__(argument_spec, **module_kwargs)
        self.notation = self.tool = notation_from_params(self.params, self._run)
