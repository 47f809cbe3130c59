"""Cosign command lines, output parsing and failure reasons for the ship layer.

Plain Python, no Ansible imports: the cosign_* modules, the benches and the tests share it.
Everything that talks to cosign goes through `Cosign`, which builds argv lists and hands them
to a runner `run(argv, env) -> (rc, stdout, stderr)`; secrets (the key password) travel in the
environment (`COSIGN_PASSWORD`), never in argv.

Two cosign generations are supported, checked against the real binaries (2.5.0, 3.1.1):

* 2.x writes the legacy layout: a `sha256-<hex>.sig` tag next to the image.
* 3.x writes a sigstore bundle as an OCI referrer; on registries without the referrers API
  (CNCF Distribution 2.8) it falls back to a `sha256-<hex>` tag. `--new-bundle-format=false`
  makes 3.x write the legacy layout, which containers/image (podman, CRI-O, skopeo) needs.
  Offline signing on 3.x also needs `--use-signing-config=false` next to `--tlog-upload=false`.

Tag -> digest: `crane digest` when a crane binary is available, otherwise `cosign triangulate`
(whose answer `repo:sha256-<hex>.sig` names the digest). Both read the same docker credentials
as cosign, so private registries work without a second login mechanism.
"""
from __future__ import annotations

import base64
import json
import re
import shutil
import subprocess
import urllib.error
import urllib.request

LAYOUT_LEGACY = "legacy-sig-tag"
LAYOUT_REFERRER = "bundle-referrer"
LAYOUT_TAG_FALLBACK = "bundle-tag-fallback"
LAYOUT_BUNDLE_UNKNOWN = "bundle"

FORMATS = ("legacy", "bundle")

# Failure reasons a person can act on; `reason` is stable, `message` is for humans.
REASONS = {
    "no_signature": "no signature found for this image",
    "wrong_key": "the image is signed, but not by any of the trusted keys",
    "digest_mismatch": "the image digest differs from the signed or expected digest "
                       "(the image changed after signing)",
    "registry_unreachable": "the registry could not be reached",
    "image_not_found": "the image (tag or digest) does not exist in the registry",
    "bad_password": "the private key could not be decrypted (wrong password?)",
    "key_unreadable": "the key could not be read",
    "predicate_mismatch": "no attestation of the requested predicate type",
    "no_attestation": "no attestation found for this image",
    "unsupported": "the installed cosign cannot do this",
    "cosign_failed": "cosign failed",
}

# cosign's `--type` shorthands and the in-toto predicateType each one writes.
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

DIGEST_RE = re.compile(r"^sha256:[0-9a-f]{64}$")
_SIG_TAG_RE = re.compile(r"sha256-([0-9a-f]{64})(?:\.sig)?\s*$")


class CosignError(Exception):
    """A failure with a stable `reason` (key of REASONS) and a message a person understands."""

    def __init__(self, reason: str, message: str, detail: str = "", cmd=None):
        super().__init__(message)
        self.reason = reason
        self.message = message
        self.detail = detail
        self.cmd = cmd or []

    def as_dict(self) -> dict:
        return {"reason": self.reason, "msg": self.message, "stderr": self.detail,
                "cmd": self.cmd}


# --------------------------------------------------------------------------- references
def parse_reference(ref: str) -> dict:
    """'host:port/repo:tag@sha256:..' -> {registry, repository, tag, digest}.

    A first path component with a '.' or ':' or equal to 'localhost' is a registry,
    as in the distribution reference grammar; otherwise the registry is docker.io."""
    if not ref or any(c.isspace() for c in ref):
        raise CosignError("image_not_found", f"image reference {ref!r} is not a reference "
                          "(expected registry/repository[:tag][@sha256:<64 hex>])")
    name, digest = ref, None
    if "@" in ref:
        name, digest = ref.split("@", 1)
        if not DIGEST_RE.match(digest):
            raise CosignError("image_not_found", f"image reference {ref!r} has a malformed "
                              "digest (expected sha256:<64 lowercase hex>)")
    tag = None
    last = name.rsplit("/", 1)[-1]
    if ":" in last:
        name, tag = name.rsplit(":", 1)
    first, _, rest = name.partition("/")
    if rest and ("." in first or ":" in first or first == "localhost"):
        registry, repository = first, rest
    else:
        registry, repository = "docker.io", name
        if "/" not in repository:
            repository = f"library/{repository}"
    if not repository or repository != repository.lower():
        raise CosignError("image_not_found", f"image reference {ref!r}: repository must be "
                          "non-empty lowercase")
    return {"registry": registry, "repository": repository, "tag": tag, "digest": digest}


