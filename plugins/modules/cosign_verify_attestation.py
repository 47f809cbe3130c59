#!/usr/bin/python
# GNU General Public License v3.0+ (see https://www.gnu.org/licenses/gpl-3.0.txt)
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
attributes:
  check_mode:
    support: full
    details: Read-only; runs the same in check mode.
  diff_mode:
    support: none
seealso:
  - module: bulwark.container_security.cosign_attest
author:
  - Bulwark contributors
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

from ansible.module_utils.basic import AnsibleModule

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    COMMON_ARGUMENT_SPEC,
    CosignError,
    cosign_from_params,
    read_key_option,
    verify_attestation,
)


def main():
    spec = {
        "image": {"type": "str", "required": True},
        "predicate_type": {"type": "str", "default": "custom"},
        "public_keys": {"type": "list", "elements": "str", "no_log": False},
        "key_match": {"type": "str", "choices": ["any", "all"], "default": "any"},
        "certificate_identity": {"type": "str"},
        "certificate_oidc_issuer": {"type": "str"},
        "include_predicate": {"type": "bool", "default": False},
    }
    spec.update(COMMON_ARGUMENT_SPEC)
    module = AnsibleModule(
        argument_spec=spec, supports_check_mode=True,
        required_together=[("certificate_identity", "certificate_oidc_issuer")],
        required_one_of=[("public_keys", "certificate_identity")])
    p = module.params
    cosign = cosign_from_params(
        p, lambda argv, env: module.run_command(argv, environ_update=env))
    try:
        result = verify_attestation(
            cosign, p["image"], p["predicate_type"],
            public_keys=[read_key_option(k) for k in p["public_keys"] or []] or None,
            mode=p["key_match"], identity=p["certificate_identity"],
            issuer=p["certificate_oidc_issuer"], include_predicate=p["include_predicate"])
    except CosignError as e:
        module.fail_json(msg=e.message, reason=e.reason, stderr=e.detail,
                         commands=cosign.commands)
    module.exit_json(changed=False, commands=cosign.commands, **result)


if __name__ == "__main__":
    main()
