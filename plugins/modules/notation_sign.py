#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: sign a container image by digest with notation (Notary Project)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: notation_sign
short_description: Sign a container image by digest with notation (Notary Project signatures)
version_added: 0.1.0
description:
  - Resolves O(image) to its digest (a tag is never signed, only what it points to now), then
    signs that digest with a signing key from notation's key list (C(signingkeys.json)).
  - Idempotent. When the image already carries a signature made with the certificate of the
    same key (and every O(user_metadata) pair), nothing is written and the result is
    C(changed=false). Plugin (KMS) keys have no certificate on disk, so they always sign.
  - The signature is stored as an OCI referrer; on registries without the referrers API
    (CNCF Distribution 2.8) under the referrers tag schema (C(sha256-<digest>) tag).
  - Notation is the Notary Project's current signer. Docker Content Trust (Notary v1) is
    retired upstream and not supported.
options:
  key:
    description: Name of the signing key in notation's key list; the default key when omitted.
    type: str
  signature_format:
    description: Signature envelope, C(jws) (notation's default) or C(cose).
    type: str
    choices: [jws, cose]
    default: jws
  force:
    description: Sign even when a signature by this key exists.
    type: bool
    default: false
extends_documentation_fragment:
  - bulwark.container_security.images
  - bulwark.container_security.notation
  - bulwark.container_security.registry_auth
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.platform
attributes:
  check_mode:
    support: full
    details: Resolves the digest and looks for an existing signature; writes nothing.
  diff_mode:
    support: none
notes:
  - Failures carry RV(reason), one of C(registry_unreachable), C(image_not_found),
    C(key_unreadable), C(unsupported), C(cosign_failed) (any other notation failure).
seealso:
  - module: bulwark.container_security.notation_verify
  - module: bulwark.container_security.cosign_sign
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Sign the release image with the node-wide notation key
  bulwark.container_security.notation_sign:
    image: registry.example.com/app:1.4.2
    key: release
    config_home: /etc
    user_metadata:
      scanned-by: trivy
"""

RETURN = r"""
digest:
  description: Digest that was signed (or found signed).
  returned: when O(image) is used
  type: str
  sample: sha256:955d52f96ae4833610b9a23101a0d271c68ebc63e5c8adbddd742329b25fb7c8
image:
  description: The signed reference, by digest.
  returned: when O(image) is used
  type: str
signed_before:
  description: Whether a signature by this key already existed.
  returned: when O(image) is used
  type: bool
signature:
  description: Digest of the existing signature manifest, when one was found.
  returned: when a signature by this key already existed
  type: str
commands:
  description: The commands that ran (argv lists).
  returned: always
  type: list
  elements: list
reason:
  description: Why it failed, as a stable word (see notes).
  returned: failure
  type: str
  sample: registry_unreachable
results:
  description: With O(images), one entry per image - image, digest, changed, signed_before,
    failed, and reason/msg for the failed ones.
  returned: when O(images) is used
  type: list
  elements: dict
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.signing.params import (
    IMAGES_ARGUMENT_SPEC,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.flows import (
    sign_image,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.module import (
    NotationModule,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.params import (
    user_metadata,
)


def main():
    helper = NotationModule(
        dict(IMAGES_ARGUMENT_SPEC, key={"type": "str", "no_log": False},
             signature_format={"type": "str", "choices": ["jws", "cose"], "default": "jws"},
             force={"type": "bool", "default": False}),
        required_one_of=[("image", "images")], mutually_exclusive=[("image", "images")])
    p = helper.params
    helper.run(lambda image: sign_image(
        helper.notation, image, key=p["key"], fmt=p["signature_format"],
        user_metadata=user_metadata(p), force=p["force"], check_mode=helper.module.check_mode))


if __name__ == "__main__":
    main()
