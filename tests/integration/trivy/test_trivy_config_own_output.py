# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The product scans its own output with the real Trivy 0.76.0 (`trivy config`, its embedded
checks, offline): every manifest the Pulumi program renders for the example stack, the cluster
policies of the example estate (group_vars/all/policy.yml), the admit scene's pods and the seed's
multi-stage distroless Dockerfile (examples/build/Dockerfile).

Nothing of ours may carry a HIGH or CRITICAL misconfiguration. Every lower finding Trivy reports
must be listed in ACCEPTED with the reason, and every ACCEPTED entry must still be reported (a
stale acceptance fails). The one pod built to be denied (the admit scene's privileged pod) must
be flagged by Trivy for the same controls the offline admission check denies it for.

Not scanned: the Helm releases (helm/*.yaml are descriptors of upstream charts: chart, pinned
version, values; the charts themselves cannot be fetched here) and policy-pack-config.json (the
CrossGuard pack's configuration, not a manifest).
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys

import pytest
import trivy_lab  # lab/trivy_lab.py
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    admission,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from conftest import ROOT
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

BLOCKING = {"HIGH", "CRITICAL"}
# (scanned file relative to the scan root, Trivy check id) -> why it is accepted
ACCEPTED = {
    ("admit/hardened-pod.yaml", "KSV-0125"):
        "trusted registries: Trivy's default list names public registries only; the lab pod "
        "comes from the lab registry on loopback, and which registries are allowed is the "
        "admission layer's setting, not Trivy's default",
    ("build/Dockerfile", "DS-0026"):
        "no HEALTHCHECK: a distroless image has no shell to run one; Kubernetes' liveness and "
        "readiness probes check the workload instead",
}
# The admit scene's deny example: Trivy's check -> the admission control that denies it.
DENY_EXAMPLE = "admit/privileged-pod.yaml"
DENY_EXAMPLE_CHECKS = {"KSV-0001": "disallow_privilege_escalation",
                       "KSV-0010": "disallow_host_namespaces",
                       "KSV-0017": "disallow_privileged_containers"}


def _public_key_pem() -> str:
    key = ec.generate_private_key(ec.SECP256R1())
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _estate_bundle() -> list[dict]:
    """The example estate's cluster policies (group_vars/all/policy.yml) through the one policy
    source, with two stand-in P-256 keys for the builder keys the admin host adds from
    kyverno_public_key_files (a real run creates them)."""
    policy = yaml.safe_load((ROOT / "examples/estate/group_vars/all/policy.yml").read_text())
    admins = yaml.safe_load((ROOT / "examples/estate/group_vars/bulwark_admins.yml").read_text())
    settings = policy["cluster_policies_settings"]
    assert admins["kyverno_public_key_files"], "the admin host names its signer key files"
    settings["image_verification"]["public_keys"] = [
        _public_key_pem() for _path in admins["kyverno_public_key_files"]]
    return kyverno_builders.build_bundle(kyverno_settings.Settings.from_dict(settings))


@pytest.fixture(scope="module")
def scan_root(tmp_path_factory):
    root = tmp_path_factory.mktemp("own-output")
    rendered = subprocess.run([sys.executable, str(ROOT / "pulumi/render.py"), "--stack",
                               str(ROOT / "pulumi/Pulumi.example.yaml"), "--out",
                               str(root / "pulumi")], capture_output=True, text=True, check=False)
    assert rendered.returncode == 0, rendered.stderr
    shutil.rmtree(root / "pulumi" / "helm")
    (root / "pulumi" / "policy-pack-config.json").unlink()  # the CrossGuard pack's own config
    estate = root / "estate"
    estate.mkdir()
    for i, manifest in enumerate(_estate_bundle()):
        (estate / f"{i:02d}-{manifest['kind'].lower()}.yaml").write_text(yaml.safe_dump(manifest))
    shutil.copytree(ROOT / "playbooks/lab/files/admit", root / "admit",
                    ignore=shutil.ignore_patterns("policy.yml"))
    shutil.copytree(ROOT / "examples/build", root / "build")
    return root


@pytest.fixture(scope="module")
def misconfigurations(scan_root, tmp_path_factory):
    """(target, check id) -> severity, from one real `trivy config` run over the whole tree."""
    cache = tmp_path_factory.mktemp("trivy-cache")
    argv = [str(trivy_lab.trivy_binary()), "config", "--skip-check-update", "--quiet",
            "--format", "json", "--cache-dir", str(cache), str(scan_root)]
    proc = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=300)
    assert proc.returncode == 0, proc.stderr
    report = json.loads(proc.stdout)
    found, scanned = {}, set()
    for result in report.get("Results", []):
        scanned.add(result["Target"])
        for m in result.get("Misconfigurations") or []:
            if m.get("Status", "FAIL") == "FAIL":
                found[(result["Target"], m["ID"])] = m["Severity"]
    return found, scanned


def test_every_part_of_our_output_was_scanned(scan_root, misconfigurations):
    _found, scanned = misconfigurations
    ours = {str(p.relative_to(scan_root)) for p in scan_root.rglob("*") if p.is_file()}
    assert ours - scanned == set(), "Trivy did not recognise these files as config"
    assert {"build/Dockerfile", "admit/hardened-pod.yaml", "pulumi/all.yaml"} <= scanned
    assert len([t for t in scanned if t.startswith("estate/")]) >= 10


def test_no_high_or_critical_and_every_lower_finding_accepted_with_a_reason(misconfigurations):
    found, _scanned = misconfigurations
    ours = {k: v for k, v in found.items() if k[0] != DENY_EXAMPLE}
    blocking = sorted(k for k, severity in ours.items() if severity in BLOCKING)
    assert blocking == [], "HIGH/CRITICAL misconfigurations in our own output"
    unaccepted = sorted(k for k in ours if k not in ACCEPTED)
    assert unaccepted == [], "findings without a reason in ACCEPTED"
    stale = sorted(k for k in ACCEPTED if k not in ours)
    assert stale == [], "ACCEPTED entries Trivy no longer reports: remove them"


def test_the_deny_example_is_flagged_for_what_admission_denies(misconfigurations):
    """Trivy's HIGH findings on the privileged pod are host PID and privileged; with privilege
    escalation (MEDIUM) they are exactly the controls the offline admission check denies it for,
    under the admit scene's settings."""
    found, _scanned = misconfigurations
    flagged = {check: sev for (target, check), sev in found.items() if target == DENY_EXAMPLE}
    assert {c for c, sev in flagged.items() if sev in BLOCKING} == {"KSV-0010", "KSV-0017"}
    assert set(DENY_EXAMPLE_CHECKS) <= set(flagged)
    admit = ROOT / "playbooks/lab/files/admit"
    settings = yaml.safe_load((admit / "policy.yml").read_text())
    pod = yaml.safe_load((admit / "privileged-pod.yaml").read_text())
    report = admission.evaluate(kyverno_builders.build_bundle(settings), [pod])
    denied = {p["control"] for p in report["resources"][0]["policies"] if p["denied"]}
    assert denied == set(DENY_EXAMPLE_CHECKS.values())
