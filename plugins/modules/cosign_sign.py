#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: sign a container image by digest with cosign (2.x or 3.x)."""
from __future__ import annotations

DOCUMENTATION = r"""
module: cosign_sign
short_description: Sign a container image by digest with cosign
version_added: 0.1.0
description:
  - Resolves O(image) to its digest (a tag is never signed, only what it points to now), then
    signs that digest with a key pair or a KMS key, or keyless (a Fulcio certificate for an
    OIDC O(identity_token)), with cosign 2.x or 3.x.
  - Idempotent. When a valid signature by the same key (and the same O(annotations)) already
    exists in the requested O(signature_format), nothing is written and the result is
    C(changed=false). Keyless, "already signed" means a signature verifies for
    O(certificate_identity) and O(certificate_oidc_issuer); without those two the module
    cannot tell its own keyless signature and B(signs again on every run) (C(changed=true)).
  - The identity token is written to a private (0600) temporary file whose path is passed
    to C(--identity-token) and which is removed afterwards; it is never in argv, the
    environment, the result or the log.
  - The key password is passed to cosign in the environment (E(COSIGN_PASSWORD)), never on the
    command line, and is never logged.
  - Tag to digest resolution uses C(crane digest) when crane is available (O(crane_path) or
    E(PATH)), otherwise C(cosign triangulate); both use the docker credentials cosign uses.
options:
  key:
    description:
      - Private key file written by C(cosign generate-key-pair), or a KMS reference
        (C(awskms://...), C(gcpkms://...), C(azurekms://...), C(hashivault://...), C(k8s://...)).
      - One of O(key) and O(identity_token) is required.
    type: str
  identity_token:
    description:
      - OIDC identity token for keyless signing (a Fulcio certificate is issued for it).
        Comes from the CI's OIDC provider or a vaulted variable. Excludes O(key).
    type: str
  fulcio_url:
    description:
      - Fulcio of a private Sigstore deployment (C(--fulcio-url)); cosign's default otherwise.
      - With cosign 3.x, giving O(fulcio_url) or O(rekor_url) adds C(--use-signing-config=false).
    type: str
  rekor_url:
    description:
      - Rekor of a private Sigstore deployment (C(--rekor-url)) when signing; for the
        already-signed check with cosign 2.x too (3.x verifies against O(trusted_root)).
    type: str
  trusted_root:
    description:
      - Sigstore trusted-root JSON file of a private deployment (C(--trusted-root)), used
        to check the new signature and for the already-signed check. Needs cosign 3.x; with
        cosign 2.x the module fails with reason C(unsupported) before anything runs.
    type: path
  certificate_identity:
    description:
      - Keyless signer identity (certificate subject, for example a CI workflow URL or an
        email). With O(certificate_oidc_issuer), decides whether the image is already signed.
    type: str
  certificate_oidc_issuer:
    description: OIDC issuer of the keyless signer's certificate. Goes with O(certificate_identity).
    type: str
  key_password:
    description: Password of the private key file. Comes from a vaulted variable.
    type: str
  public_key:
    description:
      - Public key (PEM text or file path) used to look for an existing signature. Saves one
        C(cosign public-key) call; derived from O(key) when omitted.
    type: str
  signature_format:
    description:
      - C(legacy) writes the C(sha256-<digest>.sig) tag, the layout containers/image (podman,
        CRI-O, skopeo C(sigstoreSigned) policies) and cosign 2.x verifiers read. cosign 3.x
        writes it with C(--new-bundle-format=false).
      - C(bundle) writes a sigstore bundle as an OCI referrer (cosign 3.x only); on
        registries without the referrers API it is stored under the C(sha256-<digest>) tag.
    type: str
    choices: [legacy, bundle]
    default: legacy
  annotations:
    description: Annotations added to the signed payload (C(-a key=value)).
    type: dict
    default: {}
  force:
    description: Sign even when a valid signature by this key exists.
    type: bool
    default: false
  transparency_log:
    description:
      - Upload the signature to the public transparency log (cosign's default).
      - V(false) is the offline mode for private setups (C(--tlog-upload=false), plus
        C(--use-signing-config=false) on cosign 3.x).
    type: bool
    default: true
extends_documentation_fragment:
  - bulwark.container_security.images
  - bulwark.container_security.cosign
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
    C(bad_password), C(key_unreadable), C(unsupported), C(cosign_failed). Nothing is pushed
    when the registry cannot be reached, because cosign fails before uploading.
seealso:
  - module: bulwark.container_security.cosign_verify
  - module: bulwark.container_security.cosign_attest
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Sign the release image offline with the team key
  bulwark.container_security.cosign_sign:
    image: registry.example.com/app:1.4.2
    key: /etc/bulwark/cosign/cosign.key
    key_password: "{{ vault_cosign_password }}"
    transparency_log: false
    annotations:
      scanned-by: trivy
  register: signed

- name: Sign with a KMS key in the bundle layout (cosign 3)
  bulwark.container_security.cosign_sign:
    image: "registry.example.com/app@{{ signed.digest }}"
    key: awskms:///alias/release-signing
    signature_format: bundle

- name: Sign keyless with the CI's OIDC token against a private Sigstore (cosign 3)
  bulwark.container_security.cosign_sign:
    image: "registry.example.com/app@{{ signed.digest }}"
    identity_token: "{{ ci_oidc_token }}"
    fulcio_url: https://fulcio.sigstore.example.com
    rekor_url: https://rekor.sigstore.example.com
    trusted_root: /etc/bulwark/sigstore/trusted_root.json
    certificate_identity: https://ci.example.com/release.yml
    certificate_oidc_issuer: https://oidc.ci.example.com
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
  sample: registry.example.com/app@sha256:955d52f9...
layout:
  description:
    - Where the signature is stored. C(legacy-sig-tag), C(bundle-referrer),
      C(bundle-tag-fallback), or C(bundle) when the registry would not tell anonymously.
  returned: when O(image) is used
  type: str
  sample: legacy-sig-tag
signed_before:
  description: Whether a valid signature by this key already existed.
  returned: when O(image) is used
  type: bool
cosign_major:
  description: Major version of the cosign that ran.
  returned: always
  type: int
  sample: 3
commands:
  description: The commands that ran (argv lists; secrets are never in them).
  returned: always
  type: list
  elements: list
reason:
  description: Why it failed, as a stable word (see notes).
  returned: failure
  type: str
  sample: registry_unreachable
results:
  description:
    - With O(images), one entry per image - image, digest, layout, changed, signed_before,
      failed, and reason/msg for the failed ones.
  returned: when O(images) is used
  type: list
  elements: dict
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.flows import (
    sign_image,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.module import (
    CosignModule,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.params import (
    KEYLESS_SIGNING_ARGUMENT_SPEC,
    SIGNING_ARGUMENT_SPEC,
    keyless_signing,
    read_key_option,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.params import (
    IMAGES_ARGUMENT_SPEC,
)


def main():
    signing = dict(SIGNING_ARGUMENT_SPEC, key={"type": "str", "no_log": False})  # or keyless
    helper = CosignModule(
        dict(IMAGES_ARGUMENT_SPEC, **signing,
             **KEYLESS_SIGNING_ARGUMENT_SPEC, annotations={"type": "dict", "default": {}}),
        required_one_of=[("image", "images"), ("key", "identity_token")],
        mutually_exclusive=[("image", "images"), ("key", "identity_token"),
                            ("public_key", "identity_token"), ("key_password", "identity_token")],
        required_together=[("certificate_identity", "certificate_oidc_issuer")])
    p = helper.params

    def sign(image):
        result = sign_image(
            helper.cosign, image, p["key"], password=p["key_password"],
            public_key=read_key_option(p["public_key"]) if p["public_key"] else None,
            fmt=p["signature_format"],
            annotations={k: str(v) for k, v in p["annotations"].items()},
            force=p["force"], check_mode=helper.module.check_mode, keyless=keyless_signing(p))
        result.pop("format", None)
        return result

    helper.run(sign, report_major=True)


if __name__ == "__main__":
    main()
