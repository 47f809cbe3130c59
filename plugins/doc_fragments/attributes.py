# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The `attributes` every module declares, described once (as community.general's fragment).

A module extends `bulwark.container_security.attributes` for the descriptions and sets only
`support` (and `details` where support is partial or the behaviour needs a word) itself, or
takes the whole declaration from `.read_only` or `.platform`.
"""
from __future__ import annotations


class ModuleDocFragment:

    # check_mode and diff_mode, described; each module states its own support.
    DOCUMENTATION = r"""
options: {}
attributes:
  check_mode:
    description: >-
      Can run in C(check_mode) and return changed status prediction without modifying target.
  diff_mode:
    description: >-
      Will return details on what has changed (or possibly needs changing in C(check_mode)),
      when in diff mode.
"""

    # The modules run on Linux managed nodes (or the controller as one, for cosign and Trivy).
    PLATFORM = r"""
options: {}
attributes:
  platform:
    description: Target OS/families that can be operated against.
    support: full
    platforms: posix
"""

    # For modules that only read and report: use together with DOCUMENTATION.
    READ_ONLY = r"""
options: {}
attributes:
  check_mode:
    support: full
    details:
      - This module only reads; it runs the same in check mode.
  diff_mode:
    support: N/A
    details:
      - This module changes nothing, so there is nothing to diff.
"""
