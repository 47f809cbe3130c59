# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What both signers of the ship layer (cosign/ and notation/) stand on: image references,
failure reasons and the error class, registry logins, the process runner (`ToolRunner`),
the shared module options and the per-image module glue (`ImageModule`).

Plain Python, no Ansible imports (except module.py, which only cosign/module.py and
notation/module.py import). errors.py, references.py, logins.py (docker config, registry
login challenges), runner.py, params.py, module.py. Nothing here imports cosign/ or notation/.
"""