def repository_of(ref: str) -> str:
    """The reference without tag or digest, as the user spelled the registry."""
    name = ref.split("@", 1)[0]
    last = name.rsplit("/", 1)[-1]
    return name.rsplit(":", 1)[0] if ":" in last else name


def by_digest(ref: str, digest: str) -> str:
    return f"{repository_of(ref)}@{digest}"


def signature_tag(digest: str, suffix: str = "sig") -> str:
    """sha256:<hex> -> 'sha256-<hex>.sig' (legacy) or 'sha256-<hex>' (bundle fallback)."""
    tag = digest.replace(":", "-", 1)
    return f"{tag}.{suffix}" if suffix else tag


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


def classify(stderr: str) -> str:
    """Map cosign/crane error text to a reason key of REASONS."""
    s = (stderr or "").lower()
    if "connection refused" in s or "no such host" in s or "i/o timeout" in s \
            or "dial tcp" in s or "tls: " in s or "server gave http response" in s:
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
def subprocess_runner(argv: list, env: dict | None = None) -> tuple:
    """Default runner for scripts and benches (modules pass module.run_command instead)."""
    import os
    full = dict(os.environ)
    full.update(env or {})
    p = subprocess.run(argv, env=full, capture_output=True, text=True, check=False)
    return p.returncode, p.stdout, p.stderr


class Cosign:
    """One cosign binary: argv builders per generation, plus the calls the modules make."""

    def __init__(self, binary: str = "cosign", run=subprocess_runner, *, major: int | None = None,
                 insecure_registry: bool = False, offline: bool = False,
                 crane: str | None = None):
        self.binary = binary
        self.run = run
        self._major = major
        self.insecure = insecure_registry
        self.offline = offline
        self.crane = crane
        self.commands = []  # every argv run, for the module result and the tests

    # -- plumbing
    def _exec(self, argv: list, env: dict | None = None) -> tuple:
        self.commands.append(list(argv))
        return self.run(list(argv), env or {})

    def _check(self, argv: list, env: dict | None = None, what: str = "") -> str:
        rc, out, err = self._exec(argv, env)
        if rc != 0:
            raise self.error(err or out, argv, what)
        return out

    def error(self, stderr: str, argv: list, what: str = "") -> CosignError:
        reason = classify(stderr)
        text = last_error_line(stderr)
        prefix = f"{what}: " if what else ""
        return CosignError(reason, f"{prefix}{REASONS[reason]} ({text})", stderr, argv)

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

    def sign_argv(self, ref: str, key: str, fmt: str = "legacy",
                  annotations: dict | None = None) -> list:
        self.check_sign_format(fmt)
        argv = [self.binary, "sign", "--key", key, "--yes"]
        if self.major >= 3:
            if self.offline:
                argv += ["--use-signing-config=false", "--tlog-upload=false"]
            argv.append(f"--new-bundle-format={'true' if fmt == 'bundle' else 'false'}")
        elif self.offline:
            argv.append("--tlog-upload=false")
        argv += self._registry_flags()
        for k, v in sorted((annotations or {}).items()):
            argv += ["-a", f"{k}={v}"]
        return argv + [ref]

    def verify_argv(self, ref: str, *, key: str | None = None, identity: str | None = None,
                    issuer: str | None = None, fmt: str | None = None,
                    annotations: dict | None = None) -> list:
        argv = [self.binary, "verify"] + self._identity_flags(key, identity, issuer)
        argv += self._verify_common(fmt)
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
            return ["--certificate-identity", identity, "--certificate-oidc-issuer", issuer]
        raise CosignError("unsupported", "verification needs public_keys, or "
                          "certificate_identity together with certificate_oidc_issuer")

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
        crane = self.crane or shutil.which("crane")
        if crane:
            argv = [crane, "digest", ref] + (["--insecure"] if self.insecure else [])
            out = self._check(argv, what=f"resolving {ref}").strip()
            if not DIGEST_RE.match(out):
                raise CosignError("cosign_failed", f"crane digest {ref} answered {out!r}")
            return out
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


