# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Options of modules acting on one image or several (signing/params.py IMAGES_ARGUMENT_SPEC)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  image:
    description:
      - Image reference, by tag or by digest
        (C(registry/repo:tag), C(registry/repo@sha256:...)).
      - Exactly one of O(image) and O(images) is required.
    type: str
  images:
    description:
      - Several image references handled in one module run (RV(results) holds one entry
        each; the task fails when any of them fails, after all have run). Cheaper than a
        loop, which starts the module once per image.
    type: list
    elements: str
  parallel:
    description: How many O(images) are handled at the same time, 1 to 32. A value out of
      range is refused before anything runs.
    type: int
    default: 1
"""
