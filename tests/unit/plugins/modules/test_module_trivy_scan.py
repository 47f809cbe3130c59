"""The trivy_scan and trivy_gate modules, run in-process with patch_module_args.

Trivy cannot be installed here. trivy_scan's unit tests stand in for it ONLY at the process
boundary: AnsibleModule.run_command is replaced by a function that records the argv and
environment and writes upstream's REAL recorded trivy output (fixtures/trivy/*.json, golden
files of Trivy's integration tests) to the --output path, exactly as trivy would. Nothing
here claims trivy itself ran.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest
from ansible.module_utils import basic
from ansible_collections.bulwark.container_security.plugins.modules import (
    trivy_gate as gate_module,
)
from ansible_collections.bulwark.container_security.plugins.modules import (
    trivy_scan as scan_module,
)
from conftest import run_module

ALL = "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL"
WHOLE = ["--ignore-unfixed=false", "--ignore-status=", "--ignorefile="]


@pytest.fixture
def fake_trivy(monkeypatch, shared_fixtures):
    """Process boundary: record the command, print upstream's recorded report to --output."""
    calls = []
    state = {"fixture": "alpine-39.json", "rc": 0}

    def run_command(self, argv, environ_update=None, **_kw):
        calls.append({"argv": list(argv), "env": dict(environ_update or {})})
        if state["rc"]:
            return state["rc"], "", "FATAL	image scan error: unable to find the specified image"
        output = argv[argv.index("--output") + 1]
        recorded = (shared_fixtures / "trivy" / state["fixture"]).read_text()
        with open(output, "w", encoding="utf-8") as handle:
            handle.write(recorded)
        return 0, "", ""

    monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: "/usr/bin/trivy")
    return calls, state


def test_image_scan_argv_and_gate_on_recorded_output(fake_trivy, capsys, tmp_path):
    """argv is exact; the gate on Trivy's recorded alpine-39 output blocks the 2 CRITICAL."""
    calls, _state = fake_trivy
    report = tmp_path / "alpine.json"
    out = run_module(scan_module, {"target": "alpine:3.9", "report_path": str(report),
                                   "cache_dir": str(tmp_path / "cache-1"),
                                   "junit_path": str(tmp_path / "alpine.xml")}, capsys)
    (call,) = calls
    output = call["argv"][call["argv"].index("--output") + 1]
    assert call["argv"] == [
        "/usr/bin/trivy", "image", "--format", "json", "--quiet", "--exit-code", "0",
        "--severity", ALL, *WHOLE, "--cache-dir", str(tmp_path / "cache-1"), "--output", output,
        "alpine:3.9"]
    assert call["env"] == {}
    assert out["_rc"] == 1 and out["failed"] is True
    assert out["msg"].startswith("trivy gate FAILED")
    assert {f["package"] for f in out["blocking"]} == {"musl", "musl-utils"}
    assert json.loads(report.read_text())["ArtifactName"].endswith("alpine-39.tar.gz")
    assert out["command"][out["command"].index("--output") + 1] == str(report)
    assert len(ET.parse(tmp_path / "alpine.xml").getroot().findall(".//testcase")) == 2


def test_server_mode_token_goes_to_environment_not_argv(fake_trivy, capsys, tmp_path):
    calls, state = fake_trivy
    config = tmp_path / "trivy.yaml"
    config.write_text("vulnerability:\n  ignore-unfixed: true\n")
    state["fixture"] = "npm.json"
    out = run_module(scan_module, {
        "target": "app/", "kind": "fs", "server": "http://127.0.0.1:4954",
        "token": "s3cr3t-token", "token_header": "X-Trivy", "cache_backend": "memory",
        "scanners": ["vuln", "secret"], "skip_db_update": True, "offline_scan": True,
        "db_repositories": ["mirror.local/trivy-db:2", "ghcr.io/aquasecurity/trivy-db:2"],
        "java_db_repositories": ["mirror.local/trivy-java-db:1"], "timeout": "10m",
        "config_file": str(config), "fail_on_blocking": False}, capsys)
    (call,) = calls
    argv = call["argv"]
    output = argv[argv.index("--output") + 1]
    assert argv == [
        "/usr/bin/trivy", "fs", "--format", "json", "--quiet", "--exit-code", "0",
        "--severity", ALL, *WHOLE, "--config", str(config), "--cache-backend", "memory",
        "--scanners", "vuln,secret", "--server", "http://127.0.0.1:4954",
        "--token-header", "X-Trivy", "--skip-db-update", "--offline-scan",
        "--db-repository", "mirror.local/trivy-db:2",
        "--db-repository", "ghcr.io/aquasecurity/trivy-db:2",
        "--java-db-repository", "mirror.local/trivy-java-db:1", "--timeout", "10m",
        "--output", output, "app/"]
    assert call["env"] == {"TRIVY_TOKEN": "s3cr3t-token"}
    assert "s3cr3t-token" not in json.dumps(out)
    assert out["_rc"] is None or out["_rc"] == 0
    assert out["passed"] is True  # npm: one MEDIUM, gate at HIGH


def test_image_archive_and_sbom_argv(fake_trivy, capsys):
    calls, _state = fake_trivy
    run_module(scan_module, {"target": "/tmp/app.tar", "input_archive": True,
                             "fail_on_blocking": False}, capsys)
    run_module(scan_module, {"target": "/tmp/app.cdx.json", "kind": "sbom",
                             "fail_on_blocking": False}, capsys)
    assert calls[0]["argv"][-2:] == ["--input", "/tmp/app.tar"]
    assert calls[1]["argv"][1] == "sbom" and calls[1]["argv"][-1] == "/tmp/app.cdx.json"


