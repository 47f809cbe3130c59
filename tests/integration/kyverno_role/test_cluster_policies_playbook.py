"""playbooks/cluster_policies.yml and the kyverno role for real (ansible-playbook, render mode
on localhost): the files on disk are exactly what the policy builders return, and a bad setting
stops the play naming its key before anything is written. Apply mode needs a cluster and is not
run here. The role's one end-to-end harness: the molecule scenario it had (kyverno_without_cli)
is test_role_writes_the_bundle_and_suites below.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    suites as kyverno_suites,
)
from conftest import ROOT, run_playbook

EXAMPLE = yaml.safe_load((ROOT / "pulumi" / "Pulumi.example.yaml").read_text())
SETTINGS = EXAMPLE["config"]["bulwark:policy"]


def play(tmp_path, settings, out, *extra):
    varsfile = tmp_path / "vars.json"
    varsfile.write_text(json.dumps({"cluster_policies_settings": settings,
                                    "cluster_policies_output_dir": str(out)}))
    return run_playbook(["playbooks/cluster_policies.yml", "-e", f"@{varsfile}", *extra],
                        timeout=600)


@pytest.mark.slow
def test_render_writes_the_builders_bundle(tmp_path):
    out = tmp_path / "rendered"
    proc = play(tmp_path, SETTINGS, out)
    assert proc.returncode == 0, proc.stdout + proc.stderr

    expected = kyverno_builders.build_bundle(kyverno_settings.Settings.from_dict(SETTINGS))
    written = [d for d in yaml.safe_load_all((out / "bundle.yaml").read_text()) if d]
    assert written == expected
    files = sorted(p.name for p in (out / "policies").iterdir())
    assert len(files) == len(expected)
    for manifest in expected:
        meta = manifest["metadata"]
        name = "-".join(p for p in (manifest["kind"].lower(), meta.get("namespace"),
                                    meta["name"]) if p) + ".yaml"
        assert yaml.safe_load((out / "policies" / name).read_text()) == manifest

    suites = kyverno_suites.build_test_suites(kyverno_settings.Settings.from_dict(SETTINGS))
    on_disk = {str(p.relative_to(out / "tests")): p.read_text()
               for p in (out / "tests").rglob("*") if p.is_file()}
    assert on_disk == suites


@pytest.mark.slow
def test_bad_setting_fails_naming_the_key(tmp_path):
    bad = {**SETTINGS, "namespaces": [{"name": "Payments_Team"}]}
    out = tmp_path / "rendered"
    proc = play(tmp_path, bad, out)
    assert proc.returncode != 0
    assert "namespaces[0].name" in proc.stdout + proc.stderr
    assert not out.exists()


@pytest.mark.slow
def test_native_engine_from_the_role_variable(tmp_path):
    """kyverno_policy_engine=native (an argument_specs choice) writes ValidatingAdmissionPolicies
    and their bindings instead of ValidatingPolicies. Two controls and no test suites keep the
    play to a handful of files (CI time); the builders' side is covered in
    tests/unit/plugins/module_utils/kyverno."""
    from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
        controls,
    )
    keep = ("disallow_host_path", "disallow_privileged_containers")
    settings = {"pod_security": {"disabled_controls": [
        c for c in controls.POD_SECURITY_CONTROLS if c not in keep]}}
    out = tmp_path / "rendered"
    proc = play(tmp_path, settings, out, "-e", "kyverno_policy_engine=native",
                "-e", "kyverno_test_suites_enabled=false")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    written = [d for d in yaml.safe_load_all((out / "bundle.yaml").read_text()) if d]
    assert written == kyverno_builders.build_bundle({**settings, "engine": "native"})
    assert sorted(d["kind"] for d in written) == (["ValidatingAdmissionPolicy"] * 2
                                                  + ["ValidatingAdmissionPolicyBinding"] * 2)
    bad = play(tmp_path, settings, tmp_path / "bad", "-e", "kyverno_policy_engine=gatekeeper")
    assert bad.returncode != 0 and "kyverno_policy_engine" in bad.stdout + bad.stderr


@pytest.mark.slow
def test_max_exception_days_from_the_role_variable(tmp_path):
    """kyverno_max_exception_days (argument_specs int; `-e` gives it as text) bounds how far
    out an exception may expire, over the settings' own max_exception_days key."""
    from datetime import datetime, timedelta, timezone

    from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
        controls,
    )
    keep = ("disallow_host_path",)
    expires = (datetime.now(timezone.utc) + timedelta(days=100)).strftime("%Y-%m-%dT%H:%M:%SZ")
    settings = {"pod_security": {"disabled_controls": [
        c for c in controls.POD_SECURITY_CONTROLS if c not in keep]},
        "max_exception_days": 365,
        "exceptions": [{"name": "agent", "namespace": "team", "policies": list(keep),
                        "workloads": [{"name": "agent", "kind": "DaemonSet"}],
                        "expires_at": expires, "reason": "vendor fix due"}]}
    quick = ("-e", "kyverno_test_suites_enabled=false")
    accepted = play(tmp_path, settings, tmp_path / "ok", *quick)
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    refused = play(tmp_path, settings, tmp_path / "refused", *quick,
                   "-e", "kyverno_max_exception_days=30")
    assert refused.returncode != 0
    assert "expected an expiry at most 30 days from now" in " ".join(refused.stdout.split())
    assert not (tmp_path / "refused").exists()


# ------------------------------------------------ the role itself (was molecule's scenario)
PUBLIC_KEY_LINE = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8Q93QHsUUeeOGsadcUnVdzCxDLky"
ROLE_PLAY = str(ROOT / "tests" / "integration" / "kyverno_role" / "role.yml")