# --------------------------------------------------------------------------- layouts
def _registry_get(url: str, accept: str, timeout: float = 5.0):
    if not url.startswith(("https://", "http://")):
        return None, b""
    req = urllib.request.Request(url, headers={"Accept": accept})  # noqa: S310 (checked above)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as r:  # noqa: S310 (checked above)
            return r.status, r.read()
    except urllib.error.HTTPError as e:
        return e.code, b""
    except (urllib.error.URLError, OSError):
        return None, b""


def stored_layouts(ref: str, digest: str, insecure: bool = False, getter=None):
    """The signature layouts stored for `digest`, asking the registry API anonymously:
    a subset of {legacy-sig-tag, bundle-referrer, bundle-tag-fallback}, or None when the
    registry does not answer without credentials (the storage cannot be told then)."""
    getter = getter or _registry_get
    p = parse_reference(ref)
    host = "registry-1.docker.io" if p["registry"] == "docker.io" else p["registry"]
    for scheme in (("https", "http") if insecure else ("https",)):
        base = f"{scheme}://{host}/v2/{p['repository']}"
        status, body = getter(f"{base}/tags/list", "application/json")
        if status is None:
            continue
        if status != 200:
            return None
        found = set()
        try:
            tags = json.loads(body or b"{}").get("tags") or []
        except ValueError:
            tags = []
        if signature_tag(digest) in tags:
            found.add(LAYOUT_LEGACY)
        if signature_tag(digest, "") in tags:
            found.add(LAYOUT_TAG_FALLBACK)
        status, body = getter(f"{base}/referrers/{digest}",
                              "application/vnd.oci.image.index.v1+json")
        if status == 200:
            try:
                if json.loads(body or b"{}").get("manifests"):
                    found.add(LAYOUT_REFERRER)
            except ValueError:
                pass
        return found
    return None


def detect_layout(ref: str, digest: str, fmt: str, insecure: bool = False,
                  getter=None) -> str:
    """The layout a signature of `fmt` for `digest` was stored in.

    legacy -> 'legacy-sig-tag'. bundle -> 'bundle-referrer' when the registry lists a
    referrer, 'bundle-tag-fallback' when the `sha256-<hex>` tag exists (registries without
    the referrers API), else 'bundle' (the registry wants credentials to answer)."""
    if fmt == "legacy":
        return LAYOUT_LEGACY
    found = stored_layouts(ref, digest, insecure, getter) or set()
    for layout in (LAYOUT_REFERRER, LAYOUT_TAG_FALLBACK):
        if layout in found:
            return layout
    return LAYOUT_BUNDLE_UNKNOWN


def has_layout(ref: str, digest: str, fmt: str, insecure: bool = False,
               getter=None) -> bool:
    """Whether a signature in the requested format is stored (True when it cannot be told)."""
    found = stored_layouts(ref, digest, insecure, getter)
    return True if found is None else has_layout_in(found, fmt)


def has_layout_in(found: set, fmt: str) -> bool:
    if fmt == "legacy":
        return LAYOUT_LEGACY in found
    return bool(found & {LAYOUT_REFERRER, LAYOUT_TAG_FALLBACK})


