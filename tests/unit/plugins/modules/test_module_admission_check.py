# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The offline admission check (module_utils/kyverno/admission.py), its module admission_check
and its command line bin/admission_check.py.

The check builds the whole bundle and judges every resource against every policy in it; its
per-policy verdicts on the pss-tests resources must equal Kyverno's recorded expectations, for
the Kyverno policies and the native ones.
"""
from __future__ import annotations

import copy
import importlib.util
import json
import os
import shutil
import subprocess
import sys
from collections import defaultdict
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
import yaml
from admit_support import UPSTREAM_TO_CONTROL, pss_expectations
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    admission,
    builders,
)
from ansible_collections.bulwark.container_security.plugins.modules import (
    admission_check as module,
)
from conftest import run_module

ROOT = Path(__file__).resolve().parents[4]
DEMO = ROOT / "playbooks" / "lab" / "files" / "admit"
DENY_ALL = {"pod_security": {"default_action": "Deny"}}
HARDENED = yaml.safe_load((DEMO / "hardened-pod.yaml").read_text())
PRIVILEGED = yaml.safe_load((DEMO / "privileged-pod.yaml").read_text())
DENIED_CONTROLS = ["disallow_host_namespaces", "disallow_privilege_escalation",
                   "disallow_privileged_containers"]


def _pod_spec_in(kind: str, pod: dict) -> dict:
    """``pod``'s spec wrapped in a ``kind`` (a pod controller) as its template."""
    template = {"metadata": {"labels": {"app": "x"}}, "spec": copy.deepcopy(pod["spec"])}
    group = {"Job": "batch/v1", "CronJob": "batch/v1"}.get(kind, "apps/v1")
    spec = {"selector": {"matchLabels": {"app": "x"}}, "template": template}
    if kind == "Job":
        spec = {"template": template}
    if kind == "CronJob":
        spec = {"schedule": "@daily", "jobTemplate": {"spec": {"template": template}}}
    return {"apiVersion": group, "kind": kind,
            "metadata": {"name": f"{kind.lower()}-x", "namespace": "payments"}, "spec": spec}


def test_verdicts_on_every_pss_resource_equal_kyverno(shared_fixtures):
    """Each pss-tests directory's resources through the whole bundle at once; the verdict of
    the policy of that directory's control must be Kyverno's for every recorded result. (The
    native policies reach the same verdicts in test_admit_native; the module test below runs
    the check on a native bundle.)"""
    bundle = builders.build_bundle({})
    by_directory = defaultdict(list)
    for case in pss_expectations(shared_fixtures):
        by_directory[case[0]].append(case)
    compared = {"pass": 0, "fail": 0}
    mismatches = []
    for cases in by_directory.values():
        resources = {(kind, name): resource for _d, _u, kind, name, _e, resource in cases}
        report = admission.evaluate(bundle, list(resources.values()))
        by_resource = {(r["kind"], r["name"]): {p["control"]: p for p in r["policies"]}
                       for r in report["resources"]}
        for directory, upstream, kind, name, expected, _resource in cases:
            result = by_resource[(kind, name)][UPSTREAM_TO_CONTROL[upstream]]
            compared[result["verdict"]] += 1
            if result["verdict"] != expected:
                mismatches.append(f"{directory}: {kind}/{name} expected {expected}, "
                                  f"got {result['verdict']}")
            elif expected == "fail":
                assert result["messages"] and result["actions"] == ["Audit"]
    assert not mismatches, "\n".join(mismatches)
    assert compared["pass"] > 100 and compared["fail"] > 100


@pytest.mark.parametrize("engine", admission.CEL_ENGINES)
@pytest.mark.parametrize("kind", ["Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet",
                                  "Job", "CronJob"])
