#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: verify the notation (Notary Project) signature of a container image."""
from __future__ import annotations

DOCUMENTATION = r"""
module: notation_verify
short_description: Verify the notation (Notary Project) signature of a container image
version_added: 0.1.0
description:
  - Resolves O(image) to its digest, then verifies the signatures of that digest with the
    trust policy and trust store in notation's configuration directory (see O(config_home);
    the C(notation) role writes them).
  - Fails with a RV(reason) a person can act on - C(no_signature) (nothing signed this
    digest), C(wrong_key) (signed, but by no certificate of the trust stores the policy
    names), C(trust_policy) (no trust policy statement covers this registry/repository, or
    the policy or trust store is missing), C(digest_mismatch) (the tag moved away from
    O(expected_digest)), C(registry_unreachable), C(image_not_found).
  - Never changes anything.
options:
  expected_digest:
    description:
      - The digest the image must have (for example the one that was scanned and signed).
        A tag that now points elsewhere fails with C(digest_mismatch). Not with O(images).
    type: str
extends_documentation_fragment:
  - bulwark.container_security.images
  - bulwark.container_security.notation
  - bulwark.container_security.registry_auth
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.read_only
  - bulwark.container_security.attributes.platform
seealso:
  - module: bulwark.container_security.notation_sign
  - module: bulwark.container_security.cosign_verify
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: The deployed tag must be the scanned digest, signed by a trusted certificate
  bulwark.container_security.notation_verify:
    image: registry.example.com/app:1.4.2
    expected_digest: "{{ scanned.digest }}"
    config_home: /etc
"""

RETURN = r"""
digest:
  description: The digest that was verified.
  returned: when O(image) is used
  type: str
image:
  description: The verified reference, by digest.
  returned: when O(image) is used
  type: str
verified:
  description: Always true on success (a failed verification fails the task).
  returned: when O(image) is used
  type: bool
reason:
  description: Why verification failed (see description).
  returned: failure
  type: str
  sample: wrong_key
results:
  description: With O(images), one entry per image - image, digest, verified, failed, and
    reason/msg for the failed ones.
  returned: when O(images) is used
  type: list
  elements: dict
commands:
  description: The commands that ran.
  returned: always
  type: list
  elements: list
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.signing.params import (
    IMAGES_ARGUMENT_SPEC,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.flows import (
    verify_image,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.module import (
    NotationModule,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.params import (
    user_metadata,
)


def main():
    helper = NotationModule(
        dict(IMAGES_ARGUMENT_SPEC, expected_digest={"type": "str"}),
        required_one_of=[("image", "images")],
        mutually_exclusive=[("image", "images"), ("images", "expected_digest")])
    p = helper.params
    helper.run(lambda image: verify_image(
        helper.notation, image, expected_digest=p["expected_digest"],
        user_metadata=user_metadata(p)))


if __name__ == "__main__":
    main()
