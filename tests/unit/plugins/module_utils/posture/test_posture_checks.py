# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Each posture check's pass / warn / fail, on facts read from crafted node directories."""

from __future__ import annotations

import copy

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture import (
    checks,
    cluster,
    node,
)

NOW = "2026-11-27T12:00:00+00:00"


def by_id(found):
    return {c["id"]: c for c in found}


def facts_of(params, collected=NOW):
    """The readers of node.py on the crafted files (no systemd, no binaries: those are set here)."""
    service = {"load": "loaded", "active": "active", "enabled": "enabled"}
    tool = {
        "name": "cosign",
        "installed": True,
        "path": "/usr/local/bin/cosign",
        "real_path": "/opt/bulwark/tools/cosign/3.1.1/cosign",
        "version": "3.1.1",
        "answer": "v3.1.1",
        "pinned": "3.1.1",
        "pattern": None,
        "expected": True,
        "matches": True,
    }
    falco = node.falco_facts(params["falco"], service)
    falco.update(installed=True, path="/usr/bin/falco")
    return {
        "collected": collected,
        "tools": [tool],
        "ship": {
            "trusted_keys": node.trusted_keys(params["ship"]["trusted_keys_dir"]),
            "policy": node.policy_summary(params["ship"]["policy_path"]),
            "sigstore": node.sigstore_capability(params["ship"]["policy_readers"]),
        },
        "run": {"falco": falco, "seccomp": node.seccomp_facts(params["seccomp"]["dir"])},
        "build": {
            "rescan": dict(
                node.rescan_facts(params["rescan"]["reports_dir"], collected, service),
                schedule="daily",
            )
        },
    }


def test_converged_node_passes_everything(node_dir):
    found = checks.node_checks(facts_of(node_dir()))
    assert {c["id"]: c["status"] for c in found} == dict.fromkeys(
        [
            "ship.tool.cosign",
            "ship.trust_store",
            "ship.sigstore_capable",
            "ship.signature_enforcement",
            "run.falco_installed",
            "run.falco_service",
            "run.falco_rules",
            "run.seccomp_profiles",
            "build.rescan",
            "build.image_vulnerabilities",
        ],
        "pass",
    ) | {"ship.policy_default": "warn"}
    assert all(c["reason"] and "\n" not in c["reason"] for c in found)
    assert by_id(found)["ship.signature_enforcement"]["nist"].startswith("4.1.5")


def test_debian12_build_fails_enforcement_with_the_reason(node_dir):
    found = by_id(checks.node_checks(facts_of(node_dir(sigstore=False))))
    capable = found["ship.sigstore_capable"]
    assert (
        capable["status"] == "fail"
        and "Debian-local change: sigstore disabled" in capable["reason"]
    )
    enforcement = found["ship.signature_enforcement"]
    assert (
        enforcement["status"] == "fail"
        and "sigstore verification disabled" in enforcement["reason"]
    )
    assert enforcement["fix"] == "cosign_enforce"
    line = checks.verdict("deb12", list(found.values()))["line"]
    assert line.startswith("deb12: FAIL") and "ship.signature_enforcement" in line


def test_debian12_without_enforcement_says_why(node_dir):
    found = by_id(checks.node_checks(facts_of(node_dir(enforce=False, sigstore=False))))
    reason = found["ship.signature_enforcement"]["reason"]
    assert reason.startswith("signatures cannot be enforced here: ")
    assert "Debian-local change: sigstore disabled" in reason


def test_debian12_without_any_container_tool(tmp_path):
    (tmp_path / "os-release").write_text(
        'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n')
    release = node.os_release(str(tmp_path / "os-release"))
    assert release == ("debian", "12")
    fact = node.sigstore_capability([str(tmp_path / "none")], release=release)
    ship = {"trusted_keys": [], "policy": node.policy_summary(str(tmp_path / "p.json")),
            "sigstore": fact}
    found = by_id(checks.ship_checks(ship))
    assert found["ship.sigstore_capable"]["status"] == "fail"
    assert "Debian 12's skopeo and podman packages" in found["ship.signature_enforcement"]["reason"]


def test_no_enforcement_fails(node_dir):
    found = by_id(checks.node_checks(facts_of(node_dir(enforce=False))))
    assert found["ship.signature_enforcement"]["status"] == "fail"
    assert "cosign_enforce: false" in found["ship.signature_enforcement"]["reason"]


