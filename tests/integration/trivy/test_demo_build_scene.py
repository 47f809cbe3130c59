# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The demo's build and ship scenes for real (playbooks/lab/demo_build.yml, then demo_ship.yml,
in one ansible-playbook run as `make demo` runs them): the real Trivy 0.76.0 scans two images in
the lab registry with the lab's DB pulled from that registry, the gate stops the one whose
openssl matches the lab's CRITICAL CVE-2099-0001, and only the passing image is signed and gets
the gate's vuln predicate attested. The registry is then asked directly: the failing image has
no signature or attestation at all."""
from __future__ import annotations

import json
import re
import subprocess

import pytest
from conftest import run_playbook


@pytest.fixture(scope="module")
def scenes(lab_registry):
    proc = run_playbook(["playbooks/lab/demo_build.yml", "playbooks/lab/demo_ship.yml"],
                        timeout=900)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    return proc.stdout


def _digest_ref(out: str, name: str) -> str:
    verdict = "FAILED" if name == "vulnerable" else "PASSED"
    found = re.search(rf"trivy gate {verdict} for (\S+@sha256:[0-9a-f]{{64}})", out)
    assert found, f"no {verdict} line in the play's output"
    return found.group(1)


def _referrer_tags(crane: str, ref: str) -> set[str]:
    """cosign's tags beside the image (sha256-<hex>.sig / .att, the legacy layout cosign_sign
    writes for containers/image)."""
    repo, digest = ref.split("@")
    tags = subprocess.run([crane, "ls", repo, "--insecure"], capture_output=True, text=True,
                          check=True).stdout.split()
    prefix = digest.replace(":", "-")
    return {t[len(prefix):] for t in tags if t.startswith(prefix)}


def test_the_gate_stops_the_vulnerable_image_and_passes_the_clean_one(scenes):
    assert "trivy gate FAILED for " in scenes and "bulwark-demo/app-vulnerable@sha256:" in scenes
    assert "CRITICAL CVE-2099-0001 libssl3 3.0.15-1~deb12u1 -> 3.0.99-1~deb12u1" in scenes
    assert "trivy gate PASSED for " in scenes
    assert "gate      vuln predicate attested" in scenes


def test_only_the_passing_image_is_signed_and_attested(scenes, lab_tools):
    vulnerable, clean = _digest_ref(scenes, "vulnerable"), _digest_ref(scenes, "clean")
    assert "app-vulnerable@" in vulnerable and "/bulwark-demo/app@" in clean
    assert _referrer_tags(lab_tools["crane"], vulnerable) == set()
    assert {".sig", ".att"} <= _referrer_tags(lab_tools["crane"], clean)


def test_the_attested_predicate_is_the_gates_verdict_on_the_real_report(scenes, lab_tools):
    import lab
    work = lab.STATE / "demo-build"
    report = json.loads((work / "clean.trivy.json").read_text())
    assert report["ArtifactName"] == _digest_ref(scenes, "clean")
    assert report["Metadata"]["OS"] == {"Family": "debian", "Name": "12.8"}
    predicate = json.loads((work / "clean.vuln.json").read_text())
    assert predicate["scanner"]["result"]["ArtifactName"] == report["ArtifactName"]
    assert predicate["invocation"]["parameters"] == ["--severity=HIGH,CRITICAL"]
    vulnerable = json.loads((work / "vulnerable.trivy.json").read_text())
    ids = [v["VulnerabilityID"] for r in vulnerable["Results"]
           for v in r.get("Vulnerabilities", [])]
    assert ids == ["CVE-2099-0001"]
