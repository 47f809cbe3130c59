#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: verify cosign signatures of a container image."""
from __future__ import annotations

DOCUMENTATION = r"""
module: cosign_verify
short_description: Verify the cosign signature of a container image
version_added: 0.1.0
description:
  - Resolves O(image) to its digest, then verifies the signatures of that digest against one
    or more public keys (any or all of them) or a keyless identity and issuer.
  - Returns the verified payloads. Fails with a RV(reason) a person can act on -
    C(no_signature) (nothing signed this digest), C(wrong_key) (signed, but not by a trusted
    key), C(digest_mismatch) (the tag moved away from O(expected_digest), or a payload names
    another digest), C(registry_unreachable), C(image_not_found).
  - Never changes anything.
options:
  public_keys:
    description:
      - Trusted public keys, each PEM text, a file path or a KMS reference. Key rotation is a
        list with the old and the new key and O(key_match=any).
    type: list
    elements: str
  key_match:
    description: C(any) passes when one key verifies; C(all) needs every key.
    type: str
    choices: [any, all]
    default: any
  certificate_identity:
    description: Keyless verification - the signer identity (used when O(public_keys) is empty).
    type: str
  certificate_oidc_issuer:
    description: Keyless verification - the OIDC issuer of the identity.
    type: str
  certificate_identity_regexp:
    description: Keyless verification - a regular expression the signer identity must match
      (C(--certificate-identity-regexp)); instead of O(certificate_identity).
    type: str
  certificate_oidc_issuer_regexp:
    description: Keyless verification - a regular expression the OIDC issuer must match
      (C(--certificate-oidc-issuer-regexp)); instead of O(certificate_oidc_issuer).
    type: str
  expected_digest:
    description:
      - The digest the image must have (for example the one that was scanned and signed).
        A tag that now points elsewhere fails with C(digest_mismatch). Not with O(images).
      - Must be C(sha256:) and 64 lowercase hex digits; anything else is refused before
        cosign runs.
    type: str
  signature_format:
    description:
      - C(auto) reads what this cosign reads by default (3.x both layouts, 2.x legacy).
      - C(legacy) reads only C(.sig) tags; C(bundle) asks for sigstore bundles.
    type: str
    choices: [auto, legacy, bundle]
    default: auto
  annotations:
    description: Annotations every accepted signature must carry.
    type: dict
    default: {}
  transparency_log:
    description:
      - Require the transparency log entry (cosign's default). V(false) for signatures made
        offline (C(--insecure-ignore-tlog=true)).
    type: bool
    default: true
extends_documentation_fragment:
  - bulwark.container_security.images
  - bulwark.container_security.cosign
  - bulwark.container_security.registry_auth
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.read_only
  - bulwark.container_security.attributes.platform
seealso:
  - module: bulwark.container_security.cosign_sign
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Verify against the current and the previous release key
  bulwark.container_security.cosign_verify:
    image: registry.example.com/app:1.4.2
    public_keys:
      - "{{ lookup('file', 'keys/release-2026.pub') }}"
      - keys/release-2025.pub
    transparency_log: false

- name: The deployed tag must still be the digest that was scanned
  bulwark.container_security.cosign_verify:
    image: registry.example.com/app:1.4.2
    expected_digest: "{{ scanned.digest }}"
    public_keys: [keys/release.pub]
"""

RETURN = r"""
digest:
  description: The digest that was verified.
  returned: when O(image) is used
  type: str
image:
  description: The verified reference, by digest.
  returned: success
  type: str
verified:
  description: Always true on success (a failed verification fails the task).
  returned: success
  type: bool
verified_keys:
  description:
    - The keys that verified - paths, KMS references, or C(pem:sha256:<prefix>) for PEM text.
  returned: success
  type: list
  elements: str
payloads:
  description: The verified simple-signing payloads, as cosign prints them.
  returned: success
  type: list
  elements: dict
  sample:
    - critical:
        identity: {docker-reference: registry.example.com/app}
        image: {docker-manifest-digest: "sha256:955d52f9..."}
        type: cosign container image signature
      optional: null
reason:
  description: Why verification failed (see description).
  returned: failure
  type: str
  sample: wrong_key
results:
  description:
    - With O(images), one entry per image - image, digest, verified_keys, payloads, failed,
      and reason/msg for the failed ones.
  returned: when O(images) is used
  type: list
  elements: dict
commands:
  description: The commands that ran.
  returned: always
  type: list
  elements: list
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.flows import (
    verify_image,
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
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.params import (
    IMAGES_ARGUMENT_SPEC,
)


def main():
    helper = CosignModule(
        dict(IMAGES_ARGUMENT_SPEC, **TRUST_ARGUMENT_SPEC,
             expected_digest={"type": "str"},
             signature_format={"type": "str", "choices": ["auto", "legacy", "bundle"],
                               "default": "auto"},
             annotations={"type": "dict", "default": {}}),
        required_one_of=TRUST_CONSTRAINTS["required_one_of"] + [("image", "images")],
        mutually_exclusive=TRUST_CONSTRAINTS["mutually_exclusive"]
        + [("image", "images"), ("images", "expected_digest")])
    p = helper.params
    fmt = None if p["signature_format"] == "auto" else p["signature_format"]
    identity, issuer = keyless_identity(p)

    def verify(image):
        return verify_image(
            helper.cosign, image, public_keys=public_key_options(p), mode=p["key_match"],
            identity=identity, issuer=issuer,
            expected_digest=p["expected_digest"], fmt=fmt,
            annotations={k: str(v) for k, v in p["annotations"].items()})

    helper.run(verify, detect_major=fmt == "legacy" and p["images"] is not None)


if __name__ == "__main__":
    main()
