# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The notation runner: argv lists, `notation inspect` parsing, failure reasons.

Notation reads its configuration (signing keys, trust store, trust policy) from
``$XDG_CONFIG_HOME/notation``; `Notation(config_home=...)` sets that variable for every call,
so a node-wide directory such as /etc/notation (config_home /etc) works as well as a user's.
"""
from __future__ import annotations

import base64
import hashlib
import json
import os
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.runner import (
    ToolRunner,
    classify,
    registry_refused_login,
    subprocess_runner,
)

SIGNATURE_FORMATS = ("jws", "cose")
_DIGEST_LINE_RE = re.compile(r"@(sha256:[0-9a-f]{64})\s*$")


def classify_notation(stderr: str) -> str:
    """Map notation's error text (1.3.x) to a reason key of signing/errors.py's REASONS."""
    s = (stderr or "").lower()
    if registry_refused_login(s):
        return "registry_auth"
    if "no signature is associated" in s:
        return "no_signature"
    if "no applicable trust policy" in s or "trust policy is not present" in s \
            or "trust policy" in s and ("invalid" in s or "not found" in s) \
            or "trust store" in s and ("not found" in s or "does not exist" in s):
        return "trust_policy"
    if "signature verification failed for all the signatures" in s:
        return "wrong_key"
    if "failed to get manifest descriptor" in s and s.rstrip().endswith("not found"):
        return "image_not_found"
    if "signing key" in s and "not found" in s or "default signing key" in s:
        return "key_unreadable"
    return classify(stderr)


def parse_inspect(stdout: str) -> list:
    """`notation inspect -o json`: one dict per signature with the fields a module reports."""
    doc = json.loads(stdout or "{}")
    out = []
    for sig in doc.get("Signatures") or []:
        certs = sig.get("certificates") or []
        out.append({
            "digest": sig.get("digest"),
            "signed_digest": (sig.get("signedArtifact") or {}).get("digest"),
            "signing_time": (sig.get("signedAttributes") or {}).get("signingTime"),
            "signer": certs[0].get("issuedTo") if certs else None,
            "fingerprint": certs[0].get("SHA256Fingerprint") if certs else None,
            "user_metadata": sig.get("userDefinedAttributes") or {},
        })
    return out


def pem_fingerprint(pem: str) -> str:
    """SHA-256 of the first certificate of a PEM file, as `notation inspect` prints it."""
    m = re.search(r"-----BEGIN CERTIFICATE-----(.+?)-----END CERTIFICATE-----", pem or "", re.S)
    if not m:
        raise CosignError("key_unreadable", "the signing certificate is not a PEM certificate")
    return hashlib.sha256(base64.b64decode("".join(m.group(1).split()))).hexdigest()


class Notation(ToolRunner):
    """One notation binary and the configuration directory it reads."""

    def __init__(self, binary: str = "notation", run=subprocess_runner, *,
                 config_home: str | None = None, insecure_registry: bool = False,
                 crane: str | None = None):
        super().__init__(binary, run, insecure_registry=insecure_registry, crane=crane,
                         env={"XDG_CONFIG_HOME": config_home} if config_home else {})
        self.config_home = config_home

    classify = staticmethod(classify_notation)

    @property
    def config_dir(self) -> str:
        home = self.config_home or os.environ.get("XDG_CONFIG_HOME") \
            or os.path.join(os.path.expanduser("~"), ".config")
        return os.path.join(home, "notation")

    def _registry_flags(self) -> list:
        return ["--insecure-registry"] if self.insecure else []

    @staticmethod
    def _metadata_flags(user_metadata: dict | None) -> list:
        argv = []
        for k, v in sorted((user_metadata or {}).items()):
            argv += ["-m", f"{k}={v}"]
        return argv

    # -- argv builders
    def sign_argv(self, ref: str, key: str | None = None, fmt: str = "jws",
                  user_metadata: dict | None = None) -> list:
        if fmt not in SIGNATURE_FORMATS:
            raise CosignError("unsupported", f"signature_format={fmt!r}; expected one of "
                              f"{', '.join(SIGNATURE_FORMATS)}")
        argv = [self.binary, "sign", "--signature-format", fmt]
        if key:
            argv += ["--key", key]
        return argv + self._registry_flags() + self._metadata_flags(user_metadata) + [ref]

    def verify_argv(self, ref: str, user_metadata: dict | None = None) -> list:
        return [self.binary, "verify"] + self._registry_flags() \
            + self._metadata_flags(user_metadata) + [ref]

    def inspect_argv(self, ref: str) -> list:
        return [self.binary, "inspect", "-o", "json"] + self._registry_flags() + [ref]

    # -- calls
    def resolve_digest(self, ref: str) -> str:
        """The digest `ref` points to now: crane when there is one, else `notation ls`,
        whose first line is the reference by digest."""
        if "@" in ref:
            return ref.split("@", 1)[1]
        digest = self.crane_digest(ref)
        if digest:
            return digest
        out = self._check([self.binary, "ls"] + self._registry_flags() + [ref],
                          what=f"resolving {ref}")
        m = _DIGEST_LINE_RE.search((out.splitlines() or [""])[0])
        if not m:
            raise CosignError("cosign_failed", f"notation ls {ref} named no digest", out)
        return m.group(1)

    def signatures(self, ref: str) -> list:
        return parse_inspect(self._check(self.inspect_argv(ref), what=f"inspecting {ref}"))

    def signing_certificate(self, key: str | None) -> str:
        """The certificate (PEM) of signing key `key` (None: the default key) from
        signingkeys.json; a key notation would not find fails here with its name."""
        path = os.path.join(self.config_dir, "signingkeys.json")
        try:
            with open(path) as f:
                conf = json.load(f)
        except (OSError, ValueError) as e:
            raise CosignError("key_unreadable", f"notation signing keys {path!r} cannot be "
                              f"read: {e}") from e
        name = key or conf.get("default")
        entry = next((k for k in conf.get("keys") or [] if k.get("name") == name), None)
        if not name or entry is None:
            known = [k.get("name") for k in conf.get("keys") or []]
            raise CosignError("key_unreadable", f"signing key {name or '(default)'!r} is not "
                              f"in {path} (known: {known})")
        if not entry.get("certPath"):
            # a plugin key (KMS): its certificate is not on disk, so it cannot be matched here
            return ""
        try:
            with open(entry["certPath"]) as f:
                return f.read()
        except OSError as e:
            raise CosignError("key_unreadable", f"certificate of signing key {name!r} "
                              f"({entry['certPath']}) cannot be read: {e.strerror}") from e
