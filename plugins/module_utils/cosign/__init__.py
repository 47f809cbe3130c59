# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Cosign command lines, output parsing and failure reasons for the ship layer.

Plain Python, no Ansible imports (except module.py, which only modules import): the
cosign_* modules, the benches and the tests share it. runner.py (the `Cosign` class),
layouts.py (signature layouts and formats), registry.py (the layouts stored in a registry),
flows.py (sign, verify, attest), params.py (module options as data), module.py (module glue),
policy_json.py (containers/image policy.json for the cosign role). What notation shares with
it (references, failure reasons, registry logins, ToolRunner, ImageModule) lives in signing/.

Everything that talks to cosign goes through `Cosign`, which builds argv lists and hands them
to a runner `run(argv, env) -> (rc, stdout, stderr)`; secrets (the key password) travel in the
environment (`COSIGN_PASSWORD`), never in argv.

Two cosign generations are supported, checked against the real binaries (2.5.0, 3.1.1):

* 2.x writes the legacy layout: a `sha256-<hex>.sig` tag next to the image.
* 3.x writes a sigstore bundle as an OCI referrer; on registries without the referrers API
  (CNCF Distribution 2.8) it falls back to a `sha256-<hex>` tag. `--new-bundle-format=false`
  makes 3.x write the legacy layout, which containers/image (podman, CRI-O, skopeo) needs.
  Offline signing on 3.x also needs `--use-signing-config=false` next to `--tlog-upload=false`.

Tag -> digest: `crane digest` when a crane binary is available, otherwise `cosign triangulate`
(whose answer `repo:sha256-<hex>.sig` names the digest). Both read the same docker credentials
as cosign, so private registries work without a second login mechanism.
"""
