"""playbooks/cluster_policies.yml for real (ansible-playbook, render mode on localhost): the
files on disk are exactly what the policy builders return, and a bad setting stops the play
naming its key before anything is written. Apply mode needs a cluster and is not run here.
"""
from __future__ import annotations

import json

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
