# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The build gate beyond Trivy JSON: grype reports, Rego policies, VEX and SARIF (pure Python).

It builds on trivy/ (the report model and the scan command) and trivy/ never imports it;
module.py, the trivy_gate / trivy_scan module glue, is the one file here that imports Ansible.
"""