def test_every_pod_kind_is_judged_on_its_pod_spec(kind, engine):
    bundle = builders.build_bundle(DENY_ALL)
    good, bad = HARDENED, PRIVILEGED
    if kind != "Pod":
        good, bad = _pod_spec_in(kind, HARDENED), _pod_spec_in(kind, PRIVILEGED)
    report = admission.evaluate(bundle, [good, bad], engine)
    ok, denied = report["resources"]
    assert ok["allowed"] and {p["verdict"] for p in ok["policies"]} == {"pass"}
    assert len(ok["policies"]) == 19
    assert not denied["allowed"] and report["denied"] == [denied["resource"]]
    assert sorted(p["control"] for p in denied["policies"] if p["denied"]) == DENIED_CONTROLS


def test_audit_only_admits_and_other_kinds_match_nothing():
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    report = admission.evaluate(builders.build_bundle({}), [PRIVILEGED, config_map])
    privileged, other = report["resources"]
    assert privileged["allowed"] and report["denied"] == []
    assert {p["actions"] == ["Audit"] for p in privileged["policies"]} == {True}
    assert other == {"resource": "ConfigMap/default/c", "kind": "ConfigMap",
                     "namespace": "default", "name": "c", "allowed": True, "policies": []}


def test_excluded_namespaces_and_exceptions_skip():
    settings = {**DENY_ALL, "excluded_namespaces": ["ci-runners"], "exceptions": [{
        "name": "agent", "namespace": "payments", "policies": [
            "disallow_host_namespaces", "disallow_privileged_containers",
            "disallow_privilege_escalation"],
        "workloads": [{"name": "privileged", "kind": "Pod"}],
        # within max_exception_days (365): a far-off expiry such as 2099 is refused now
        "expires_at": (datetime.now(timezone.utc) + timedelta(days=30)).strftime(
            "%Y-%m-%dT%H:%M:%SZ")}]}
    in_ci = copy.deepcopy(PRIVILEGED)
    in_ci["metadata"]["namespace"] = "ci-runners"
    other = copy.deepcopy(PRIVILEGED)
    other["metadata"]["name"] = "not-excepted"
    bundle = builders.build_bundle(settings)
    report = admission.evaluate(bundle, [PRIVILEGED, in_ci, other])
    excepted, ci, not_excepted = report["resources"]
    assert excepted["allowed"] and ci["allowed"] and ci["policies"] == []
    skipped = [p for p in excepted["policies"] if p["verdict"] == "skip"]
    assert sorted(p["control"] for p in skipped) == DENIED_CONTROLS
    assert skipped[0]["messages"] == ["exempt by PolicyException payments/agent"]
    assert report["denied"] == ["Pod/payments/not-excepted"] and not not_excepted["allowed"]
    # an exception past its expiresAt exempts nothing
    settings["exceptions"][0]["expires_at"] = "2026-01-01T00:00:00Z"
    expired = admission.evaluate(builders.build_bundle(settings), [PRIVILEGED])
    assert expired["denied"] == ["Pod/payments/privileged"]


def test_cel_error_denies_under_fail_policy_and_image_policies_are_listed():
    bundle = builders.build_bundle({**DENY_ALL, "image_verification": {
        "enabled": True, "public_keys": [_key()], "image_globs": ["127.0.0.1:15000/*"]}})
    no_containers = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "broken"},
                     "spec": {}}
    report = admission.evaluate(bundle, [no_containers])
    errors = [p for p in report["resources"][0]["policies"] if p["verdict"] == "error"]
    assert errors and all(p["denied"] for p in errors)
    assert "CEL evaluation error" in errors[0]["messages"][0]
    assert report["not_evaluated"] == ["ImageValidatingPolicy/bulwark-verify-image-signatures"]


def _key() -> str:
    from admit_support import TEST_KEYS
    return TEST_KEYS[0]


def test_bad_input_is_refused_before_evaluation():
    with pytest.raises(admission.AdmissionError, match="needs apiVersion and kind"):
        admission.evaluate([], [{"metadata": {"name": "x"}}])
    with pytest.raises(admission.AdmissionError, match="without metadata.name"):
        admission.evaluate([], [{"apiVersion": "v1", "kind": "Pod", "metadata": {}}])
    with pytest.raises(admission.AdmissionError, match="unknown CEL engine"):
        admission.evaluate([], [HARDENED], engine="cel-go")


# ---------------------------------------------------------------- the module