# --------------------------------------------------------------------------- operations
def sign_image(cosign: Cosign, image: str, key: str, *, password: str | None = None,
               public_key: str | None = None, fmt: str = "legacy",
               annotations: dict | None = None, force: bool = False,
               check_mode: bool = False) -> dict:
    """Sign `image` by digest unless a valid signature by the same key already exists."""
    env = {"COSIGN_PASSWORD": password} if password is not None else {}
    cosign.check_sign_format(fmt)
    digest = cosign.resolve_digest(image)
    ref = by_digest(image, digest)
    result = {"digest": digest, "image": ref, "format": fmt, "changed": False}
    # A registry that answers shows at once when no signature of that layout exists yet:
    # then there is nothing to verify and signing is the only way forward.
    stored = stored_layouts(image, digest, cosign.insecure)
    nothing_stored = stored is not None and not has_layout_in(stored, fmt)
    if not force and not nothing_stored:
        if not public_key:
            public_key = cosign.public_key(key, env)
        with _temp_key(public_key) as pub:
            # A 2.x verifier reads bundles only when asked; a 3.x one reads both unless
            # told `legacy`, so the existing signature must be in the requested layout.
            payloads, err = cosign.try_verify(ref, key=pub, fmt=fmt, annotations=annotations)
        if payloads and digest in payload_digests(payloads) \
                and has_layout(image, digest, fmt, cosign.insecure):
            result["layout"] = detect_layout(image, digest, fmt, cosign.insecure)
            result["signed_before"] = True
            return result
        if err and err.reason in ("registry_unreachable", "image_not_found"):
            raise err
    result.update(changed=True, signed_before=False)
    if check_mode:
        result["layout"] = LAYOUT_LEGACY if fmt == "legacy" else LAYOUT_BUNDLE_UNKNOWN
        return result
    cosign._check(cosign.sign_argv(ref, key, fmt, annotations), env, what=f"signing {ref}")
    result["layout"] = detect_layout(image, digest, fmt, cosign.insecure)
    return result


def verify_image(cosign: Cosign, image: str, *, public_keys: list | None = None,
                 mode: str = "any", identity: str | None = None, issuer: str | None = None,
                 expected_digest: str | None = None, fmt: str | None = None,
                 annotations: dict | None = None) -> dict:
    """Verify `image` (resolved to its digest first) against keys (any/all) or an identity.

    Raises CosignError with the reason of the most telling failure."""
    if mode not in ("any", "all"):
        raise CosignError("unsupported", f"key_match={mode!r}; expected any or all")
    digest = cosign.resolve_digest(image)
    if expected_digest and expected_digest != digest:
        raise CosignError("digest_mismatch", f"{image} now points to {digest}, not the "
                          f"expected {expected_digest}: {REASONS['digest_mismatch']}")
    ref = by_digest(image, digest)
    checks = []
    if public_keys:
        for pk in public_keys:
            with _temp_key(pk) as path:
                payloads, err = cosign.try_verify(ref, key=path, fmt=fmt,
                                                  annotations=annotations)
            checks.append((_key_label(pk), payloads, err))
    else:
        payloads, err = cosign.try_verify(ref, identity=identity, issuer=issuer, fmt=fmt,
                                          annotations=annotations)
        checks.append((identity or "identity", payloads, err))
    for label, payloads, err in checks:
        if payloads is not None and digest not in payload_digests(payloads):
            checks[checks.index((label, payloads, err))] = (label, None, CosignError(
                "digest_mismatch", f"{ref}: signature payload names "
                f"{payload_digests(payloads)}: {REASONS['digest_mismatch']}"))
    ok = [c for c in checks if c[1] is not None]
    failed = [c for c in checks if c[1] is None]
    passed = bool(ok) and (mode == "any" or not failed)
    result = {"digest": digest, "image": ref, "verified": passed,
              "verified_keys": [c[0] for c in ok],
              "payloads": [p for c in ok for p in c[1]]}
    if passed:
        return result
    raise _most_telling(ref, failed, mode)


