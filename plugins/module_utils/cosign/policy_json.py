# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""containers/image signature policy for cosign-signed images: policy.json and registries.d.

Plain Python, no Ansible imports: the `cosign` role (through the `containers_policy` filters),
the tests and the Pulumi program build the same documents from the same input.

Input is a list of requirements, one per registry or repository scope:

    {"name": "lab", "scope": "registry.example:5000/team", "keys": ["release-2026"],
     "identity": "matchRepository"}

Each key name is a public key of the node's trust store (`<key_dir>/<name>.pub`). A keyless
requirement names the signer's Fulcio certificate instead of keys, with the Rekor key that
must have logged it:

    {"name": "ci", "scope": "registry.example/app",
     "fulcio": {"ca_path": "/etc/bulwark/sigstore/fulcio.pem",
                "oidc_issuer": "https://oidc.example", "subject_email": "ci@example.com"},
     "rekor_public_key": "/etc/bulwark/sigstore/rekor.pub"}

`validate_policy` checks the structure containers/image will parse strictly (unknown or
missing fields make it reject the whole file, and with it every pull), so a broken document
is stopped before it is written.
"""
from __future__ import annotations

import json
import re

# What containers-policy.json(5) accepts; c/image rejects the file on anything else.
REQUIREMENT_TYPES = ("insecureAcceptAnything", "reject", "signedBy", "sigstoreSigned")
DEFAULT_TYPES = ("insecureAcceptAnything", "reject")
IDENTITY_TYPES = ("matchExact", "matchRepoDigestOrExact", "matchRepository", "exactReference",
                  "exactRepository", "remapIdentity")
SIGSTORE_KEY_FIELDS = ("keyPath", "keyPaths", "keyData", "keyDatas", "fulcio", "pki")
SIGSTORE_FIELDS = SIGSTORE_KEY_FIELDS + ("type", "signedIdentity", "rekorPublicKeyPath",
                                         "rekorPublicKeyPaths", "rekorPublicKeyData",
                                         "rekorPublicKeyDatas")
REKOR_FIELDS = ("rekorPublicKeyPath", "rekorPublicKeyPaths", "rekorPublicKeyData",
                "rekorPublicKeyDatas")
FULCIO_FIELDS = ("caPath", "caData", "oidcIssuer", "subjectEmail")
REQUIREMENT_KEYS = ("name", "scope", "keys", "identity", "fulcio", "rekor_public_key")
FULCIO_KEYS = {"ca_path": "caPath", "oidc_issuer": "oidcIssuer", "subject_email": "subjectEmail"}
KMS_SCHEMES = ("awskms://", "gcpkms://", "azurekms://", "hashivault://", "k8s://")

# Whole-string patterns (fullmatch, \Z): "$" would let a trailing newline through.
# A docker transport scope: host[:port][/path], optionally a leading "*." wildcard host.
_SCOPE_RE = re.compile(r"(\*\.)?[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?"
                       r"(/[a-z0-9]+([._/-][a-z0-9]+)*)?\Z")
_NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,62}\Z")
# The characters of the reference forms cosign documents (ARNs, resource paths, vault URLs);
# no whitespace and nothing a shell would read.
_KMS_RE = re.compile(r"(awskms|gcpkms|azurekms|hashivault|k8s)://[A-Za-z0-9._~:/@%+=,-]+\Z")


class PolicyError(ValueError):
    """Bad input or a document containers/image would reject; the message says which part."""


def check_name(value, what="name"):
    """A file-name-safe identifier (key names, registries.d file suffixes)."""
    if not isinstance(value, str) or not _NAME_RE.fullmatch(value):
        raise PolicyError(f"{what} {value!r} is not a valid name: use letters, digits, '.', '_' "
                          f"or '-' (at most 63 characters, no leading punctuation)")
    return value


def check_scope(scope):
    """A containers/image docker scope: registry host[:port] with an optional repository path."""
    if not isinstance(scope, str) or not _SCOPE_RE.fullmatch(scope):
        raise PolicyError(f"scope {scope!r} is not a registry or repository scope like "
                          f"'registry.example:5000' or 'registry.example/team/app' (no scheme, "
                          f"tag or digest, lower case)")
    return scope


def kms_ref_error(ref):
    """'' when `ref` is a KMS key reference cosign understands, else a message saying why not."""
    if isinstance(ref, str) and _KMS_RE.fullmatch(ref):
        return ""
    return (f"cosign_signer_key_ref {ref!r} is not a KMS key reference; accepted: "
            f"{', '.join(KMS_SCHEMES)} followed by letters, digits and ._~:/@%+=,-")


def key_path(key_dir, name):
    return f"{key_dir.rstrip('/')}/{check_name(name, 'trusted key name')}.pub"


def sigstore_requirement(key_paths, identity="matchRepository", fulcio=None, rekor_key=None):
    """One `sigstoreSigned` requirement accepting a signature by any of `key_paths`, or
    (keyless) by a Fulcio certificate (`fulcio`: ca_path, oidc_issuer, subject_email) whose
    signature `rekor_key` (a Rekor public key path) has logged."""
    if not key_paths and not fulcio:
        raise PolicyError("a sigstoreSigned requirement needs at least one trusted key, or "
                          "fulcio for keyless signatures")
    if key_paths and fulcio:
        raise PolicyError("a sigstoreSigned requirement takes trusted keys or fulcio "
                          "(keyless), not both")
    if identity not in IDENTITY_TYPES:
        raise PolicyError(f"identity {identity!r} is not one of {', '.join(IDENTITY_TYPES)}")
    req = {"type": "sigstoreSigned"}
    if fulcio:
        if not isinstance(fulcio, dict) or set(fulcio) - set(FULCIO_KEYS):
            raise PolicyError(f"fulcio must be a mapping of {', '.join(FULCIO_KEYS)}")
        req["fulcio"] = {FULCIO_KEYS[k]: v for k, v in fulcio.items()}
    elif len(key_paths) == 1:
        req["keyPath"] = key_paths[0]
    else:
        # keyPaths: any listed key is accepted (containers/image >= 5.34, Debian 13's skopeo 1.18)
        req["keyPaths"] = list(key_paths)
    if rekor_key:
        req["rekorPublicKeyPath"] = rekor_key
    req["signedIdentity"] = {"type": identity}
    return req


def build_policy(requirements, default="insecureAcceptAnything", key_dir="/etc/bulwark/cosign/"
                 "trusted-keys", known_keys=None):
    """The policy.json document: `sigstoreSigned` for each scope, `default` everywhere else.

    `known_keys` (names present in the trust store) lets a typo in a key name fail here
    rather than on the node, where a missing keyPath would refuse every image of the scope.
    """
    if default not in DEFAULT_TYPES:
        raise PolicyError(f"cosign_policy_default {default!r} is not one of "
                          f"{', '.join(DEFAULT_TYPES)}")
    docker = {}
    names = set()
    for index, item in enumerate(requirements or []):
        if not isinstance(item, dict):
            raise PolicyError(f"cosign_policy_requirements[{index}] is not a mapping")
        _only(item, REQUIREMENT_KEYS, f"cosign_policy_requirements[{index}] has unknown keys")
        name = check_name(item.get("name"), f"cosign_policy_requirements[{index}].name")
        if name in names:
            raise PolicyError(f"cosign_policy_requirements: name {name!r} is used twice")
        names.add(name)
        scope = check_scope(item.get("scope"))
        if scope in docker:
            raise PolicyError(f"cosign_policy_requirements: scope {scope!r} is listed twice")
        keys = item.get("keys") or []
        if isinstance(keys, str):
            keys = [keys]
        if known_keys is not None:
            missing = [k for k in keys if k not in known_keys]
            if missing:
                raise PolicyError(f"cosign_policy_requirements[{index}] ({name}) names keys "
                                  f"{missing} that are not in the trust store; present: "
                                  f"{sorted(known_keys)}")
        paths = [key_path(key_dir, k) for k in keys]
        try:
            docker[scope] = [sigstore_requirement(
                paths, item.get("identity") or "matchRepository", item.get("fulcio"),
                item.get("rekor_public_key"))]
            _validate_requirement(docker[scope][0], "sigstoreSigned")
        except PolicyError as exc:
            raise PolicyError(f"cosign_policy_requirements[{index}] ({name}): {exc}") from exc
    # docker-daemon has no signatures at all: only the default can apply there
    policy = {
        "default": [{"type": default}],
        "transports": {
            "docker": docker,
            "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]},
        },
    }
    validate_policy(policy)
    return policy


def _validate_identity(identity, where):
    if not isinstance(identity, dict) or identity.get("type") not in IDENTITY_TYPES:
        raise PolicyError(f"{where}.signedIdentity must be an object with type one of "
                          f"{', '.join(IDENTITY_TYPES)}")


def _validate_requirement(req, where):
    if not isinstance(req, dict):
        raise PolicyError(f"{where} is not an object")
    kind = req.get("type")
    if kind not in REQUIREMENT_TYPES:
        raise PolicyError(f"{where}.type {kind!r} is not one of {', '.join(REQUIREMENT_TYPES)}")
    if kind in DEFAULT_TYPES:
        if set(req) != {"type"}:
            raise PolicyError(f"{where}: {kind} takes no other fields, got {sorted(req)}")
        return
    if kind == "signedBy":
        if req.get("keyType") != "GPGKeys":
            raise PolicyError(f"{where}: signedBy needs keyType GPGKeys")
        return
    unknown = set(req) - set(SIGSTORE_FIELDS)
    if unknown:
        raise PolicyError(f"{where}: unknown sigstoreSigned fields {sorted(unknown)}")
    present = [f for f in SIGSTORE_KEY_FIELDS if f in req]
    if len(present) != 1:
        raise PolicyError(f"{where}: sigstoreSigned needs exactly one of "
                          f"{', '.join(SIGSTORE_KEY_FIELDS)}, got {present or 'none'}")
    value = req[present[0]]
    if present[0] in ("keyPath", "keyData"):
        if not isinstance(value, str) or not value:
            raise PolicyError(f"{where}.{present[0]} must be a non-empty string")
        if present[0] == "keyPath" and not value.startswith("/"):
            raise PolicyError(f"{where}.keyPath {value!r} must be an absolute path")
    elif present[0] in ("keyPaths", "keyDatas"):
        if not isinstance(value, list) or not value or not all(
                isinstance(v, str) and v for v in value):
            raise PolicyError(f"{where}.{present[0]} must be a non-empty list of strings")
    if present[0] == "fulcio":
        _validate_fulcio(value, f"{where}.fulcio")
    rekor = [f for f in REKOR_FIELDS if f in req]
    if len(rekor) > 1:
        raise PolicyError(f"{where}: at most one of {', '.join(REKOR_FIELDS)}, got {rekor}")
    if present[0] == "fulcio" and not rekor:
        raise PolicyError(f"{where}: fulcio needs a Rekor public key (rekorPublicKeyPath) "
                          f"to check the short-lived certificate was logged")
    if "rekorPublicKeyPath" in req:
        _absolute(req["rekorPublicKeyPath"], f"{where}.rekorPublicKeyPath")
    if "signedIdentity" in req:
        _validate_identity(req["signedIdentity"], where)


def _only(mapping, accepted, what):
    unknown = set(mapping) - set(accepted)
    if unknown:
        raise PolicyError(f"{what} {sorted(unknown)}; accepted: {', '.join(accepted)}")


def _absolute(value, where):
    if not isinstance(value, str) or not value.startswith("/"):
        raise PolicyError(f"{where} {value!r} must be an absolute path")


def _validate_fulcio(fulcio, where):
    """containers/image's prSigstoreSignedFulcio: exactly one CA, issuer and email required."""
    if not isinstance(fulcio, dict):
        raise PolicyError(f"{where} must be an object")
    _only(fulcio, FULCIO_FIELDS, f"{where}: unknown fields")
    ca = [f for f in ("caPath", "caData") if f in fulcio]
    if len(ca) != 1:
        raise PolicyError(f"{where}: needs exactly one of caPath, caData, got {ca or 'none'}")
    if "caPath" in fulcio:
        _absolute(fulcio["caPath"], f"{where}.caPath")
    for field in ("oidcIssuer", "subjectEmail"):
        if not isinstance(fulcio.get(field), str) or not fulcio[field]:
            raise PolicyError(f"{where}.{field} must be a non-empty string")


