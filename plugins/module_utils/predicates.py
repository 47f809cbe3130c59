# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""In-toto predicate types: cosign's ``--type`` shorthands and the URI each one writes.

The one home of these URIs: the cosign modules (attest, verify-attestation), the Trivy vuln
predicate and the Kyverno image policy that demands it all read them from here.
"""
from __future__ import annotations

PREDICATE_TYPES = {
    "custom": "https://cosign.sigstore.dev/attestation/v1",
    "vuln": "https://cosign.sigstore.dev/attestation/vuln/v1",
    "cyclonedx": "https://cyclonedx.org/bom",
    "spdx": "https://spdx.dev/Document",
    "spdxjson": "https://spdx.dev/Document",
    "slsaprovenance": "https://slsa.dev/provenance/v0.2",
    "slsaprovenance1": "https://slsa.dev/provenance/v1",
    "openvex": "https://openvex.dev/ns",
}
VULN_PREDICATE_TYPE = PREDICATE_TYPES["vuln"]
