# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Kubernetes name rules, and the one name a manifest gets outside the cluster.

Plain Python, no Ansible imports. The kyverno role (file names of the bundle), the Pulumi
program (logical resource names, rendered file names) and the tests all name a manifest with
:func:`manifest_name`, also the `kubernetes_manifest_name` filter.
"""
from __future__ import annotations

import re

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    printable,
)

# RFC 1123 label (Namespace names, most object names) and subdomain, as the API server checks
# (k8s.io/apimachinery IsDNS1123Label / IsDNS1123Subdomain / IsQualifiedName / IsValidLabelValue).
# Every pattern ends in \Z, never $ (which also matches before a trailing newline): a name with
# a line break is not a Kubernetes name, and in a CEL literal it breaks the expression.
_SUBDOMAIN = r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*"
_QUALIFIED_NAME = r"[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?"
DNS_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?\Z")
DNS_SUBDOMAIN = re.compile(r"(?=[^\n]{1,253}\Z)" + _SUBDOMAIN + r"\Z")
LABEL_KEY = re.compile(r"((?=[^/\n]{1,253}/)" + _SUBDOMAIN + "/)?" + _QUALIFIED_NAME + r"\Z")
LABEL_VALUE = re.compile(r"(" + _QUALIFIED_NAME + r")?\Z")
# A named container port (IsValidPortName): at most 15, a letter at least, no '--'.
PORT_NAME = re.compile(
    r"(?=[^\n]{1,15}\Z)(?=[^\n]*[a-z])(?![^\n]*--)[a-z0-9]([-a-z0-9]*[a-z0-9])?\Z")


def is_name(pattern: re.Pattern, value) -> bool:
    """`value` is a string the whole of which `pattern` matches (never a prefix of it)."""
    return isinstance(value, str) and pattern.fullmatch(value) is not None


def _shape(value) -> str:
    """A value described by its type and keys, never its content (a manifest given in the
    wrong place may hold a Secret's data)."""
    if isinstance(value, dict):
        keys = sorted(printable(k).replace("\n", "\\n")[:30] for k in value if isinstance(k, str))
        return f"a mapping with keys {', '.join(keys[:8]) or '(none)'}"
    return f"a {type(value).__name__}"


def manifest_name(manifest: dict) -> str:
    """``kind-namespace-name`` (kind lower-cased, no namespace for cluster-scoped kinds).

    Unique within a bundle, since the builders never emit two objects of one kind with the
    same namespace and name; usable as a file name and as a Pulumi logical name.
    """
    if not isinstance(manifest, dict) or not isinstance(manifest.get("metadata"), dict):
        raise ValueError(f"not a Kubernetes manifest (no metadata): {_shape(manifest)}")
    meta = manifest["metadata"]
    if not manifest.get("kind") or not meta.get("name"):
        raise ValueError(f"manifest without kind or metadata.name: {_shape(manifest)}")
    parts = [str(manifest["kind"]).lower()]
    if meta.get("namespace"):
        parts.append(str(meta["namespace"]))
    parts.append(str(meta["name"]))
    return "-".join(parts)