def test_check_mode_does_not_scan(fake_trivy, capsys):
    calls, _state = fake_trivy
    out = run_module(scan_module, {"target": "alpine:3.9", "_ansible_check_mode": True}, capsys)
    assert calls == []
    assert out["skipped"] is True and out["changed"] is False
    assert out["command"][:2] == ["trivy", "image"]


def test_trivy_failure_is_reported(fake_trivy, capsys):
    _calls, state = fake_trivy
    state["rc"] = 1
    out = run_module(scan_module, {"target": "nope:latest"}, capsys)
    assert out["failed"] is True and "unable to find the specified image" in out["msg"]


def test_missing_trivy_is_named(monkeypatch, capsys):
    monkeypatch.setattr(basic.AnsibleModule, "get_bin_path",
                        lambda self, name, required=False, opt_dirs=None: None)
    out = run_module(scan_module, {"target": "alpine:3.9"}, capsys)
    assert out["failed"] is True and "trivy is not installed" in out["msg"]


def test_gate_module_ignore_file_and_expiry(shared_fixtures, capsys, tmp_path):
    ignore = tmp_path / ".trivyignore.yaml"
    ignore.write_text("vulnerabilities:\n  - id: CVE-2019-14697\n"
                      "    statement: not reachable\n    expired_at: 2026-11-24\n")
    path = str(shared_fixtures / "trivy" / "alpine-39.json")
    before = run_module(gate_module, {"path": path, "ignore_file": str(ignore),
                                      "today": "2026-11-23"}, capsys)
    after = run_module(gate_module, {"path": path, "ignore_file": str(ignore),
                                     "today": "2026-11-25"}, capsys)
    assert before["passed"] is True and before["_rc"] in (None, 0)
    assert after["failed"] is True
    # Also raised as task warnings (where they land depends on whether controller code is
    # loaded in this process, so only the returned list is asserted strictly).
    assert "expired on 2026-11-24" in json.dumps(after.get("warnings", "expired on 2026-11-24"))
    assert any("expired on 2026-11-24" in w for w in after["gate_warnings"])


def test_gate_module_rejects_entry_without_statement(shared_fixtures, capsys):
    report = str(shared_fixtures / "trivy" / "alpine-39.json")
    out = run_module(gate_module, {"path": report, "ignores": [
        {"id": "CVE-2019-14697", "expired_at": "2099-01-01"}]}, capsys)
    assert out["failed"] is True
    assert "ignores[0] (CVE-2019-14697): 'statement' is required" in out["msg"]


def test_gate_module_check_mode_writes_nothing(shared_fixtures, capsys, tmp_path):
    junit = tmp_path / "out.xml"
    out = run_module(gate_module, {"path": str(shared_fixtures / "trivy" / "npm.json"),
                                   "junit_path": str(junit), "_ansible_check_mode": True}, capsys)
    assert out["changed"] is True and not junit.exists()
    out = run_module(gate_module, {"path": str(shared_fixtures / "trivy" / "npm.json"),
                                   "junit_path": str(junit)}, capsys)
    assert out["changed"] is True and junit.exists()
    again = run_module(gate_module, {"path": str(shared_fixtures / "trivy" / "npm.json"),
                                     "junit_path": str(junit)}, capsys)
    assert again["changed"] is False


@pytest.mark.parametrize("scanners", [["vuln", "secret"], ["misconfig"], ["license", "secret"]])
def test_sbom_scan_with_a_scanner_trivy_sbom_lacks_is_refused_before_running(
        fake_trivy, capsys, scanners):
    calls, _state = fake_trivy
    out = run_module(scan_module, {"target": "/tmp/app.cdx.json", "kind": "sbom",
                                   "scanners": scanners}, capsys)
    assert calls == [] and out["failed"] is True
    assert "trivy sbom accepts only vuln, license" in out["msg"]
    ok = run_module(scan_module, {"target": "/tmp/app.cdx.json", "kind": "sbom",
                                  "scanners": ["vuln", "license"], "fail_on_blocking": False},
                    capsys)
    assert ok.get("failed") is not True and len(calls) == 1


def test_config_file_with_ignore_status_and_ignore_unfixed_is_refused(
        fake_trivy, capsys, tmp_path):
    calls, _state = fake_trivy
    config = tmp_path / "trivy.yaml"
    config.write_text("vulnerability:\n  ignore-unfixed: true\n  ignore-status: [will_not_fix]\n")
    out = run_module(scan_module, {"target": "alpine:3.9", "config_file": str(config)}, capsys)
    assert calls == [] and out["failed"] is True
    assert f"config_file {config} vulnerability: ignore-unfixed true with ignore-status " \
           "[will_not_fix]" in out["msg"]
    config.write_text("vulnerability:\n  ignore-unfixed: false\n  ignore-status: [will_not_fix]\n")
    ok = run_module(scan_module, {"target": "alpine:3.9", "config_file": str(config),
                                  "fail_on_blocking": False}, capsys)
    assert ok.get("failed") is not True and len(calls) == 1


def test_unreadable_config_file_is_refused_naming_it(fake_trivy, capsys, tmp_path):
    calls, _state = fake_trivy
    out = run_module(scan_module, {"target": "alpine:3.9",
                                   "config_file": str(tmp_path / "missing.yaml")}, capsys)
    assert calls == [] and out["failed"] is True
    assert "cannot read config_file" in out["msg"] and "missing.yaml" in out["msg"]
