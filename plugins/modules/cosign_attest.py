#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: attach a signed in-toto attestation (SBOM, vulnerability report, ...)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: cosign_attest
short_description: Attach a signed attestation (SBOM, scan report, custom predicate) to an image
version_added: 0.1.0
description:
  - Resolves O(image) to its digest and attaches O(predicate) as a signed in-toto attestation
    of O(predicate_type) with C(cosign attest), cosign 2.x or 3.x.
  - Idempotent. When an attestation of that type by the same key with an identical predicate
    is already attached, nothing is written (C(changed=false)).
  - The key password travels in E(COSIGN_PASSWORD), never on the command line, never logged.
options:
  image:
    description: Image reference, by tag or by digest.
    type: str
    required: true
  predicate:
    description:
      - Path of the predicate JSON file on the target, for example the output of
        C(syft <image> -o cyclonedx-json) or C(trivy image --format cosign-vuln).
    type: path
    required: true
  predicate_type:
    description:
      - cosign's C(--type) - C(custom), C(vuln), C(cyclonedx), C(spdx), C(spdxjson),
        C(slsaprovenance), C(slsaprovenance1), C(openvex), or a predicate type URI.
    type: str
    default: custom
  key:
    description: Private key file or KMS reference.
    type: str
    required: true
  key_password:
    description: Password of the private key file.
    type: str
  public_key:
    description:
      - Public key (PEM text or path) to look for an existing attestation.
      - Derived from O(key) when omitted.
    type: str
  signature_format:
    description:
      - C(legacy) stores the attestation under the C(sha256-<digest>.att) tag; C(bundle) as a
        sigstore bundle (OCI referrer, or the C(sha256-<digest>) tag fallback).
    type: str
    choices: [legacy, bundle]
    default: legacy
  force:
    description: Attest even when the same attestation exists.
    type: bool
    default: false
  transparency_log:
    description: Upload to the public transparency log; V(false) for offline private setups.
    type: bool
    default: true
extends_documentation_fragment:
  - bulwark.container_security.cosign
  - bulwark.container_security.registry_auth
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.platform
attributes:
  check_mode:
    support: full
    details: Looks for an existing attestation; writes nothing.
  diff_mode:
    support: none
seealso:
  - module: bulwark.container_security.cosign_verify_attestation
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: SBOM of the image, made by syft
  ansible.builtin.command: >-
    syft registry:registry.example.com/app@{{ signed.digest }}
    -o cyclonedx-json=/tmp/app.cdx.json
  changed_when: false

- name: Attach it as a signed CycloneDX attestation
  bulwark.container_security.cosign_attest:
    image: registry.example.com/app@{{ signed.digest }}
    predicate: /tmp/app.cdx.json
    predicate_type: cyclonedx
    key: /etc/bulwark/cosign/cosign.key
    key_password: "{{ vault_cosign_password }}"
    transparency_log: false
"""

RETURN = r"""
digest:
  description: Digest the attestation is about.
  returned: always
  type: str
image:
  description: The attested reference, by digest.
  returned: always
  type: str
predicate_type:
  description: The in-toto predicateType URI.
  returned: always
  type: str
  sample: https://cyclonedx.org/bom
layout:
  description: Where the attestation is stored (C(legacy-sig-tag) means the C(.att) tag here).
  returned: when not in check mode
  type: str
commands:
  description: The commands that ran.
  returned: always
  type: list
  elements: list
reason:
  description: Why it failed.
  returned: failure
  type: str
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.flows import (
    attest_image,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.module import (
    CosignModule,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.params import (
    SIGNING_ARGUMENT_SPEC,
    read_key_option,
)


def main():
    helper = CosignModule(dict(SIGNING_ARGUMENT_SPEC, image={"type": "str", "required": True},
                               predicate={"type": "path", "required": True},
                               predicate_type={"type": "str", "default": "custom"}))
    p = helper.params
    helper.run(lambda image: attest_image(
        helper.cosign, image, p["key"], predicate_path=p["predicate"],
        ptype=p["predicate_type"], password=p["key_password"],
        public_key=read_key_option(p["public_key"]) if p["public_key"] else None,
        fmt=p["signature_format"], force=p["force"], check_mode=helper.module.check_mode))


if __name__ == "__main__":
    main()
