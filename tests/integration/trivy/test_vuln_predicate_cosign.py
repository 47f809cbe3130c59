"""The gate's cosign vuln predicate, attested and verified by the REAL cosign 3.1.1 binary on
the REAL lab registry: cosign parses it as its own CosignVulnPredicate (`--type vuln`), so a
wrong shape or an unparseable timestamp fails here."""
from __future__ import annotations

import base64
import json
import os
import subprocess
import uuid
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils import predicates
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    gate as trivy_gate,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    reports as trivy_reports,
)

pytestmark = pytest.mark.lab


def test_cosign_attests_and_verifies_the_vuln_predicate(tmp_path, lab_tools,
                                                        lab_image_factory, shared_fixtures):
    cosign = lab_tools["cosign"]
    if not Path(cosign).exists():
        pytest.fail(f"cosign 3.1.1 missing ({cosign}; python3 lab/lab.py tools fetches it)")
    env = dict(os.environ, COSIGN_PASSWORD=f"pw-{uuid.uuid4().hex}")
    subprocess.run([cosign, "generate-key-pair"], cwd=tmp_path, env=env, check=True,
                   capture_output=True)
    image = lab_image_factory(f"bulwark-test/trivy-{uuid.uuid4().hex[:10]}:v1",
                              uuid.uuid4().hex)

    report = json.loads((shared_fixtures / "trivy" / "alpine-39.json").read_text())
    result = trivy_gate.gate(report, severity="HIGH", ignore_unfixed=True)
    predicate = tmp_path / "vuln.json"
    predicate.write_text(json.dumps(trivy_reports.to_vuln_predicate(
        report, result, invocation={"uri": "https://ci.example/run/1"})))

    offline = ["--tlog-upload=false", "--new-bundle-format=false", "--allow-insecure-registry"]
    attest = subprocess.run(
        [cosign, "attest", "--key", str(tmp_path / "cosign.key"), "--yes", "--type", "vuln",
         "--predicate", str(predicate), "--use-signing-config=false", *offline, image],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert attest.returncode == 0, attest.stderr
    verify = subprocess.run(
        [cosign, "verify-attestation", "--type", "vuln", "--key", str(tmp_path / "cosign.pub"),
         "--insecure-ignore-tlog=true", "--new-bundle-format=false",
         "--allow-insecure-registry", image],
        env=env, capture_output=True, text=True, timeout=120, check=False)
    assert verify.returncode == 0, verify.stderr
    envelope = json.loads(verify.stdout.strip().splitlines()[0])
    statement = json.loads(base64.b64decode(envelope["payload"]))
    assert statement["predicateType"] == predicates.VULN_PREDICATE_TYPE
    pred = statement["predicate"]
    assert pred["invocation"]["uri"] == "https://ci.example/run/1"
    assert pred["invocation"]["parameters"] == ["--severity=HIGH,CRITICAL", "--ignore-unfixed"]
    assert pred["scanner"]["uri"] == "pkg:github/aquasecurity/trivy@dev"
    assert pred["scanner"]["result"]["ArtifactName"] == report["ArtifactName"]
    assert pred["metadata"]["scanFinishedOn"].startswith("2021-08-25T12:20:30")
