# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The cosign runner: argv per cosign generation, output parsing, failure reasons.

Everything that talks to cosign goes through `Cosign`, which builds argv lists and hands them
to a runner `run(argv, env) -> (rc, stdout, stderr)`; secrets (the key password) travel in the
environment (`COSIGN_PASSWORD`), never in argv.
"""
from __future__ import annotations

import base64
import json
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.layouts import (
    _SIG_TAG_RE,
    FORMATS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.references import (
    parse_reference,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.runner import (
    ToolRunner,
    last_error_line,
    subprocess_runner,
)


# --------------------------------------------------------------------------- versions
def parse_version(text: str) -> str | None:
    """'GitVersion:    v3.1.1' -> '3.1.1'; None for distro builds that say 'devel'."""
    m = re.search(r"GitVersion:\s*v?(\d+\.\d+\.\d+)", text or "")
    return m.group(1) if m else None


def major_from_sign_help(text: str) -> int:
    """Cosign 3 signs through a signing config by default (`--use-signing-config=true`);
    2.x either lacks the flag (<=2.5) or defaults it to false (2.6)."""
    return 3 if re.search(r"--use-signing-config=true", text or "") else 2


# --------------------------------------------------------------------------- output parsing
def parse_verify_output(stdout: str) -> list:
    """`cosign verify` prints one JSON array of simple-signing payloads on stdout."""
    for raw in reversed((stdout or "").splitlines()):
        line = raw.strip()
        if line.startswith("["):
            return json.loads(line)
    return []


def parse_attestations(stdout: str, include_predicate: bool = False) -> list:
    """`cosign verify-attestation` prints one DSSE envelope per line; return the statements."""
    out = []
    for raw in (stdout or "").splitlines():
        line = raw.strip()
        if not line.startswith("{"):
            continue
        env = json.loads(line)
        stmt = json.loads(base64.b64decode(env.get("payload", "")) or b"{}")
        item = {
            "payload_type": env.get("payloadType"),
            "predicate_type": stmt.get("predicateType"),
            "subject": stmt.get("subject", []),
        }
        if include_predicate:
            item["predicate"] = stmt.get("predicate")
        out.append(item)
    return out


def payload_digests(payloads: list) -> list:
    return [((p.get("critical") or {}).get("image") or {}).get("docker-manifest-digest")
            for p in payloads]


def digest_from_triangulate(stdout: str) -> str:
    m = _SIG_TAG_RE.search((stdout or "").strip().splitlines()[-1] if stdout.strip() else "")
    if not m:
        raise CosignError("cosign_failed", "cosign triangulate gave no signature tag",
                          detail=stdout)
    return f"sha256:{m.group(1)}"


# --------------------------------------------------------------------------- keyless
class Regexp(str):
    """A keyless identity or issuer meant as a regular expression, not an exact value."""


def _regexp_suffix(value: str) -> str:
    return "-regexp" if isinstance(value, Regexp) else ""


class Cosign(ToolRunner):
    """One cosign binary: argv builders per generation, plus the calls the modules make."""

    def __init__(self, binary: str = "cosign", run=subprocess_runner, *, major: int | None = None,
                 insecure_registry: bool = False, offline: bool = False,
                 crane: str | None = None, registry_get=None):
        super().__init__(binary, run, insecure_registry=insecure_registry, crane=crane,
                         registry_get=registry_get)
        self._major = major
        self.offline = offline

    @property
    def major(self) -> int:
        """Told by the flags, not by `cosign version`: Debian's builds report 'devel'."""
        if self._major is None:
            try:
                rc, out, err = self._exec([self.binary, "sign", "--help"])
            except OSError as e:
                raise CosignError("unsupported", f"cannot run {self.binary}: {e}") from e
            if rc != 0:
                raise CosignError("unsupported", f"{self.binary} does not run: "
                                  f"{last_error_line(err)}", err)
            self._major = major_from_sign_help(out + err)
        return self._major

    def _registry_flags(self) -> list:
        return ["--allow-insecure-registry"] if self.insecure else []

    # -- argv builders
    def check_sign_format(self, fmt: str) -> None:
        if fmt not in FORMATS:
            raise CosignError("unsupported", f"signature_format={fmt!r}; expected one of "
                              f"{', '.join(FORMATS)}")
        if fmt == "bundle" and self.major < 3:
            raise CosignError("unsupported", "cosign 2.x signs only in the legacy .sig "
                              "layout; use signature_format=legacy or cosign 3")

    def check_keyless(self, keyless: dict | None) -> None:
        """Keyless options cosign of this generation cannot take fail here, before any call."""
        if (keyless or {}).get("trusted_root") and self.major < 3:
            raise CosignError("unsupported", "trusted_root needs cosign 3.x (--trusted-root); "
                              "cosign 2.x takes a private Sigstore's roots only through "
                              "SIGSTORE_* environment variables or TUF, not a trusted-root file")

    def sign_argv(self, ref: str, key: str | None, fmt: str = "legacy",
                  annotations: dict | None = None, keyless: dict | None = None) -> list:
        """`key` None signs keyless: `keyless` holds token_file (a path, never the token),
        fulcio_url, rekor_url and trusted_root, each optional."""
        self.check_sign_format(fmt)
        keyless = keyless or {}
        self.check_keyless(keyless)
        argv = [self.binary, "sign"] + (["--key", key] if key else []) + ["--yes"]
        service_urls = bool(keyless.get("fulcio_url") or keyless.get("rekor_url"))
        if self.major >= 3:
            # 3.x takes service URLs only without the TUF-provided signing config
            if self.offline or service_urls:
                argv.append("--use-signing-config=false")
            if self.offline:
                argv.append("--tlog-upload=false")
            argv.append(f"--new-bundle-format={'true' if fmt == 'bundle' else 'false'}")
        elif self.offline:
            argv.append("--tlog-upload=false")
        argv += self._keyless_flags(keyless, sign=True)
        argv += self._registry_flags()
        for k, v in sorted((annotations or {}).items()):
            argv += ["-a", f"{k}={v}"]
        return argv + [ref]

    def verify_argv(self, ref: str, *, key: str | None = None, identity: str | None = None,
                    issuer: str | None = None, fmt: str | None = None,
                    annotations: dict | None = None, keyless: dict | None = None) -> list:
        """`keyless` (rekor_url, trusted_root) points a keyless check at a private Sigstore."""
        argv = [self.binary, "verify"] + self._identity_flags(key, identity, issuer)
        argv += self._keyless_flags(keyless or {}, sign=False) + self._verify_common(fmt)
        for k, v in sorted((annotations or {}).items()):
            argv += ["-a", f"{k}={v}"]
        return argv + [ref]

    def attest_argv(self, ref: str, key: str, predicate: str, ptype: str,
                    fmt: str = "legacy") -> list:
        argv = [self.binary, "attest", "--key", key, "--yes", "--type", ptype,
                "--predicate", predicate]
        if self.major >= 3:
            if self.offline:
                argv += ["--use-signing-config=false", "--tlog-upload=false"]
            argv.append(f"--new-bundle-format={'true' if fmt == 'bundle' else 'false'}")
        else:
            if self.offline:
                argv.append("--tlog-upload=false")
            if fmt == "bundle":
                argv.append("--new-bundle-format=true")
        return argv + self._registry_flags() + [ref]

    def verify_attestation_argv(self, ref: str, ptype: str, *, key: str | None = None,
                                identity: str | None = None, issuer: str | None = None,
                                fmt: str | None = None) -> list:
        argv = [self.binary, "verify-attestation", "--type", ptype]
        argv += self._identity_flags(key, identity, issuer) + self._verify_common(fmt)
        return argv + [ref]

    def _identity_flags(self, key, identity, issuer) -> list:
        if key:
            return ["--key", key]
        if identity and issuer:
            # a Regexp (params.keyless_identity) selects cosign's -regexp form of the flag
            return [f"--certificate-identity{_regexp_suffix(identity)}", identity,
                    f"--certificate-oidc-issuer{_regexp_suffix(issuer)}", issuer]
        raise CosignError("unsupported", "verification needs public_keys, or "
                          "certificate_identity (or certificate_identity_regexp) together with "
                          "certificate_oidc_issuer (or certificate_oidc_issuer_regexp)")

    def _keyless_flags(self, keyless: dict, sign: bool) -> list:
        self.check_keyless(keyless)
        argv = []
        if sign and keyless.get("token_file"):
            argv += ["--identity-token", keyless["token_file"]]  # cosign reads a path too
        if sign and keyless.get("fulcio_url"):
            argv += ["--fulcio-url", keyless["fulcio_url"]]
        # 3.x verifies against the trusted root (Rekor's key included) and deprecates this
        if keyless.get("rekor_url") and (sign or self.major < 3):
            argv += ["--rekor-url", keyless["rekor_url"]]
        if keyless.get("trusted_root"):
            argv += ["--trusted-root", keyless["trusted_root"]]
        return argv

    def _verify_common(self, fmt) -> list:
        argv = []
        if self.offline:
            argv.append("--insecure-ignore-tlog=true")
        # fmt None = whatever this cosign reads by default (3.x: both layouts; 2.x: legacy).
        if fmt == "legacy" and self.major >= 3:
            argv.append("--new-bundle-format=false")
        elif fmt == "bundle":
            argv.append("--new-bundle-format=true")
        return argv + self._registry_flags()

    # -- calls
    def resolve_digest(self, ref: str) -> str:
        """The digest a reference points to now (a digest reference is returned as is)."""
        parsed = parse_reference(ref)
        if parsed["digest"]:
            return parsed["digest"]
        digest = self.crane_digest(ref)
        if digest:
            return digest
        argv = [self.binary, "triangulate"] + self._registry_flags() + [ref]
        return digest_from_triangulate(self._check(argv, what=f"resolving {ref}"))

    def public_key(self, key: str, env: dict | None = None) -> str:
        """PEM public key of a private key file or KMS reference (password via env)."""
        return self._check([self.binary, "public-key", "--key", key], env,
                           what=f"reading key {key}")

    def verify(self, ref: str, **kw) -> list:
        return parse_verify_output(self._check(self.verify_argv(ref, **kw),
                                               what=f"verifying {ref}"))

    def try_verify(self, ref: str, **kw):
        """(payloads, None) or (None, CosignError) without raising."""
        try:
            return self.verify(ref, **kw), None
        except CosignError as e:
            return None, e