def _most_telling(ref: str, failed: list, mode: str) -> CosignError:
    order = ["registry_unreachable", "image_not_found", "digest_mismatch", "bad_password",
             "key_unreadable", "predicate_mismatch", "wrong_key", "no_attestation",
             "no_signature", "unsupported", "cosign_failed"]
    errs = sorted((c[2] for c in failed), key=lambda e: order.index(e.reason)
                  if e.reason in order else len(order))
    first = errs[0]
    who = ", ".join(c[0] for c in failed)
    scope = "required key(s)" if mode == "all" else "trusted key(s)"
    msg = f"{ref}: {REASONS[first.reason]} [{scope}: {who}] ({last_error_line(first.detail)})" \
        if first.detail else f"{first.message} [{scope}: {who}]"
    return CosignError(first.reason, msg, first.detail, first.cmd)


def attest_image(cosign: Cosign, image: str, key: str, *, predicate_path: str,
                 ptype: str, password: str | None = None, public_key: str | None = None,
                 fmt: str = "legacy", force: bool = False, check_mode: bool = False) -> dict:
    """Attach a signed in-toto attestation unless the same predicate is already attested."""
    env = {"COSIGN_PASSWORD": password} if password is not None else {}
    digest = cosign.resolve_digest(image)
    ref = by_digest(image, digest)
    try:
        with open(predicate_path, "rb") as f:
            wanted = json.loads(f.read())
    except (OSError, ValueError) as e:
        raise CosignError("cosign_failed", f"predicate {predicate_path!r} is not a readable "
                          f"JSON file: {e}") from e
    result = {"digest": digest, "image": ref, "predicate_type": PREDICATE_TYPES.get(ptype, ptype),
              "changed": False}
    if not force:
        if not public_key:
            public_key = cosign.public_key(key, env)
        with _temp_key(public_key) as pub:
            rc, out, err = cosign._exec(cosign.verify_attestation_argv(
                ref, ptype, key=pub, fmt=fmt if fmt == "legacy" else None))
        if rc == 0 and any(_same_predicate(s.get("predicate"), wanted)
                           for s in parse_attestations(out, include_predicate=True)):
            result["layout"] = detect_layout(image, digest, fmt, cosign.insecure)
            return result
        if rc != 0 and classify(err) in ("registry_unreachable", "image_not_found"):
            raise cosign.error(err, cosign.commands[-1], f"checking {ref}")
    result["changed"] = True
    if check_mode:
        return result
    cosign._check(cosign.attest_argv(ref, key, predicate_path, ptype, fmt), env,
                  what=f"attesting {ref}")
    result["layout"] = detect_layout(image, digest, fmt, cosign.insecure)
    return result


# Fields an SBOM generator changes on every run for the same content (checked with syft
# 1.18: CycloneDX serialNumber + metadata.timestamp, SPDX creationInfo.created +
# documentNamespace). Two SBOMs differing only there describe the same image.
VOLATILE_SBOM_FIELDS = (("serialNumber",), ("metadata", "timestamp"),
                        ("creationInfo", "created"), ("documentNamespace",))


def sbom_content(predicate):
    """The predicate without generation-time fields, for idempotence comparisons."""
    if not isinstance(predicate, dict):
        return predicate
    out = json.loads(json.dumps(predicate))
    for path in VOLATILE_SBOM_FIELDS:
        node = out
        for key in path[:-1]:
            node = node.get(key) if isinstance(node, dict) else None
        if isinstance(node, dict):
            node.pop(path[-1], None)
    return out


def _same_predicate(have, wanted) -> bool:
    # cosign wraps `custom` predicates as {"Data": ..., "Timestamp": ...}.
    if isinstance(have, dict) and set(have) == {"Data", "Timestamp"}:
        have = have["Data"]
        if isinstance(have, str):
            try:
                have = json.loads(have)
            except ValueError:
                pass
    return sbom_content(have) == sbom_content(wanted)


