# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The notation modules' logic with the REAL notation (Debian sid's 1.3.x) against the REAL
lab registry (CNCF Distribution 2.8, no referrers API): sign, idempotent re-sign, verify,
an image changed after signing, a trust policy that trusts another certificate or another
repository, a registry that is down; then both modules through one ansible-playbook run.

Certificates come from `notation cert generate-test` (lab only, valid for a day)."""
from __future__ import annotations

import json
import shutil
import socket
import subprocess
import uuid
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.notation import (
    flows,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation import (
    trust_policy as notation_trust,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation.runner import (
    Notation,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from conftest import run_playbook

pytestmark = pytest.mark.lab
HERE = Path(__file__).resolve().parent


def _notation_env(home: Path) -> dict:
    return {"XDG_CONFIG_HOME": str(home), "HOME": str(home), "PATH": "/usr/bin:/bin"}


@pytest.fixture(scope="module")
def signer(lab_tools, tmp_path_factory) -> dict:
    """A config home with the default signing key `lab`; `other` is a second test certificate
    that signs nothing. Returns paths and the binaries."""
    binary = lab_tools["notation"]
    home = tmp_path_factory.mktemp("notation-signer")
    other = tmp_path_factory.mktemp("notation-other")
    for where, args in ((home, ["--default", "lab"]), (other, ["other"])):
        res = subprocess.run([binary, "cert", "generate-test", *args], env=_notation_env(where),
                             capture_output=True, text=True, check=False)
        assert res.returncode == 0, res.stderr
    return {"notation": binary, "crane": lab_tools["crane"], "home": home,
            "certs": {"lab": home / "notation/localkeys/lab.crt",
                      "other": other / "notation/localkeys/other.crt"}}


def verifier_home(signer, tmp_path, statements, stores=("lab", "other")) -> Path:
    """A config home with a trust store per certificate and trustpolicy.json."""
    conf = tmp_path / "notation"
    for name in stores:
        d = conf / "truststore/x509/ca" / name
        d.mkdir(parents=True)
        shutil.copy(signer["certs"][name], d / f"{name}.crt")
    (conf / "trustpolicy.json").write_text(json.dumps(notation_trust.trust_policy(statements)))
    return tmp_path


def tool(signer, home=None) -> Notation:
    return Notation(signer["notation"], config_home=str(home or signer["home"]),
                    insecure_registry=True, crane=signer["crane"])


@pytest.fixture
def image(lab_image_factory):
    def make(name=None, content=None):
        name = name or f"bulwark-test/notation-{uuid.uuid4().hex[:10]}"
        repo, digest = lab_image_factory(f"{name}:v1", content or uuid.uuid4().hex).split("@")
        return f"{repo}:v1", digest
    return make


TRUST_LAB = [{"name": "lab", "registry_scopes": ["*"], "trust_stores": ["ca:lab"],
              "trusted_identities": ["*"]}]


def test_sign_verify_and_resign_without_change(signer, image, tmp_path):
    ref, digest = image()
    notation = tool(signer)
    first = flows.sign_image(notation, ref, user_metadata={"scanned-by": "trivy"})
    assert first["changed"] is True and first["digest"] == digest
    again = flows.sign_image(notation, ref, user_metadata={"scanned-by": "trivy"})
    assert again["changed"] is False and again["signed_before"] is True
    assert sum(a[1] == "sign" for a in notation.commands) == 1
    # other metadata is another signature
    assert flows.sign_image(notation, ref, user_metadata={"stage": "prod"})["changed"] is True
    verifier = tool(signer, verifier_home(signer, tmp_path, TRUST_LAB))
    out = flows.verify_image(verifier, ref, expected_digest=digest,
                             user_metadata={"scanned-by": "trivy"})
    assert out == {"digest": digest, "image": ref.rsplit(":", 1)[0] + "@" + digest,
                   "verified": True}


def test_image_changed_after_signing_fails(signer, image, tmp_path):
    name = f"bulwark-test/notation-moved-{uuid.uuid4().hex[:8]}"
    ref, old = image(name=name, content="first build")
    flows.sign_image(tool(signer), ref)
    _ref, new = image(name=name, content="rebuilt behind our back")  # same tag, new digest
    verifier = tool(signer, verifier_home(signer, tmp_path, TRUST_LAB))
    with pytest.raises(CosignError) as e:
        flows.verify_image(verifier, ref, expected_digest=old)
    assert e.value.reason == "digest_mismatch" and new in e.value.message
    with pytest.raises(CosignError) as e:
        flows.verify_image(verifier, ref)
    assert e.value.reason == "no_signature" and "no signature found" in e.value.message


def test_wrong_trust_policy_fails(signer, image, tmp_path):
    ref, _digest = image()
    flows.sign_image(tool(signer), ref)
    other_store = verifier_home(signer, tmp_path / "a",
                                [dict(TRUST_LAB[0], trust_stores=["ca:other"])])
    with pytest.raises(CosignError) as e:
        flows.verify_image(tool(signer, other_store), ref)
    assert e.value.reason == "wrong_key"
    repo = ref.split(":v1")[0].rsplit("/", 1)[0]
    elsewhere = verifier_home(signer, tmp_path / "b", [dict(TRUST_LAB[0],
                                                            registry_scopes=[f"{repo}/elsewhere"])])
    with pytest.raises(CosignError) as e:
        flows.verify_image(tool(signer, elsewhere), ref)
    assert e.value.reason == "trust_policy" and "no applicable trust policy" in e.value.detail


def test_registry_down_fails_before_signing(signer, image):
    ref, digest = image()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    notation = tool(signer)
    down = f"127.0.0.1:{port}/" + ref.split("/", 1)[1]
    with pytest.raises(CosignError) as e:
        flows.sign_image(notation, down.replace(":v1", f"@{digest}"))
    assert e.value.reason == "registry_unreachable"
    assert not any(a[1] == "sign" for a in notation.commands)


@pytest.mark.slow
def test_modules_through_a_playbook(signer, image, tmp_path):
    """notation_sign twice (changed, then not) and notation_verify: trusted, and refused
    under a policy that trusts another certificate, in one ansible-playbook run."""
    ref, digest = image()
    extra = {"image": ref, "digest": digest, "notation": signer["notation"],
             "crane": signer["crane"], "signer_home": str(signer["home"]),
             "trusted_home": str(verifier_home(signer, tmp_path / "t", TRUST_LAB)),
             "other_home": str(verifier_home(signer, tmp_path / "o", [dict(
                 TRUST_LAB[0], trust_stores=["ca:other"])]))}
    res = run_playbook([str(HERE / "modules.yml"), "-e", json.dumps(extra)])
    assert res.returncode == 0, (res.stdout + res.stderr)[-3000:]
    assert "ok=5" in res.stdout and "changed=1" in res.stdout, res.stdout[-2000:]