def test_missing_key_file_and_policy(node_dir, tmp_path):
    params = node_dir()
    facts = facts_of(params)
    (tmp_path / "node/keys/lab.pub").unlink()
    facts["ship"]["policy"] = node.policy_summary(params["ship"]["policy_path"])
    facts["ship"]["trusted_keys"] = node.trusted_keys(params["ship"]["trusted_keys_dir"])
    found = by_id(checks.ship_checks(facts["ship"]))
    assert found["ship.trust_store"]["status"] == "fail"
    assert "key files that are absent" in found["ship.signature_enforcement"]["reason"]
    facts["ship"]["policy"] = node.policy_summary(str(tmp_path / "absent.json"))
    assert (
        by_id(checks.ship_checks(facts["ship"]))["ship.signature_enforcement"]["status"] == "fail"
    )


def test_no_container_tool_warns(tmp_path):
    fact = node.sigstore_capability([str(tmp_path / "none")], release=("debian", "13"))
    assert fact["capable"] is None
    ship = {
        "trusted_keys": [],
        "policy": node.policy_summary(str(tmp_path / "p.json")),
        "sigstore": fact,
    }
    assert by_id(checks.ship_checks(ship))["ship.sigstore_capable"]["status"] == "warn"


@pytest.mark.parametrize(
    "change, status",
    [
        ({"installed": False}, "fail"),
        ({"installed": False, "expected": False}, "warn"),
        ({"matches": False, "version": "2.5.0"}, "fail"),
        ({"matches": None, "pinned": None}, "warn"),
    ],
)
def test_tool_statuses(change, status):
    tool = {
        "name": "trivy",
        "installed": True,
        "path": "/usr/local/bin/trivy",
        "real_path": "/x",
        "version": "0.75.0",
        "answer": "Version: 0.75.0",
        "pinned": "0.75.0",
        "pattern": None,
        "expected": True,
        "matches": True,
    }
    tool.update(change)
    (found,) = checks.tool_checks([tool])
    assert (found["id"], found["status"], found["layer"]) == ("build.tool.trivy", status, "build")


def test_tool_fact_asks_the_binary(tmp_path, monkeypatch):
    monkeypatch.setattr(node, "find_binary", lambda name, search_path=None: "/usr/local/bin/cosign")
    answers = iter([(0, "GitVersion:    v3.1.1\n", ""), (0, "GitVersion:    devel\n", "")])

    def runner(argv):  # stands in at the process boundary: what cosign 3.1.1 / a devel build print
        return next(answers)

    fact = node.tool_fact({"name": "cosign", "pinned": "3.1.1"}, runner)
    assert (fact["version"], fact["matches"]) == ("3.1.1", True)
    fact = node.tool_fact({"name": "cosign", "pinned": "3.1.1", "pattern": "devel"}, runner)
    assert fact["matches"] is True and fact["version"] is None


def test_run_checks(node_dir, tmp_path):
    facts = facts_of(node_dir())
    run = copy.deepcopy(facts["run"])
    run["falco"].update(installed=False)
    run["falco"]["service"].update(active="inactive")
    found = by_id(checks.run_checks(run))
    assert (found["run.falco_installed"]["status"], found["run.falco_service"]["status"]) == (
        "fail",
        "fail",
    )
    run["falco"]["validation"] = {"result": "failed", "time": NOW, "source": "record"}
    assert by_id(checks.run_checks(run))["run.falco_rules"]["status"] == "fail"
    run["falco"]["validation"] = {"result": "unknown", "time": None, "source": None}
    assert by_id(checks.run_checks(run))["run.falco_rules"]["status"] == "warn"
    run["falco"]["rules"] = []
    assert by_id(checks.run_checks(run))["run.falco_rules"]["status"] == "fail"
    assert facts["run"]["seccomp"]["profiles"][0]["syscalls"] > 100
    (tmp_path / "node/seccomp/loose.json").write_text('{"defaultAction": "SCMP_ACT_ALLOW"}')
    run["seccomp"] = node.seccomp_facts(str(tmp_path / "node/seccomp"))
    assert by_id(checks.run_checks(run))["run.seccomp_profiles"]["status"] == "warn"
    (tmp_path / "node/seccomp/broken.json").write_text("{")
    run["seccomp"] = node.seccomp_facts(str(tmp_path / "node/seccomp"))
    assert by_id(checks.run_checks(run))["run.seccomp_profiles"]["status"] == "fail"
    run["seccomp"] = node.seccomp_facts(str(tmp_path / "absent"))
    assert by_id(checks.run_checks(run))["run.seccomp_profiles"]["status"] == "fail"


