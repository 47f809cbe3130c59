"""The cosign modules' logic against the REAL lab registry with the REAL cosign 3.1.1 and
2.5.0 binaries (every test runs for both), plus the playbooks through ansible-playbook.

Direct calls go through plugins/module_utils/cosign/ (flows.py, runner.py), the code path the
modules run, with the modules' registry getter (cosign/module.py's registry_getter(), Ansible's
urls.Request); tests marked `playbook` run the modules themselves through ansible-playbook."""
from __future__ import annotations

import json
import os
import subprocess
import urllib.request
import uuid
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils import predicates
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    flows as cosign_flows,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    layouts as cosign_layouts,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    module as cosign_module,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    runner as cosign_runner,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    errors as cosign_errors,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    references as cosign_references,
)
from conftest import run_playbook

pytestmark = pytest.mark.lab

VERSIONS = {"3.1.1": "cosign", "2.5.0": "cosign-2.5.0"}


@pytest.fixture(scope="session", params=sorted(VERSIONS, reverse=True))
def cosign_bin(request, lab_tools):
    path = lab_tools[VERSIONS[request.param]]
    if not Path(path).exists():
        pytest.fail(f"cosign {request.param} missing ({path}; python3 lab/lab.py tools fetches it)")
    return path


@pytest.fixture(scope="session")
def keys(tmp_path_factory, lab_tools):
    """Two real key pairs made by `cosign generate-key-pair`, each with its own password."""
    out = {}
    for name in ("alpha", "beta"):
        d = tmp_path_factory.mktemp(f"cosign-{name}")
        password = f"pw-{name}-{uuid.uuid4().hex}"
        subprocess.run([lab_tools["cosign"], "generate-key-pair"], cwd=d, check=True,
                       capture_output=True, env=dict(os.environ, COSIGN_PASSWORD=password))
        out[name] = {"key": str(d / "cosign.key"), "pub": str(d / "cosign.pub"),
                     "password": password}
    return out


@pytest.fixture
def cosign(cosign_bin, lab_tools):
    return cosign_runner.Cosign(cosign_bin, insecure_registry=True, offline=True,
                                crane=lab_tools["crane"],
                                registry_get=cosign_module.registry_getter())


@pytest.fixture
def image(lab_image_factory):
    """A fresh image; returns (tag reference, digest)."""
    def make(tag="v1", name=None, content=None):
        name = name or f"bulwark-test/cosign-{uuid.uuid4().hex[:10]}"
        ref = lab_image_factory(f"{name}:{tag}", content or uuid.uuid4().hex)
        repo, digest = ref.split("@")
        return f"{repo}:{tag}", digest
    return make


def tags(lab_registry, tag_ref):
    repo = cosign_references.parse_reference(tag_ref)["repository"]
    with urllib.request.urlopen(f"http://{lab_registry}/v2/{repo}/tags/list") as r:
        return sorted(json.load(r)["tags"] or [])


def sign(cosign, ref, key, **kw):
    return cosign_flows.sign_image(cosign, ref, key["key"], password=key["password"], **kw)


def test_sign_then_verify_returns_digest_layout_and_payloads(cosign, keys, image):
    ref, digest = image()
    res = sign(cosign, ref, keys["alpha"])
    assert res["changed"] is True
    assert res["digest"] == digest
    assert res["layout"] == cosign_layouts.LAYOUT_LEGACY
    out = cosign_flows.verify_image(cosign, ref, public_keys=[keys["alpha"]["pub"]])
    assert out["verified"] is True and out["digest"] == digest
    assert cosign_runner.payload_digests(out["payloads"]) == [digest]
    assert all(keys["alpha"]["password"] not in " ".join(a) for a in cosign.commands)


