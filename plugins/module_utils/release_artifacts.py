# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Release artifacts of the tools Bulwark installs: names, URLs, checksums, denylists.

Plain Python, no Ansible imports: the `release_artifact` filter, the shared installer role,
the lab and the tests all read the same catalog. One entry per tool; the pinned default
version of each tool lives in that tool's role defaults, not here.
"""
from __future__ import annotations

import re
from urllib.parse import urlsplit

from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    is_http_url,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    printable,
    redact,
)

GITHUB = "https://github.com"

# Ansible's `ansible_facts.architecture` -> each project's spelling in asset names.
CATALOG = {
    "cosign": {
        "repo": "sigstore/cosign",
        "tag": "v{version}",
        "asset": "cosign-linux-{arch}",
        "checksums": "cosign_checksums.txt",
        "format": "binary",
        "binary": "cosign",
        "arch": {"x86_64": "amd64", "aarch64": "arm64"},
        "version_command": ["version"],
        "denylist": {},
        # Upstream's cosign_checksums.txt of v3.1.1 as quoted by three independent public
        # sources found by code search (a Homebrew-style formula, two Go tool-pin catalogs
        # that say they match cosign_checksums.txt, a setup script's `sha256sum --check`); all
        # agree. Re-check against upstream's file when bumping.
        "sha256": {
            "3.1.1": {
                "x86_64": "ae1ecd212663f3693ad9edf8b1a183900c9a52d3155ba6e354237f9a0f6463fc",
                "aarch64": "2ec865872e331c32fd12b08dae15332d3f92c0aa029219589684a4903ca85d11",
            },
        },
    },
    "syft": {
        "repo": "anchore/syft",
        "tag": "v{version}",
        "asset": "syft_{version}_linux_{arch}.tar.gz",
        "checksums": "syft_{version}_checksums.txt",
        "format": "tar.gz",
        "binary": "syft",
        "member": "syft",
        "arch": {"x86_64": "amd64", "aarch64": "arm64"},
        "version_command": ["version"],
        "denylist": {},
        # Upstream's own Homebrew tap (anchore/homebrew-syft, syft.rb at 490dab5, "Brew formula
        # update for syft version v1.18.1", written by the release): the linux tarballs' sha256.
        "sha256": {
            "1.18.1": {
                "x86_64": "066c251652221e4d44fcc4d115ce3df33a91769da38c830a8533199db2f65aab",
                "aarch64": "cd228306e5cb0654baecb454f76611606b84899d27fa9ceb7da4df46b94fe84e",
            },
        },
    },
    "notation": {
        "repo": "notaryproject/notation",
        "tag": "v{version}",
        "asset": "notation_{version}_linux_{arch}.tar.gz",
        "checksums": "notation_{version}_checksums.txt",
        "format": "tar.gz",
        "binary": "notation",
        "member": "notation",
        "arch": {"x86_64": "amd64", "aarch64": "arm64"},
        "version_command": ["version"],
        "denylist": {},
        # Upstream's notation_1.3.2_checksums.txt: amd64 as quoted by Microsoft's Notation /
        # Trusted Signing guides (EXPECTED_SHA256SUM) and a Go tool-pin catalog; arm64 from that
        # catalog alone (its pins say they were checked against the checksums file).
        "sha256": {
            "1.3.2": {
                "x86_64": "e1a0f060308086bf8020b2d31defb7c5348f133ca0dba6a1a7820ef3cbb6dfe5",
                "aarch64": "34143c7b816a50104824278080a5cf12bbf855488e003f62e6acf27ed25c423c",
            },
        },
    },
    "trivy": {
        "repo": "aquasecurity/trivy",
        "tag": "v{version}",
        "asset": "trivy_{version}_Linux-{arch}.tar.gz",
        "checksums": "trivy_{version}_checksums.txt",
        "format": "tar.gz",
        "binary": "trivy",
        "member": "trivy",
        "arch": {"x86_64": "64bit", "aarch64": "ARM64"},
        "version_command": ["--version"],
        # March 2026 supply-chain compromise of Trivy's release pipeline.
        "denylist": {
            "0.69.4": "CVE-2026-33634: the v0.69.4 release artifacts were published by a "
                      "compromised release pipeline",
            "0.69.5": "CVE-2026-33634: the 0.69.5 images were published by a compromised "
                      "release pipeline",
            "0.69.6": "CVE-2026-33634: the 0.69.6 images were published by a compromised "
                      "release pipeline",
        },
        # From upstream's trivy_0.75.0_checksums.txt (the same values as the trivy role's
        # trivy_release_checksums).
        "sha256": {
            "0.75.0": {
                "x86_64": "c6e65abddb348e25f10549df887045629cf28cc72453cd1c63acb717316b3f3f",
                "aarch64": "a1ee9f6ffb7d112b64ff726a2a0717c21175c1114361391f4a132956751a13b3",
            },
        },
    },
    "kyverno": {
        "repo": "kyverno/kyverno",
        "tag": "v{version}",
        "asset": "kyverno-cli_v{version}_linux_{arch}.tar.gz",
        "checksums": "checksums.txt",
        "format": "tar.gz",
        "binary": "kyverno",
        "member": "kyverno",
        "arch": {"x86_64": "x86_64", "aarch64": "arm64"},
        "version_command": ["version"],
        "denylist": {},
        # x86_64: upstream's checksums.txt of v1.19.0 as quoted by one public setup script
        # (a `sha256sum --check` line, found by code search). No arm64 value could be
        # established: kyverno 1.19.0 on aarch64 is refused until kyverno_sha256 pins it.
        "sha256": {
            "1.19.0": {
                "x86_64": "f5b4dc73c8e2f3f66e8e0034dc370e6eb6c4617eff7d5ae3838d2200034eb421",
            },
        },
    },
    "falco": {
        # Falco's tarballs are not GitHub release assets; their checksum is pinned per version.
        "base_url": "https://download.falco.org/packages/bin/{arch}",
        "asset": "falco-{version}-{arch}.tar.gz",
        "checksums": None,
        "format": "tar.gz",
        "binary": "falco",
        # The tarball is laid out like the root filesystem under one top directory.
        "root": "falco-{version}-{arch}",
        "member": "falco-{version}-{arch}/usr/bin/falco",
        "arch": {"x86_64": "x86_64", "aarch64": "aarch64"},
        "version_command": ["--version"],
        "denylist": {},
        # The falco role pins it (falco_tarball_sha256); the catalog carries none.
        "sha256": {},
        "sha256_setting": "falco_tarball_sha256",
    },
}

# fullmatch only, ASCII digits only ("\d" is any Unicode digit, "$" accepts a trailing "\n").
_VERSION_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(?:[-+][0-9A-Za-z.-]+)?")
_SHA256_RE = re.compile(r"[0-9a-f]{64}")


class ArtifactError(ValueError):
    """Bad input for an artifact plan; the message names the variable and what is accepted."""


INSECURE_SETTING = "release_artifact_allow_insecure_mirror"


def _check_url(setting, url, allow_insecure):
    """A mirror/base URL: http(s) with a host, no userinfo, https unless `allow_insecure`."""
    if not url:
        return
    shown = printable(redact(url))
    if not is_http_url(url):
        raise ArtifactError(f"{setting} {shown!r} must be an http:// or https:// URL with a host")
    parts = urlsplit(str(url))
    if "@" in parts.netloc:
        raise ArtifactError(f"{setting} {shown!r} holds credentials (userinfo before '@'); "
                            f"they are not shown. Give a mirror URL without them")
    if parts.scheme.lower() == "http" and not allow_insecure:
        raise ArtifactError(f"{setting} {shown!r} is plain HTTP: anyone on the path can replace "
                            f"the download. Use https, or set {INSECURE_SETTING}: true in the "
                            f"inventory (the sha256 then still comes from a pin, never from "
                            f"the mirror)")


def sha256_setting(tool):
    """The variable a user sets to pin the sha256 of `tool` (its role's own variable)."""
    spec = CATALOG.get(tool) or {}
    return spec.get("sha256_setting") or f"{tool}_sha256"


def pinned_sha256(tool, version, architecture, pins=None):
    """The sha256 pin of one tool/version/architecture: from `pins` (the inventory's
    release_artifact_pins, {tool: {version: {architecture: sha256}}}) first, then the
    catalog's; None when neither pins it. A malformed `pins` is an ArtifactError."""
    version = str(version).removeprefix("v")
    if pins:
        if not isinstance(pins, dict):
            raise ArtifactError("release_artifact_pins must be a dict "
                                "{tool: {version: {architecture: sha256}}}")
        by_version = pins.get(tool) or {}
        by_arch = by_version.get(version) if isinstance(by_version, dict) else None
        if by_version and not isinstance(by_version, dict) or \
                by_arch is not None and not isinstance(by_arch, dict):
            raise ArtifactError(f"release_artifact_pins.{tool} must map versions to "
                                f"{{architecture: sha256}}")
        if by_arch and by_arch.get(architecture):
            return by_arch[architecture]
    spec = CATALOG.get(tool) or {}
    return ((spec.get("sha256") or {}).get(version) or {}).get(architecture)


def plan(tool, version, architecture, mirror_url=None, sha256=None, denylist=None,
         base_url=None, verification=None, allow_insecure_mirror=False, pins=None):
    """Everything the installer needs to fetch and verify one release artifact.

    `mirror_url` replaces the upstream host but keeps the upstream path layout
    (<mirror>/<owner>/<repo>/releases/download/<tag>/<asset>), so a mirror is a plain copy.
    A plain-HTTP mirror or base URL is refused unless `allow_insecure_mirror`
    (release_artifact_allow_insecure_mirror) says so explicitly.
    The checksum always comes from a pin: `sha256` (the user's), `pins` (the inventory's table,
    see `pinned_sha256`) or the catalog's own pin for the version and architecture; never from
    a checksums file fetched next to the asset (a mirror that serves the asset would serve its
    checksum too). No pin is a refusal naming the
    variable to set. `denylist` adds {version: reason} entries to the catalog's own.
    `verification` asks for a signature check of the downloaded asset (see `verification_plan`).
    """
    for setting, url in (("release_artifact_mirror_url", mirror_url),
                         ("release_artifact_base_url", base_url)):
        _check_url(setting, url, allow_insecure_mirror is True)
    if not isinstance(tool, str) or tool not in CATALOG:
        raise ArtifactError(f"tool {printable(tool)!r} is not in the artifact catalog; known: "
                            f"{', '.join(sorted(CATALOG))}")
    spec = CATALOG[tool]
    version = str(version).removeprefix("v")
    if not _VERSION_RE.fullmatch(version):
        raise ArtifactError(f"{tool}_version {printable(version)!r} is not an exact version "
                            f"like 1.2.3")
    denied = dict(spec["denylist"])
    denied.update({str(k).removeprefix("v"): v for k, v in (denylist or {}).items()})
    if version in denied:
        raise ArtifactError(f"{tool} {version} is refused: {denied[version]}. "
                            f"Pin another version in {tool}_version.")
    if not isinstance(architecture, str) or architecture not in spec["arch"]:
        raise ArtifactError(f"architecture {printable(architecture)!r} is not supported for "
                            f"{tool}; supported: {', '.join(sorted(spec['arch']))}")
    arch = spec["arch"][architecture]
    fmt = {"version": version, "arch": arch}
    asset = spec["asset"].format(**fmt)
    if base_url:
        base = base_url.rstrip("/")
    elif "repo" in spec:
        host = (mirror_url or GITHUB).rstrip("/")
        base = f"{host}/{spec['repo']}/releases/download/{spec['tag'].format(**fmt)}"
    else:
        upstream = spec["base_url"].format(**fmt)
        base = (f"{mirror_url.rstrip('/')}/{tool}/{arch}" if mirror_url else upstream)
    source = "pin"
    if not sha256:
        sha256 = pinned_sha256(tool, version, architecture, pins)
        catalog = pinned_sha256(tool, version, architecture)
        source = "catalog" if sha256 and sha256 == catalog else "pin"
        if not sha256:
            raise ArtifactError(f"{tool} {version} for {architecture} has no pinned sha256 in "
                                f"the catalog: set {sha256_setting(tool)} (the sha256 of "
                                f"{asset}, from upstream's checksums file) to install it")
    sha256 = str(sha256).lower().removeprefix("sha256:")
    if not _SHA256_RE.fullmatch(sha256):
        raise ArtifactError(f"{tool} sha256 {printable(sha256)!r} is not 64 hex digits")
    checksum = f"sha256:{sha256}"
    url = f"{base}/{asset}"
    return {
        "tool": tool,
        "version": version,
        "arch": arch,
        "asset": asset,
        "url": url,
        "checksum": checksum,
        "checksum_source": source,
        "format": spec["format"],
        "binary": spec["binary"],
        "member": spec.get("member", "").format(**fmt),
        "root": spec.get("root", "").format(**fmt),
        "version_command": list(spec["version_command"]),
        "version_pattern": version_pattern(version),
        "verification": verification_plan(verification, url),
    }


def version_pattern(version):
    """The regular expression a binary's version output must contain for `version` to count as
    installed: the version as a whole number sequence, so 1.2.3 is not found in 1.2.30,
    11.2.3 or 1.2.3.4 (a plain search for "1\\.2\\.3" found all three)."""
    return rf"(?<![0-9.]){re.escape(version)}(?![0-9]|\.[0-9])"


def parse_checksums(text, asset):
    """sha256 of `asset` from a `<sha256>  <name>` checksums file (GNU coreutils format)."""
    for line in text.splitlines():
        parts = line.split()
        if len(parts) == 2 and parts[1].lstrip("*") == asset:
            if _SHA256_RE.fullmatch(parts[0].lower()):
                return parts[0].lower()
    raise ArtifactError(f"{asset} is not listed in the checksums file")


VERIFICATION_KINDS = ("sigstore", "gpg")
_SIGNATURE_SUFFIX = {"sigstore": ".sigstore.json", "gpg": ".asc"}
_FINGERPRINT_RE = re.compile(r"[0-9A-F]{40}")
_VERIFICATION_KEYS = {
    "kind", "setting", "signature_url",
    "cosign", "certificate_identity", "certificate_identity_regexp", "certificate_oidc_issuer",
    "key", "ignore_tlog",
    "keyring", "fingerprint",
}


def verification_plan(verification, url):
    """The signature check of the asset at `url`, normalized; {} when none is asked for.

    Two kinds, both checked on the downloaded file before it is unpacked:
    - `sigstore`: `cosign verify-blob --bundle <url>.sigstore.json`, either keyless against
      `certificate_identity` (or `certificate_identity_regexp`) and `certificate_oidc_issuer`,
      or against a public key file on the host (`key`; `ignore_tlog` for bundles made offline,
      without a transparency log entry).
    - `gpg`: a detached signature `<url>.asc` made by the key whose primary fingerprint is
      `fingerprint`, read from the keyring file `keyring` on the host.
    `setting` names the user's variable that asked for the check, for error messages.
    """
    if not verification:
        return {}
    if not isinstance(verification, dict):
        raise ArtifactError(f"release_artifact_verification must be a dict, got {verification!r}")
    setting = str(verification.get("setting") or "release_artifact_verification")
    unknown = sorted(set(verification) - _VERIFICATION_KEYS)
    if unknown:
        raise ArtifactError(f"{setting}: unknown verification keys {', '.join(unknown)}; "
                            f"accepted: {', '.join(sorted(_VERIFICATION_KEYS))}")
    kind = verification.get("kind")
    if kind not in VERIFICATION_KINDS:
        raise ArtifactError(f"{setting}: verification kind {kind!r} is not one of "
                            f"{', '.join(VERIFICATION_KINDS)}")
    signature_url = str(verification.get("signature_url") or url + _SIGNATURE_SUFFIX[kind])
    out = {"kind": kind, "setting": setting, "signature_url": signature_url,
           "signature_asset": signature_url.rstrip("/").rsplit("/", 1)[-1]}
    if kind == "gpg":
        fingerprint = str(verification.get("fingerprint") or "").upper().replace(" ", "")
        if not _FINGERPRINT_RE.fullmatch(fingerprint):
            raise ArtifactError(f"{setting}: gpg verification needs the signing key's 40 hex digit "
                                f"fingerprint, got {verification.get('fingerprint')!r}")
        if not verification.get("keyring"):
            raise ArtifactError(f"{setting}: gpg verification needs the keyring file that holds "
                                f"the key {fingerprint}")
        out.update(command="gpg", fingerprint=fingerprint, keyring=str(verification["keyring"]))
        return out
    out["command"] = str(verification.get("cosign") or "cosign")
    key = verification.get("key")
    identity = verification.get("certificate_identity")
    identity_re = verification.get("certificate_identity_regexp")
    issuer = verification.get("certificate_oidc_issuer")
    if key:
        if identity or identity_re or issuer:
            raise ArtifactError(f"{setting}: give either a public key or a certificate identity "
                                f"and issuer, not both")
        args = ["--key", str(key)]
    else:
        if bool(identity) == bool(identity_re) or not issuer:
            raise ArtifactError(f"{setting}: sigstore verification needs a public key, or exactly "
                                f"one of certificate_identity / certificate_identity_regexp and "
                                f"a certificate_oidc_issuer")
        args = (["--certificate-identity", str(identity)] if identity
                else ["--certificate-identity-regexp", str(identity_re)])
        args += ["--certificate-oidc-issuer", str(issuer)]
    if verification.get("ignore_tlog"):
        args.append("--insecure-ignore-tlog=true")
    out["cosign_args"] = args
    return out