def verify_attestation(cosign: Cosign, image: str, ptype: str, *, public_keys: list | None = None,
                       mode: str = "any", identity: str | None = None,
                       issuer: str | None = None, include_predicate: bool = False) -> dict:
    digest = cosign.resolve_digest(image)
    ref = by_digest(image, digest)
    checks = []
    for pk in (public_keys or [None]):
        if pk is None:
            argv = cosign.verify_attestation_argv(ref, ptype, identity=identity, issuer=issuer)
            label = identity or "identity"
            rc, out, err = cosign._exec(argv)
        else:
            with _temp_key(pk) as path:
                argv = cosign.verify_attestation_argv(ref, ptype, key=path)
                rc, out, err = cosign._exec(argv)
            label = _key_label(pk)
        if rc == 0:
            checks.append((label, parse_attestations(out, include_predicate), None))
        else:
            checks.append((label, None, cosign.error(err, argv, f"verifying {ref}")))
    ok = [c for c in checks if c[1] is not None]
    failed = [c for c in checks if c[1] is None]
    if ok and (mode == "any" or not failed):
        return {"digest": digest, "image": ref, "verified": True,
                "predicate_type": PREDICATE_TYPES.get(ptype, ptype),
                "verified_keys": [c[0] for c in ok],
                "attestations": [a for c in ok for a in c[1]]}
    raise _most_telling(ref, failed, mode)


# --------------------------------------------------------------------------- helpers
def _key_label(pk: str) -> str:
    """A short, non-secret name for a public key (path, KMS ref or PEM fingerprint)."""
    if "-----BEGIN" not in pk:
        return pk
    import hashlib
    body = "".join(x for x in pk.splitlines() if x and not x.startswith("-----"))
    return "pem:sha256:" + hashlib.sha256(body.encode()).hexdigest()[:16]


class _temp_key:
    """A PEM string written to a private temporary file; a path or KMS ref passes through."""

    def __init__(self, key: str):
        self.key = key
        self.path = None

    def __enter__(self) -> str:
        if "-----BEGIN" not in self.key:
            return self.key
        import os
        import tempfile
        fd, self.path = tempfile.mkstemp(prefix="bulwark-cosign-", suffix=".pub")
        with os.fdopen(fd, "w") as f:
            f.write(self.key if self.key.endswith("\n") else self.key + "\n")
        return self.path

    def __exit__(self, *exc):
        if self.path:
            import os
            os.unlink(self.path)
        return False


# --------------------------------------------------------------------------- module glue
# Options every cosign_* module takes (plain data; the modules add it to their spec).
COMMON_ARGUMENT_SPEC = {
    "cosign_path": {"type": "path", "default": "cosign"},
    "cosign_major": {"type": "int", "choices": [2, 3]},
    "crane_path": {"type": "path"},
    "insecure_registry": {"type": "bool", "default": False},
    "transparency_log": {"type": "bool", "default": True},
}


def cosign_from_params(params: dict, run) -> Cosign:
    return Cosign(params["cosign_path"], run=run, major=params.get("cosign_major"),
                  insecure_registry=params["insecure_registry"],
                  offline=not params["transparency_log"], crane=params.get("crane_path"))


def read_key_option(value: str) -> str:
    """A public key option: PEM text, a KMS reference, or a file path (checked here so that
    a missing file fails with its name rather than with cosign's parse error)."""
    if "-----BEGIN" in value or "://" in value:
        return value
    try:
        with open(value):
            return value
    except OSError as e:
        raise CosignError("key_unreadable", f"public key file {value!r} cannot be read: "
                          f"{e.strerror}") from e


def for_each(images: list, parallel: int, fn) -> list:
    """fn(image) for each image, `parallel` at a time; a CosignError becomes a failed entry
    ({image, failed, reason, msg, ...}) so one bad image does not hide the others."""
    from concurrent.futures import ThreadPoolExecutor

    def one(img):
        try:
            return dict(fn(img), failed=False)
        except CosignError as e:
            out = e.as_dict()
            out.update(image=img, failed=True)
            return out
    if parallel <= 1 or len(images) < 2:
        return [one(i) for i in images]
    with ThreadPoolExecutor(max_workers=min(parallel, len(images))) as pool:
        return list(pool.map(one, images))


def summarize_failures(results: list) -> str:
    bad = [r for r in results if r.get("failed")]
    return f"{len(bad)} of {len(results)} image(s) failed: " + "; ".join(
        r["msg"] for r in bad)
