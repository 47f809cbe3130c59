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
import shutil
import subprocess

from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.errors import (
    _SIG_TAG_RE,
    DIGEST_RE,
    FORMATS,
    REASONS,
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign.references import (
    parse_reference,
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


# A registry (or a proxy before it) that drops the connection: Go's net/http reports a reset
# ("read tcp a->b: read: connection reset by peer"), a closed pipe, or an EOF after the URL
# ('Get "https://reg/v2/": EOF'). Whether "dial tcp" also shows depends on which of cosign's
# retries lost the race, so these are matched on their own.
_DROPPED = re.compile(r"connection reset by peer|broken pipe|\": (unexpected )?eof\b|"
                      r"server closed (the )?(idle )?connection")


def registry_refused_login(text: str) -> bool:
    """A registry API call (``/v2/``) answered 401, or the tool had no login to offer: crane
    and cosign print ``UNAUTHORIZED: authentication required``, notation ``response status
    code 401`` or ``basic credential not found``. (A Fulcio 401 is not a registry login.)"""
    s = (text or "").lower()
    return "/v2/" in s and ("unauthorized" in s or "status code 401" in s
                            or "basic credential not found" in s)


def classify(stderr: str) -> str:
    """Map cosign/crane error text to a reason key of REASONS. cosign's WARNING lines are not
    the error (an unreachable public TUF mirror is only a warning when signing privately)."""
    s = "\n".join(line for line in (stderr or "").lower().splitlines()
                  if not line.lstrip().startswith("warning:"))
    if registry_refused_login(s):
        return "registry_auth"
    if "connection refused" in s or "no such host" in s or "i/o timeout" in s \
            or "dial tcp" in s or "tls: " in s or "server gave http response" in s \
            or _DROPPED.search(s):
        return "registry_unreachable"
    if "decryption failed" in s or "incorrect password" in s:
        return "bad_password"
    if "manifest unknown" in s or "name_unknown" in s or "not found: get" in s \
            or "image tag not found" in s:
        return "image_not_found"
    if "none of the attestations matched the predicate type" in s:
        return "predicate_mismatch"
    if "no matching attestations" in s and "threshold" in s:
        return "wrong_key"
    if "no matching signatures" in s or "invalid signature" in s \
            or "accepted signatures do not match threshold" in s:
        return "wrong_key"
    if "digest" in s and ("mismatch" in s or "does not match" in s or "invalid or missing" in s):
        return "digest_mismatch"
    if "no signatures found" in s:
        return "no_signature"
    if "no attestations found" in s or "found no attestations" in s:
        return "no_attestation"
    if "reading key" in s or "loading public key" in s or "no such file" in s \
            or "pem" in s and "decode" in s:
        return "key_unreadable"
    return "cosign_failed"


def last_error_line(stderr: str) -> str:
    lines = [x.strip() for x in (stderr or "").splitlines() if x.strip()]
    errs = [x for x in lines if x.lower().startswith(("error", "error:"))]
    return (errs or lines or [""])[-1]


# --------------------------------------------------------------------------- runner
class Regexp(str):
    """A keyless identity or issuer meant as a regular expression, not an exact value."""


def _regexp_suffix(value: str) -> str:
    return "-regexp" if isinstance(value, Regexp) else ""


def subprocess_runner(argv: list, env: dict | None = None) -> tuple:
    """Default runner for scripts and benches (modules pass module.run_command instead)."""
    import os
    full = dict(os.environ)
    full.update(env or {})
    p = subprocess.run(argv, env=full, capture_output=True, text=True, check=False)
    return p.returncode, p.stdout, p.stderr


class ToolRunner:
    """One CLI binary driven by argv lists (cosign, notation): the commands that ran, error
    mapping through the tool's `classify`, and tag -> digest through crane."""

    def __init__(self, binary: str, run=subprocess_runner, *, insecure_registry: bool = False,
                 crane: str | None = None, registry_get=None, env: dict | None = None):
        self.binary = binary
        self.run = run
        self.insecure = insecure_registry
        self.crane = crane
        # getter(url, accept) -> (status, body) for the registry API probes (registry.py)
        self.registry_get = registry_get
        self.env = dict(env or {})  # non-secret settings every call of this tool gets
        self.commands = []  # every argv run, for the module result and the tests

    # -- plumbing
    @staticmethod
    def classify(stderr: str) -> str:
        return classify(stderr)

    def _exec(self, argv: list, env: dict | None = None) -> tuple:
        self.commands.append(list(argv))
        return self.run(list(argv), dict(self.env, **(env or {})))

    def _check(self, argv: list, env: dict | None = None, what: str = "") -> str:
        rc, out, err = self._exec(argv, env)
        if rc != 0:
            raise self.error(err or out, argv, what)
        return out

    def error(self, stderr: str, argv: list, what: str = "") -> CosignError:
        reason = self.classify(stderr)
        text = last_error_line(stderr)
        prefix = f"{what}: " if what else ""
        return CosignError(reason, f"{prefix}{REASONS[reason]} ({text})", stderr, argv)

    def crane_digest(self, ref: str) -> str | None:
        """The digest `ref` points to, asked through crane; None when there is no crane."""
        crane = self.crane or shutil.which("crane")
        if not crane:
            return None
        argv = [crane, "digest", ref] + (["--insecure"] if self.insecure else [])
        out = self._check(argv, what=f"resolving {ref}").strip()
        if not DIGEST_RE.match(out):
            raise CosignError("cosign_failed", f"crane digest {ref} answered {out!r}")
        return out


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