def validate_policy(policy):
    """Raise PolicyError unless `policy` is a policy.json document containers/image accepts."""
    if not isinstance(policy, dict):
        raise PolicyError("policy.json must be a JSON object")
    unknown = set(policy) - {"default", "transports"}
    if unknown:
        raise PolicyError(f"policy.json has unknown top-level fields {sorted(unknown)}")
    default = policy.get("default")
    if not isinstance(default, list) or not default:
        raise PolicyError("policy.json needs a non-empty 'default' list of requirements")
    for i, req in enumerate(default):
        _validate_requirement(req, f"default[{i}]")
    transports = policy.get("transports", {})
    if not isinstance(transports, dict):
        raise PolicyError("policy.json 'transports' must be an object")
    for transport, scopes in transports.items():
        if not isinstance(scopes, dict):
            raise PolicyError(f"transports.{transport} must be an object of scopes")
        for scope, reqs in scopes.items():
            where = f"transports.{transport}[{scope!r}]"
            if transport == "docker" and scope:
                check_scope(scope)
            if not isinstance(reqs, list) or not reqs:
                raise PolicyError(f"{where} must be a non-empty list of requirements")
            for i, req in enumerate(reqs):
                _validate_requirement(req, f"{where}[{i}]")
    return policy


def validate_policy_text(text):
    """Parse and validate policy.json text (what the node's validator runs on the temp file)."""
    try:
        policy = json.loads(text)
    except ValueError as exc:
        raise PolicyError(f"policy.json is not valid JSON: {exc}") from exc
    return validate_policy(policy)


def render_policy(policy):
    return json.dumps(validate_policy(policy), indent=2, sort_keys=True) + "\n"


def registries_d_documents(requirements):
    """{name: registries.d document} telling containers/image to read cosign's attachments.

    cosign stores signatures as `sha256-<digest>.sig` tags beside the image; containers/image
    looks there only with `use-sigstore-attachments: true` for the scope.
    """
    docs = {}
    for index, item in enumerate(requirements or []):
        name = check_name(item.get("name"), f"cosign_policy_requirements[{index}].name")
        docs[name] = {"docker": {check_scope(item.get("scope")):
                                 {"use-sigstore-attachments": True}}}
    return docs