def test_resigning_reports_no_change(cosign, keys, image):
    ref, _digest = image()
    assert sign(cosign, ref, keys["alpha"])["changed"] is True
    before = tags(cosign_registry(ref), ref)
    again = sign(cosign, ref, keys["alpha"])
    assert again["changed"] is False and again["signed_before"] is True
    assert tags(cosign_registry(ref), ref) == before
    # another key is not "the same key": it signs
    assert sign(cosign, ref, keys["beta"])["changed"] is True


def cosign_registry(ref):
    return cosign_references.parse_reference(ref)["registry"]


def test_verify_with_another_key_fails_clearly(cosign, keys, image):
    ref, _digest = image()
    sign(cosign, ref, keys["alpha"])
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(cosign, ref, public_keys=[keys["beta"]["pub"]])
    assert e.value.reason == "wrong_key"
    assert "not by any of the trusted keys" in e.value.message


def test_unsigned_image_fails_with_no_signature(cosign, keys, image):
    ref, _digest = image()
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(cosign, ref, public_keys=[keys["alpha"]["pub"]])
    assert e.value.reason == "no_signature"
    assert "no signature found" in e.value.message


def test_image_changed_after_signing_fails(cosign, keys, image):
    name = f"bulwark-test/cosign-moved-{uuid.uuid4().hex[:8]}"
    ref, old = image(name=name, content="first build")
    sign(cosign, ref, keys["alpha"])
    ref2, new = image(name=name, content="rebuilt behind our back")  # same tag, new digest
    assert ref2 == ref and new != old
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(cosign, ref, public_keys=[keys["alpha"]["pub"]],
                                  expected_digest=old)
    assert e.value.reason == "digest_mismatch"
    assert new in e.value.message and old in e.value.message
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_image(cosign, ref, public_keys=[keys["alpha"]["pub"]])
    assert e.value.reason == "no_signature"
    # the old digest itself still verifies: the signature was for exactly that content
    assert cosign_flows.verify_image(cosign, ref.rsplit(":", 1)[0] + "@" + old,
                                     public_keys=[keys["alpha"]["pub"]])["verified"]


def test_key_rotation_any_of_two_keys(cosign, keys, image):
    ref_a, _digest_a = image()
    ref_b, _digest_b = image()
    sign(cosign, ref_a, keys["alpha"])
    sign(cosign, ref_b, keys["beta"])
    trusted = [keys["alpha"]["pub"], keys["beta"]["pub"]]
    assert cosign_flows.verify_image(cosign, ref_a,
                                     public_keys=trusted)["verified_keys"] == [trusted[0]]
    assert cosign_flows.verify_image(cosign, ref_b,
                                     public_keys=trusted)["verified_keys"] == [trusted[1]]
    with pytest.raises(cosign_errors.CosignError) as e:  # alpha removed from the trust store
        cosign_flows.verify_image(cosign, ref_a, public_keys=[keys["beta"]["pub"]])
    assert e.value.reason == "wrong_key"
    assert cosign_flows.verify_image(cosign, ref_b, public_keys=[keys["beta"]["pub"]])["verified"]
    with pytest.raises(cosign_errors.CosignError):  # all-of: only one of the two signed ref_a
        cosign_flows.verify_image(cosign, ref_a, public_keys=trusted, mode="all")