def run(args, capsys):
    return run_module(module, args, capsys)


def test_module_admits_the_hardened_pod_and_fails_on_the_privileged_one(capsys):
    out = run({"paths": [str(DEMO / "hardened-pod.yaml")], "policy_settings": DENY_ALL}, capsys)
    assert out["_rc"] == 0 and not out.get("failed") and out["changed"] is False
    assert out["admitted"] == ["Pod/payments/hardened"] and out["denied"] == []
    out = run({"manifests": [PRIVILEGED], "policy_settings": DENY_ALL,
               "cel_engine": "cel-python"}, capsys)
    assert out["failed"] is True and out["denied"] == ["Pod/payments/privileged"]
    assert out["msg"].startswith("admission denied 1 of 1 resource(s): Pod/payments/privileged: ")
    assert "Sharing the host namespaces is disallowed" in out["msg"]
    assert out["summary"][0] == "DENY  Pod/payments/privileged"
    out = run({"manifests": [PRIVILEGED], "policy_settings": DENY_ALL, "fail_on_deny": False},
              capsys)
    assert not out.get("failed") and out["denied"] == ["Pod/payments/privileged"]


def test_module_prints_a_summary_per_resource_and_writes_every_verdict_to_report_path(
        tmp_path, capsys):
    report = tmp_path / "admission.json"
    out = run({"manifests": [HARDENED, PRIVILEGED], "policy_settings": DENY_ALL,
               "report_path": str(report)}, capsys)
    assert out["failed"] is True and out["changed"] is True
    assert out["msg"].startswith(f"admission denied 1 of 2 resource(s) (every verdict: {report}): "
                                 "Pod/payments/privileged: bulwark-disallow-")
    hardened, privileged = out["results"]
    assert hardened == {"resource": "Pod/payments/hardened", "verdict": "admit", "passed": 19,
                        "policies": []}
    assert privileged["verdict"] == "deny" and privileged["passed"] == 19 - len(DENIED_CONTROLS)
    assert sorted(p["control"] for p in privileged["policies"]) == DENIED_CONTROLS
    assert all(p["verdict"] == "fail" and p["denied"] and p["message"]
               for p in privileged["policies"])
    # the summary stays small; the whole report, every verdict, is in the file
    assert len(json.dumps(out)) < len(report.read_text()) / 2
    full = json.loads(report.read_text())
    assert [len(r["policies"]) for r in full["resources"]] == [19, 19]
    assert full["denied"] == ["Pod/payments/privileged"]
    # the same report again changes nothing; check mode writes nothing
    out = run({"manifests": [HARDENED, PRIVILEGED], "policy_settings": DENY_ALL,
               "report_path": str(report), "fail_on_deny": False}, capsys)
    assert out["changed"] is False and out["report_path"] == str(report)
    fresh = tmp_path / "fresh.json"
    out = run({"manifests": [HARDENED], "report_path": str(fresh), "_ansible_check_mode": True},
              capsys)
    assert out["changed"] is True and not fresh.exists()


def test_module_refuses_a_report_path_through_a_symlink(tmp_path, capsys):
    target = tmp_path / "elsewhere.json"
    target.write_text("keep")
    link = tmp_path / "report.json"
    link.symlink_to(target)
    out = run({"manifests": [HARDENED], "report_path": str(link)}, capsys)
    assert out["failed"] is True and "is a symlink; refused" in out["msg"]
    assert target.read_text() == "keep"
    out = run({"manifests": [HARDENED], "report_path": str(tmp_path / "no" / "r.json")}, capsys)
    assert out["failed"] is True and "does not exist" in out["msg"]