def test_driver_and_validation_time(node_dir):
    facts = facts_of(node_dir())
    assert facts["run"]["falco"]["driver"] == "modern_ebpf"
    assert facts["run"]["falco"]["validation"]["result"] == "passed"


@pytest.mark.parametrize(
    "kwargs, collected, rescan, vulns",
    [
        ({}, NOW, "pass", "pass"),
        ({"high": 2}, NOW, "pass", "warn"),
        ({"critical": 1, "high": 2}, NOW, "pass", "fail"),
        ({}, "2026-11-29T10:00:01+00:00", "fail", "pass"),  # more than 2 x daily
    ],
)
def test_build_checks(node_dir, kwargs, collected, rescan, vulns):
    found = by_id(checks.build_checks(facts_of(node_dir(**kwargs), collected)["build"]))
    assert (found["build.rescan"]["status"], found["build.image_vulnerabilities"]["status"]) == (
        rescan,
        vulns,
    )
    if vulns == "fail":
        # the summary names x.json, which this node does not have: said, not passed over
        assert (
            found["build.image_vulnerabilities"]["reason"]
            == "1 CRITICAL in docker.io/library/nginx:1.27 (CVE details unreadable for "
            "docker.io/library/nginx:1.27)"
        )
        assert found["build.image_vulnerabilities"]["fix"].startswith("rebuild the image")


def test_build_without_summary_fails(tmp_path):
    rescan = dict(
        node.rescan_facts(
            str(tmp_path), NOW, {"load": "loaded", "active": "active", "enabled": "enabled"}
        ),
        schedule="daily",
    )
    (found,) = checks.build_checks({"rescan": rescan})
    assert found["status"] == "fail" and found["fix"] == "trivy_rescan_enabled"


def test_schedule_period():
    assert checks.schedule_period("weekly") == 7 * 86400
    assert checks.schedule_period("Mon *-*-* 03:00") == 86400


def test_cluster_checks_from_the_bundle():
    bundle = build_bundle(
        {
            "pod_security": {
                "default_action": "Audit",
                "actions": {"require_run_as_non_root": ["Deny"]},
            },
            "namespaces": [{"name": "payments"}],
        }
    )
    summary = cluster.cluster_summary(bundle)
    found = by_id(cluster.cluster_checks(summary))
    assert found["admit.policy.require_run_as_non_root"]["status"] == "pass"
    audit = found["admit.policy.disallow_privilege_escalation"]
    assert audit["status"] == "warn" and "Audit only" in audit["reason"]
    assert (
        audit["fix"] == "kyverno_policy_settings.pod_security.actions.disallow_privilege_escalation"
    )
    assert found["admit.namespace.payments.pod_security"]["status"] == "pass"
    assert found["admit.namespace.payments.network"]["status"] == "pass"
    assert found["admit.image_signatures"]["status"] == "fail"
    bare = {
        "policies": [],
        "namespaces": [{"name": "legacy", "enforce": "baseline", "network_policies": []}],
    }
    found = by_id(cluster.cluster_checks(bare))
    assert found["admit.namespace.legacy.pod_security"]["status"] == "warn"
    assert found["admit.namespace.legacy.network"]["status"] == "fail"


SAME_SETTINGS = {
    "pod_security": {"default_action": "Audit"},
    "namespaces": [{"name": "payments"}],
}


def test_native_engine_gives_the_same_warnings_as_kyverno():
    """Issue 23: with engine native the actions live on the bindings; posture reads them, so
    the same settings give the same 19 Audit-only warnings, not 19 'no validation action'."""
    found = {}
    for engine in ("kyverno", "native"):
        bundle = build_bundle(dict(SAME_SETTINGS, engine=engine))
        found[engine] = cluster.cluster_checks(cluster.cluster_summary(bundle))
    policy_checks = [c for c in found["native"] if c["id"].startswith("admit.policy.")]
    assert len(policy_checks) == 19
    assert {c["status"] for c in policy_checks} == {"warn"}
    assert all("Audit only, violations are admitted" in c["reason"] for c in policy_checks)
    assert found["native"] == found["kyverno"]
    native = cluster.cluster_summary(build_bundle(dict(SAME_SETTINGS, engine="native")))
    assert {p["kind"] for p in native["policies"]} == {"ValidatingAdmissionPolicy"}
    deny = dict(SAME_SETTINGS, engine="native",
                pod_security={"default_action": "Audit",
                              "actions": {"require_run_as_non_root": "Deny"}})
    found = by_id(cluster.cluster_checks(cluster.cluster_summary(build_bundle(deny))))
    assert found["admit.policy.require_run_as_non_root"]["status"] == "pass"