def all_docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


@pytest.mark.slow
def test_role_writes_the_bundle_and_suites(tmp_path):
    """The kyverno role without its CLI (github.com is unreachable here, so
    kyverno_cli_install: false; the CLI's absence is pinned so nobody takes this for a test of
    it): check mode on a fresh directory writes nothing; the converge writes the bundle, one
    file per manifest (0644), the `kyverno test` suites, and removes a stale file of an earlier
    bundle; a second run changes nothing."""
    out = tmp_path / "kyverno"
    args = [ROLE_PLAY, "-e", json.dumps({"kyverno_output_dir": str(out)})]
    check = run_playbook([*args, "--check", "--diff"], timeout=600)
    assert check.returncode == 0, check.stdout + check.stderr
    assert not out.exists()
    (out / "policies").mkdir(parents=True)
    (out / "policies" / "validatingpolicy-retired.yaml").write_text("kind: ValidatingPolicy\n")
    first = run_playbook(args, timeout=600)
    assert first.returncode == 0, first.stdout + first.stderr
    second = run_playbook(args, timeout=600)
    assert second.returncode == 0 and "changed=0" in second.stdout, second.stdout
    assert not Path("/usr/local/bin/kyverno").exists()          # kyverno_bin_dir's default

    files = {str(p.relative_to(out)): p for p in out.rglob("*") if p.is_file()}
    policies = {k.split("/", 1)[1]: p for k, p in files.items() if k.startswith("policies/")}
    assert "validatingpolicy-retired.yaml" not in policies      # the stale file, removed
    kinds = [name.split("-", 1)[0] for name in policies]
    assert kinds.count("validatingpolicy") == 8                 # 11 controls disabled
    assert kinds.count("imagevalidatingpolicy") == 1
    assert kinds.count("policyexception") == 1
    assert kinds.count("namespace") == 1
    assert kinds.count("networkpolicy") == 3                    # deny all, dns, from-gateway
    for name, path in policies.items():
        assert path.stat().st_mode & 0o777 == 0o644, name
        (doc,) = all_docs(path.read_text())
        assert doc["metadata"]["name"] and name.startswith(doc["kind"].lower() + "-")

    bundle = all_docs((out / "bundle.yaml").read_text())
    singles = [all_docs(p.read_text())[0] for p in policies.values()]
    assert sorted(map(json.dumps, bundle)) == sorted(map(json.dumps, singles))
    (ivp,) = [d for d in bundle if d["kind"] == "ImageValidatingPolicy"]
    assert PUBLIC_KEY_LINE in yaml.safe_dump(ivp)
    (exc,) = [d for d in bundle if d["kind"] == "PolicyException"]
    assert exc["metadata"]["namespace"] == "payments"
    assert exc["spec"]["expiresAt"].startswith("2027-03-31")

    tests = {k.split("/", 1)[1]: p for k, p in files.items() if k.startswith("tests/")}
    suites = sorted({k.split("/", 1)[0] for k in tests})
    assert len(suites) == 8
    for suite in suites:
        (test,) = all_docs(tests[f"{suite}/kyverno-test.yaml"].read_text())
        assert test["kind"] == "Test" and test["results"]
        for ref in test.get("policies", []) + test.get("resources", []):
            assert f"{suite}/{ref}" in tests


def _public_key_file(path: Path) -> Path:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    key = ec.generate_private_key(ec.SECP256R1()).public_key()
    path.write_bytes(key.public_bytes(serialization.Encoding.PEM,
                                      serialization.PublicFormat.SubjectPublicKeyInfo))
    return path


@pytest.mark.slow
def test_public_key_files_not_made_yet_are_reported_in_check_mode_and_refused_in_a_real_run(
        tmp_path):
    out = tmp_path / "rendered"
    present = _public_key_file(tmp_path / "ci-runner-01.pub")
    missing = tmp_path / "ci-runner-02.pub"         # what a real run's signer would fetch
    settings = {"image_verification": {"action": "Deny", "image_globs": ["registry.example.com/*"]}}
    files = json.dumps({"kyverno_public_key_files": [str(present), str(missing)]})

    check = play(tmp_path, settings, out, "-e", files, "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    text = " ".join(check.stdout.split())
    assert f"Not known yet: kyverno_public_key_files {missing} does not exist" in text
    assert "without the image verification policy" not in text      # ci-runner-01 signs
    assert not out.exists()

    real = play(tmp_path, settings, out, "-e", files)
    assert real.returncode != 0
    assert f"kyverno_public_key_files: {missing} does not exist on the controller" in \
        " ".join(real.stdout.split())
    assert not out.exists()

    _public_key_file(missing)
    real = play(tmp_path, settings, out, "-e", files)
    assert real.returncode == 0, real.stdout + real.stderr
    (policy,) = [d for d in yaml.safe_load_all((out / "bundle.yaml").read_text())
                 if d and d["kind"] == "ImageValidatingPolicy"]
    keys = [a["cosign"]["key"]["data"] for a in policy["spec"]["attestors"]]
    assert keys == [present.read_text(), missing.read_text()]

    none_yet = json.dumps({"kyverno_public_key_files": [str(tmp_path / "nothing.pub")]})
    check = play(tmp_path, settings, tmp_path / "other", "-e", none_yet, "--check")
    assert check.returncode == 0, check.stdout + check.stderr
    assert "and without the image verification policy, which has no other signer" in \
        " ".join(check.stdout.split())