@pytest.mark.parametrize(("syft_format", "ptype", "wrong"), [
    ("cyclonedx-json", "cyclonedx", "spdxjson"),
    ("spdx-json", "spdxjson", "cyclonedx"),
])
def test_sbom_attestation_from_syft(cosign, keys, image, lab_tools, tmp_path,
                                    syft_format, ptype, wrong):
    ref, digest = image()
    sbom = tmp_path / "sbom.json"
    env = dict(os.environ, SYFT_REGISTRY_INSECURE_USE_HTTP="true",
               SYFT_CHECK_FOR_APP_UPDATE="false")
    by_digest = cosign_references.by_digest(ref, digest)
    subprocess.run([lab_tools["syft"], f"registry:{by_digest}", "-o",
                    f"{syft_format}={sbom}"], check=True, env=env, capture_output=True)
    res = cosign_flows.attest_image(cosign, ref, keys["alpha"]["key"], predicate_path=str(sbom),
                                    ptype=ptype, password=keys["alpha"]["password"])
    assert res["changed"] is True and res["digest"] == digest
    # syft run again on the same image: new serial/timestamp, same content -> no new attestation
    sbom2 = tmp_path / "sbom-again.json"
    subprocess.run([lab_tools["syft"], f"registry:{by_digest}", "-o",
                    f"{syft_format}={sbom2}"], check=True, env=env, capture_output=True)
    assert sbom2.read_text() != sbom.read_text()
    again = cosign_flows.attest_image(cosign, ref, keys["alpha"]["key"], predicate_path=str(sbom2),
                                      ptype=ptype, password=keys["alpha"]["password"])
    assert again["changed"] is False
    out = cosign_flows.verify_attestation(cosign, ref, ptype, public_keys=[keys["alpha"]["pub"]],
                                          include_predicate=True)
    assert out["attestations"][0]["predicate_type"] == predicates.PREDICATE_TYPES[ptype]
    assert out["attestations"][0]["predicate"] == json.loads(sbom.read_text())
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_attestation(cosign, ref, wrong, public_keys=[keys["alpha"]["pub"]])
    assert e.value.reason == "predicate_mismatch"
    with pytest.raises(cosign_errors.CosignError) as e:
        cosign_flows.verify_attestation(cosign, ref, ptype, public_keys=[keys["beta"]["pub"]])
    assert e.value.reason == "wrong_key"


def test_check_mode_writes_nothing(cosign, keys, image, lab_registry):
    ref, _digest = image()
    before = tags(lab_registry, ref)
    res = sign(cosign, ref, keys["alpha"], check_mode=True)
    assert res["changed"] is True
    assert tags(lab_registry, ref) == before


def test_signatures_cross_versions(lab_tools, keys, image):
    """A legacy signature from either version verifies with the other one."""
    opts = {"insecure_registry": True, "offline": True, "crane": lab_tools["crane"],
            "registry_get": cosign_module.registry_getter()}
    v3 = cosign_runner.Cosign(lab_tools["cosign"], **opts)
    v2 = cosign_runner.Cosign(lab_tools["cosign-2.5.0"], **opts)
    ref_3, _digest_3 = image()
    ref_2, _digest_2 = image()
    sign(v3, ref_3, keys["alpha"])
    sign(v2, ref_2, keys["alpha"])
    assert cosign_flows.verify_image(v2, ref_3, public_keys=[keys["alpha"]["pub"]])["verified"]
    assert cosign_flows.verify_image(v3, ref_2, public_keys=[keys["alpha"]["pub"]])["verified"]


def test_cosign3_bundle_layout_falls_back_to_tag(lab_tools, keys, image, lab_registry):
    """Distribution 2.8 has no referrers API: cosign 3 stores the bundle under sha256-<hex>."""
    v3 = cosign_runner.Cosign(lab_tools["cosign"], insecure_registry=True, offline=True,
                              crane=lab_tools["crane"],
                              registry_get=cosign_module.registry_getter())
    ref, digest = image()
    res = sign(v3, ref, keys["alpha"], fmt="bundle")
    assert res["layout"] == cosign_layouts.LAYOUT_TAG_FALLBACK
    assert cosign_references.signature_tag(digest, "") in tags(lab_registry, ref)
    assert sign(v3, ref, keys["alpha"], fmt="bundle")["changed"] is False
    # a bundle is not the legacy layout containers/image needs: asking for legacy signs again
    legacy = sign(v3, ref, keys["alpha"], fmt="legacy")
    assert legacy["changed"] is True and legacy["layout"] == cosign_layouts.LAYOUT_LEGACY
    assert cosign_flows.verify_image(v3, ref, public_keys=[keys["alpha"]["pub"]],
                                     fmt="bundle")["verified"]
    v2 = cosign_runner.Cosign(lab_tools["cosign-2.5.0"], insecure_registry=True, offline=True)
    with pytest.raises(cosign_errors.CosignError) as e:
        sign(v2, ref, keys["alpha"], fmt="bundle")
    assert e.value.reason == "unsupported"