def test_legacy_image_policy_reads_its_failure_action():
    """The ClusterPolicy keeps its action in verifyImages[].failureAction (Enforce: Deny)."""
    key = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----"
    images = {"public_keys": [key], "image_globs": ["registry.example.com/*"],
              "legacy_cluster_policy": True}
    for action, status in (("Deny", "pass"), ("Audit", "warn")):
        bundle = build_bundle(dict(SAME_SETTINGS, image_verification=dict(images, action=action)))
        (image,) = [c for c in cluster.cluster_checks(cluster.cluster_summary(bundle))
                    if c["id"].startswith("admit.image_policy.")]
        assert image["status"] == status, image


def test_a_bundle_whose_actions_cannot_be_read_is_refused():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.bulwark.container_security.plugins.filter.posture import (
        posture_report,
    )

    bundle = build_bundle(dict(SAME_SETTINGS, engine="native"))
    unbound = [m for m in bundle if m["kind"] != "ValidatingAdmissionPolicy"]
    with pytest.raises(AnsibleFilterError, match="binds 'bulwark-[a-z-]+', which is no "
                                                 "ValidatingAdmissionPolicy"):
        posture_report({}, unbound)
    without_bindings = [m for m in bundle if m["kind"] != "ValidatingAdmissionPolicyBinding"]
    found = cluster.cluster_checks(cluster.cluster_summary(without_bindings))
    policy_checks = [c for c in found if c["id"].startswith("admit.policy.")]
    assert {c["status"] for c in policy_checks} == {"fail"}    # not bound: enforces nothing


def test_image_checks():
    ok = {
        "failed": False,
        "verified": True,
        "verified_keys": ["/k.pub"],
        "digest": "sha256:" + "a" * 64,
    }
    att = {
        "failed": False,
        "attestations": [{"predicate": {"metadata": {"scanFinishedOn": "2026-11-27T10:00:00Z"}}}],
    }
    state = cluster.image_state("reg/app", ok, att, NOW)
    assert [c["status"] for c in cluster.image_checks(state)] == ["pass", "pass"]
    state = cluster.image_state("reg/app", ok, att, "2026-12-27T10:00:00+00:00")
    assert [c["status"] for c in cluster.image_checks(state)] == ["pass", "fail"]
    # registered with failed_when: false, a failed verification says failed: false
    state = cluster.image_state(
        "reg/app",
        {"failed": False, "reason": "no_signature", "digest": "sha256:" + "a" * 64},
        {"failed": False, "reason": "no_attestation", "digest": "sha256:" + "a" * 64},
        NOW,
    )
    found = cluster.image_checks(state)
    assert [c["status"] for c in found] == ["fail", "fail"] and "no_signature" in found[0]["reason"]


def test_unknown_status_is_refused():
    with pytest.raises(ValueError, match="status 'ok'"):
        checks.check("run.x", "ok", "r", "run", "run")


def test_image_rules_reach_the_cluster_column_with_their_actions():
    """The image rules come from the same settings as the bundle: each enabled rule is a
    policy check of its own, passing when it denies, warning while it only audits."""
    settings = {"image_rules": {"allowed_registries": {"action": "Deny",
                                                       "registries": ["registry.example"]},
                                "disallow_latest_tag": {"action": "Audit"}}}
    for engine in ("kyverno", "native"):
        checks = cluster.cluster_checks(cluster.cluster_summary(
            build_bundle(dict(settings, engine=engine))))
        by_id = {c["id"]: c["status"] for c in checks}
        assert by_id["admit.policy.allowed_registries"] == "pass"
        assert by_id["admit.policy.disallow_latest_tag"] == "warn"
        assert "admit.policy.require_digest" not in by_id
