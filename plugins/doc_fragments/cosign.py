# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Options every cosign_* module takes (COMMON_ARGUMENT_SPEC in module_utils/cosign/params.py)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  action_group:
    description:
      - Set these options once for a play in C(module_defaults), with
        C(group/bulwark.container_security.cosign) for this tool's modules or
        C(group/bulwark.container_security.signing) for every signing module (give that group
        only the options all of them take).
    support: full
    membership:
      - bulwark.container_security.cosign
      - bulwark.container_security.signing
options:
  cosign_path:
    description: The cosign binary (name on E(PATH) or absolute path).
    type: path
    default: cosign
  cosign_major:
    description:
      - Major version of cosign, when known. Detected otherwise (C(cosign version), or the
        flags of C(cosign sign --help) for distro builds that report C(devel)).
    type: int
    choices: [2, 3]
  crane_path:
    description: crane binary for tag to digest resolution; looked up on E(PATH) when omitted.
    type: path
  insecure_registry:
    description: Allow plain HTTP or self-signed registries (C(--allow-insecure-registry)).
    type: bool
    default: false
"""
