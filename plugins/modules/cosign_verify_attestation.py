#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: verify cosign attestations of a container image."""
from __future__ import annotations

DOCUMENTATION = r"""
module: cosign_verify_attestation
short_description: Verify signed attestations (SBOM, scan report, custom) of a container image
version_added: 0.1.0
description:
  - Resolves O(image) to its digest and verifies its attestations of O(predicate_type) against
    one or more public keys (any or all) or a keyless identity, with
    C(cosign verify-attestation).
  - Returns the verified in-toto statements (predicate type, subject, and the predicate
    itself with O(include_predicate)). Fails with a RV(reason) - C(predicate_mismatch) (only
    attestations of other predicate types), C(wrong_key), C(no_signature) or
    C(no_attestation), C(registry_unreachable), C(image_not_found).
options:
  image:
    description: Image reference, by tag or by digest.
    type: str
    required: true
  predicate_type:
    description: cosign's C(--type) (C(cyclonedx), C(spdxjson), C(vuln), C(custom), ...) or a URI.
    type: str
    default: custom
  public_keys:
    description: Trusted public keys (PEM text, file paths or KMS references).
    type: list
    elements: str
  key_match:
    description: C(any) passes when one key verifies; C(all) needs every key.
    type: str
    choices: [any, all]
    default: any
  certificate_identity:
    description: Keyless verification - the signer identity.
    type: str
  certificate_oidc_issuer:
    description: Keyless verification - the OIDC issuer.
    type: str
  certificate_identity_regexp:
    description: Keyless verification - a regular expression the signer identity must match
      (C(--certificate-identity-regexp)); instead of O(certificate_identity).
    type: str
  certificate_oidc_issuer_regexp:
    description: Keyless verification - a regular expression the OIDC issuer must match
      (C(--certificate-oidc-issuer-regexp)); instead of O(certificate_oidc_issuer).
    type: str
  include_predicate:
    description: Return the predicates too (an SBOM can be large).
    type: bool
    default: false
  transparency_log:
    description: Require the transparency log entry; V(false) for attestations made offline.
    type: bool
    default: true
extends_documentation_fragment:
  - bulwark.container_security.cosign
  - bulwark.container_security.registry_auth
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.read_only
  - bulwark.container_security.attributes.platform
seealso:
  - module: bulwark.container_security.cosign_attest
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: The image carries a CycloneDX SBOM signed by the release key
  bulwark.container_security.cosign_verify_attestation:
    image: registry.example.com/app:1.4.2
    predicate_type: cyclonedx
    public_keys: [keys/release.pub]
    transparency_log: false
  register: sbom
"""

RETURN = r"""
digest:
  description: The digest whose attestations were verified.
  returned: always
  type: str
predicate_type:
  description: The predicateType URI asked for.
  returned: success
  type: str
verified_keys:
  description: The keys that verified.
  returned: success
  type: list
  elements: str
attestations:
  description: Verified statements - payload_type, predicate_type, subject (and predicate).
  returned: success
  type: list
  elements: dict
reason:
  description: Why verification failed.
  returned: failure
  type: str
  sample: predicate_mismatch
commands:
  description: The commands that ran.
  returned: always
  type: list
  elements: list
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.flows import (
    verify_attestation,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.module import (
    CosignModule,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.params import (
    TRUST_ARGUMENT_SPEC,
    TRUST_CONSTRAINTS,
    keyless_identity,
    public_key_options,
)


def main():
    helper = CosignModule(
        dict(TRUST_ARGUMENT_SPEC, image={"type": "str", "required": True},
             predicate_type={"type": "str", "default": "custom"},
             include_predicate={"type": "bool", "default": False}),
        **TRUST_CONSTRAINTS)
    p = helper.params
    identity, issuer = keyless_identity(p)
    helper.run(lambda image: verify_attestation(
        helper.cosign, image, p["predicate_type"], public_keys=public_key_options(p) or None,
        mode=p["key_match"], identity=identity, issuer=issuer,
        include_predicate=p["include_predicate"]))


if __name__ == "__main__":
    main()