def test_module_reads_lists_and_refuses_bad_settings_and_files(tmp_path, capsys):
    listed = tmp_path / "list.yaml"
    listed.write_text(yaml.safe_dump({"apiVersion": "v1", "kind": "List",
                                      "items": [HARDENED, PRIVILEGED]}))
    out = run({"paths": [str(listed)], "policy_settings": {"engine": "native", **DENY_ALL}},
              capsys)
    assert out["denied"] == ["Pod/payments/privileged"]
    assert out["results"][1]["policies"][0]["kind"] == "ValidatingAdmissionPolicy"
    out = run({"paths": [str(listed)], "policy_settings": {"engine": "gatekeeper"}}, capsys)
    assert out["failed"] is True and out["msg"].startswith("policy_settings: engine:")
    out = run({"paths": [str(tmp_path / "missing.yaml")]}, capsys)
    assert out["failed"] is True and "cannot read the manifests" in out["msg"]
    out = run({}, capsys)
    assert out["failed"] is True and out["msg"] == "no manifests: give manifests or paths"


# ---------------------------------------------------------------- the command line

def test_cli_exit_codes_and_output(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("admission_check_cli",
                                                  ROOT / "bin" / "admission_check.py")
    cli = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(cli)
    stack = tmp_path / "Pulumi.dev.yaml"
    stack.write_text(yaml.safe_dump({"config": {"bulwark:policy": DENY_ALL}}))
    hardened, privileged = str(DEMO / "hardened-pod.yaml"), str(DEMO / "privileged-pod.yaml")
    assert cli.main(["--settings", str(stack), hardened]) == 0
    assert capsys.readouterr().out == "ADMIT Pod/payments/hardened\n"
    assert cli.main(["--settings", str(DEMO / "policy.yml"), hardened, privileged]) == 1
    out = capsys.readouterr()
    assert "DENY  Pod/payments/privileged\n" in out.out
    assert "fail  bulwark-disallow-privileged-containers (deny): Privileged containers" in out.out
    assert out.err == "1 admitted, 1 denied\n"
    assert cli.main(["--json", privileged]) == 0            # default settings only audit
    report = json.loads(capsys.readouterr().out)
    assert report["denied"] == [] and len(report["resources"][0]["policies"]) == 19
    bad = tmp_path / "bad.yaml"
    bad.write_text("kind: Pod\n")
    assert cli.main([str(bad)]) == 2
    assert "needs apiVersion and kind" in capsys.readouterr().err
    report = tmp_path / "report.json"
    assert cli.main(["--settings", str(DEMO / "policy.yml"), "--report", str(report),
                     hardened, privileged]) == 1
    out = capsys.readouterr()
    assert "DENY  Pod/payments/privileged\n" in out.out and "{" not in out.out
    assert out.err == f"1 admitted, 1 denied; every verdict in {report}\n"
    assert json.loads(report.read_text())["denied"] == ["Pod/payments/privileged"]
    link = tmp_path / "link.json"
    link.symlink_to(tmp_path / "elsewhere.json")
    assert cli.main(["--report", str(link), hardened]) == 2
    assert "is a symlink; refused" in capsys.readouterr().err
    assert not (tmp_path / "elsewhere.json").exists()


def test_cli_runs_from_an_installed_copy_of_the_collection(tmp_path):
    """bin/ in <path>/ansible_collections/bulwark/container_security imports that copy's
    module_utils (not the checkout's): here a copy with the admission check made to say so."""
    copy_root = tmp_path / "collections" / "ansible_collections" / "bulwark" / "container_security"
    shutil.copytree(ROOT / "bin", copy_root / "bin")
    shutil.copytree(ROOT / "plugins", copy_root / "plugins",
                    ignore=shutil.ignore_patterns("__pycache__", ".ruff_cache"))
    admission_py = copy_root / "plugins" / "module_utils" / "kyverno" / "admission.py"
    admission_py.write_text(admission_py.read_text().replace(
        'lines.append(f"{\'ADMIT\' if res[\'allowed\'] else \'DENY \'} {res[\'resource\']}")',
        'lines.append(f"installed copy: {res[\'resource\']}")'))
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    res = subprocess.run([sys.executable, "-B", str(copy_root / "bin" / "admission_check.py"),
                          str(DEMO / "hardened-pod.yaml")], capture_output=True, text=True,
                         env=env, cwd=tmp_path, check=False)
    assert res.returncode == 0, res.stderr
    assert res.stdout == "installed copy: Pod/payments/hardened\n"
    assert not (copy_root / ".collections").exists()     # no checkout link made in a copy
