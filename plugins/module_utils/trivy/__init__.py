# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Trivy for the build layer: ignore model, gate, reports, scan command, trivy.yaml.

Plain Python, no Ansible imports; nothing here imports scan/ (the build gate over these
reports, whose module.py is the trivy_gate / trivy_scan module glue).
"""
