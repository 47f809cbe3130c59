# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Notation (the Notary Project's CLI) for the ship layer: command lines, output parsing,
failure reasons, sign and verify by digest, trust policy documents.

Plain Python, no Ansible imports (except module.py, which only modules import). It builds on
the shared signing package: image references (signing/references.py), failure
reasons and the error class (signing/errors.py), the runner plumbing (signing/runner.py's
ToolRunner) and the module glue (signing/module.py's ImageModule), as cosign/ does.

runner.py (the `Notation` class), flows.py (sign, verify), trust_policy.py (trustpolicy.json),
params.py (module options as data), module.py (module glue).

Checked against the real notation 1.3.2 (Debian sid) and CNCF Distribution 2.8, which has no
referrers API: notation stores its signature under the OCI referrers tag schema there.
"""
