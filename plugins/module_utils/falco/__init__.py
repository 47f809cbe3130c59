# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Falco rules linter package: grammar, fields catalog (generated), loader, linter (with its
conditions, expansion and exceptions checks).

The command line is bin/falco_rules_lint.py.
"""
