"""Shared helpers for the ADMIT unit tests: settings that exercise every builder, and a
ValidatingPolicy evaluator on the two real Python CEL engines (common-expression-language and
cel-python).

The evaluator is the collection's own (module_utils/kyverno/admission.py, also behind the
admission_check module and bin/admission_check.py): it binds ``object``, evaluates
``spec.variables`` in order into ``variables``, then ``spec.matchConditions`` and
``spec.validations``. The result names the failing validations.
"""
from __future__ import annotations

# cel-python's google-re2 must load before regopy (tests/unit/build_gate, trivy), which carries
# its own RE2: loaded after it, re2 aborts the process on its first regex (seen in one
# session running all of tests/unit). admission.py imports the engines lazily, so import here.
import celpy  # noqa: F401  pylint: disable=unused-import
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    controls as kyverno_controls,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.admission import (  # noqa: F401 pylint: disable=unused-import
    ENGINES,
    evaluate_policy,
    selector_matches,
    verdict,
)
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec


def _public_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo).decode()


# Two real ECDSA P-256 public keys (cosign's key type): a current and a rotated-in signer.
TEST_KEYS = (_public_key_pem(), _public_key_pem())


def full_settings(**overrides) -> dict:
    """Settings that make every builder emit something (two keys, vuln attestation, allowlists)."""
    data = {
        "excluded_namespaces": ["monitoring"],
        "pod_security": {
            "default_action": "Audit",
            "actions": {"disallow_privileged_containers": "Deny",
                        "disallow_host_namespaces": ["Warn", "Audit"]},
        },
        "image_verification": {
            "enabled": True,
            "action": "Deny",
            "public_keys": list(TEST_KEYS),
            "image_globs": ["127.0.0.1:15000/*", "registry.example.com/team/*"],
            "require_vulnerability_attestation": True,
            "vulnerability_max_age_hours": 72,
            "ignore_transparency_log": True,
        },
        "exceptions": [{
            "name": "node-agent-host-network",
            "namespace": "observability",
            "policies": ["disallow_host_namespaces", "require_read_only_root_filesystem"],
            "workloads": [{"name": "node-agent", "kind": "DaemonSet"}, "node-agent-debug"],
            "expires_at": "2027-03-31T00:00:00Z",
            "reason": "needs the host network until the vendor ships a CNI plugin",
        }],
        "namespaces": [
            {"name": "payments", "labels": {"team": "payments"},
             "ingress": [
                 {"name": "from-ingress", "pod_selector": {"app": "api"},
                  "namespaces": ["ingress-nginx"], "ports": [8080]},
                 {"name": "from-frontend", "pods": {"app": "frontend"},
                  "ports": [{"port": "https", "protocol": "TCP"}]}],
             "egress": [
                 {"name": "to-database", "namespaces": ["databases"], "pods": {"app": "postgres"},
                  "ports": [{"port": 5432}]},
                 {"name": "to-partner", "cidrs": [{"cidr": "203.0.113.0/24",
                                                   "except": ["203.0.113.7/32"]}],
                  "ports": [{"port": 30000, "end_port": 30100, "protocol": "UDP"}]}]},
            {"name": "kube-public", "existing": True,
             "pod_security": {"enforce": "baseline", "warn": "restricted", "version": "v1.32"},
             "default_deny": False, "allow_dns": False},
        ],
    }
    data.update(overrides)
    return data


def settings(**overrides) -> kyverno_settings.Settings:
    return kyverno_settings.Settings.from_dict(full_settings(**overrides))


def _certificate_pem(common_name: str) -> str:
    """A self-signed certificate, as `notation cert generate-test` makes for a lab."""
    import datetime

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes
    from cryptography.x509.oid import NameOID
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now).not_valid_after(now + datetime.timedelta(days=1))
            .sign(key, hashes.SHA256()))
    return cert.public_bytes(serialization.Encoding.PEM).decode()


# image_verification signers beside the cosign keys: a Notation certificate, two keyless
# identities (exact, and regexp with a private Sigstore's Rekor and CT log keys).
SIGNERS = {
    "notary_certificates": [_certificate_pem("release.example.com")],
    "keyless": [
        {"subject": "https://github.com/example/app/.github/workflows/release.yml@refs/heads/main",
         "issuer": "https://token.actions.githubusercontent.com"},
        {"subject_regexp": "^https://ci\\.example\\.com/.*$",
         "issuer_regexp": "^https://sso\\.example\\.com/realms/.*$",
         "rekor_url": "https://rekor.example.com", "rekor_public_key": TEST_KEYS[0],
         "ctlog_public_key": TEST_KEYS[1], "roots": _certificate_pem("fulcio.example.com")},
    ],
}


def signer_settings() -> dict:
    """full_settings() with every kind of signer."""
    data = full_settings()
    data["image_verification"] = {**data["image_verification"], **SIGNERS}
    return data


# kyverno/policies test policy name -> our control
UPSTREAM_TO_CONTROL = {v: k for k, v in kyverno_controls.KYVERNO_LIBRARY_EQUIVALENT.items()}


def pss_expectations(shared_fixtures):
    """[(test dir, upstream policy, kind, name, expected, resource)] for every recorded result."""
    out = []
    directories = sorted((shared_fixtures / "kyverno" / "pss-tests").iterdir())
    assert len(directories) == 17, ("all 16 baseline and restricted control directories of "
                                    "pod-security-vpol, and pod-security's AppArmor one")
    for directory in directories:
        test = yaml.safe_load((directory / "kyverno-test.yaml").read_text())
        docs = [d for d in yaml.safe_load_all((directory / "resource.yaml").read_text()) if d]
        by_id = {(d["kind"], d["metadata"]["name"]): d for d in docs}
        for result in test["results"]:
            for name in result["resources"]:
                out.append((directory.name, result["policy"], result["kind"], name,
                            result["result"].strip(), by_id[(result["kind"], name)]))
    return out


def native_verdict(policy: dict, obj: dict, engine: str = "common-expression-language") -> str:
    """The verdict of a ValidatingAdmissionPolicy on one resource, with only ``object`` bound:
    the policy declares no ``variables`` and the evaluator binds nothing of Kyverno's, so a
    reference to anything else fails to evaluate and so fails the test."""
    assert "variables" not in policy["spec"]
    return verdict(policy, obj, engine)


def compare_verdicts(expectations, judge) -> None:
    """Assert ``judge(control, resource)`` equals Kyverno's recorded verdict for every one of
    ``expectations`` (from pss_expectations), with plenty of both verdicts."""
    mismatches = []
    counts = {"pass": 0, "fail": 0}
    for directory, upstream, kind, name, expected, resource in expectations:
        got = judge(UPSTREAM_TO_CONTROL[upstream], resource)
        counts[got] = counts.get(got, 0) + 1
        if got != expected:
            mismatches.append(f"{directory}: {upstream} {kind}/{name} expected {expected}, "
                              f"got {got}")
    assert not mismatches, "\n".join(mismatches)
    assert counts["pass"] > 100 and counts["fail"] > 100
