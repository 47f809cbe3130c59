# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Options every notation_* module takes (COMMON_ARGUMENT_SPEC in notation/params.py)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
attributes:
  action_group:
    description:
      - Set these options once for a play in C(module_defaults), with
        C(group/bulwark.container_security.notation) for this tool's modules or
        C(group/bulwark.container_security.signing) for every signing module (give that group
        only the options all of them take).
    support: full
    membership:
      - bulwark.container_security.notation
      - bulwark.container_security.signing
options:
  notation_path:
    description: The notation binary (name on E(PATH) or absolute path).
    type: path
    default: notation
  config_home:
    description:
      - The directory holding notation's configuration directory C(notation/) (signing keys,
        trust store, trust policy); passed to notation as E(XDG_CONFIG_HOME).
      - V(/etc) for the node-wide C(/etc/notation) the C(notation) role writes. Omitted,
        notation reads the user's C(~/.config/notation).
    type: path
  crane_path:
    description: crane binary for tag to digest resolution; looked up on E(PATH) when omitted
      (C(notation ls) answers otherwise).
    type: path
  insecure_registry:
    description: Talk plain HTTP to the registry (C(--insecure-registry)). Lab use only.
    type: bool
    default: false
  user_metadata:
    description:
      - Key/value pairs added to the signature payload (C(notation sign -m)), or that every
        accepted signature must carry (C(notation verify -m)).
    type: dict
    default: {}
"""