# --------------------------------------------------------------------------- playbooks
def _vars(tmp_path, **values) -> str:
    path = tmp_path / "vars.json"
    path.write_text(json.dumps(values))
    return f"@{path}"


@pytest.mark.slow
def test_sign_playbook_hides_password_and_is_idempotent(cosign_bin, keys, image, tmp_path):
    refs = [image()[0], image()[0]]
    extra = _vars(tmp_path, sign_images=refs, sign_key=keys["alpha"]["key"],
                  sign_key_password=keys["alpha"]["password"], sign_transparency_log=False,
                  sign_insecure_registry=True, sign_cosign_path=cosign_bin)
    first = run_playbook(["playbooks/sign.yml", "-vvv", "-e", extra])
    output = first.stdout + first.stderr
    assert first.returncode == 0, output[-3000:]
    assert keys["alpha"]["password"] not in output
    assert "VALUE_SPECIFIED_IN_NO_LOG_PARAMETER" in output  # the password was passed, masked
    assert "changed=1" in output and "legacy-sig-tag" in output
    second = run_playbook(["playbooks/sign.yml", "-e", extra])
    assert second.returncode == 0, second.stdout[-3000:]
    assert "changed=0" in second.stdout and "already signed" in second.stdout


@pytest.mark.slow
def test_verify_playbook_any_of_keys_and_clear_refusal(lab_tools, keys, image, tmp_path):
    """verify.yml through ansible-playbook (cosign 3.1.1; both versions share this path)."""
    cosign_bin = lab_tools["cosign"]
    signer = cosign_runner.Cosign(cosign_bin, insecure_registry=True, offline=True)
    pinned = [image(), image()]
    refs = [ref for ref, _digest in pinned]
    for ref in refs:
        sign(signer, ref, keys["alpha"])
    verify = _vars(tmp_path, verify_images=refs, verify_public_keys=[keys["beta"]["pub"],
                   keys["alpha"]["pub"]], verify_transparency_log=False,
                   verify_insecure_registry=True, verify_cosign_path=cosign_bin,
                   verify_expected_digests=dict(pinned))
    ok = run_playbook(["playbooks/verify.yml", "-e", verify])
    assert ok.returncode == 0, ok.stdout[-3000:]
    assert f"verified by {keys['alpha']['pub']}" in ok.stdout
    bad = _vars(tmp_path, verify_images=refs, verify_public_keys=[keys["beta"]["pub"]],
                verify_transparency_log=False, verify_insecure_registry=True,
                verify_cosign_path=cosign_bin)
    refused = run_playbook(["playbooks/verify.yml", "-e", bad])
    assert refused.returncode != 0
    assert "not by any of the trusted keys" in refused.stdout
    assert "reason: wrong_key" in refused.stdout


@pytest.mark.slow
def test_sign_playbook_check_mode_writes_nothing(lab_tools, keys, image, tmp_path, lab_registry):
    refs = [image()[0], image()[0]]
    before = [tags(lab_registry, r) for r in refs]
    extra = _vars(tmp_path, sign_images=refs, sign_key=keys["alpha"]["key"],
                  sign_key_password=keys["alpha"]["password"], sign_transparency_log=False,
                  sign_insecure_registry=True, sign_cosign_path=lab_tools["cosign"])
    dry = run_playbook(["playbooks/sign.yml", "--check", "-e", extra])
    assert dry.returncode == 0, dry.stdout[-3000:]
    assert "changed=1" in dry.stdout and " signed (legacy-sig-tag)" in dry.stdout
    assert [tags(lab_registry, r) for r in refs] == before
