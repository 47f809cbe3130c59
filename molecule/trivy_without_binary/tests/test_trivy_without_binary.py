"""What the trivy role leaves on a node where Trivy itself is absent (install method none).

Everything here is real: files, modes, systemd units and their enablement, the rescan script
run by Python on the node. Left out, because they need the trivy binary: the server answering
on its port and a scan producing findings.
"""
import json

import yaml

SERVER_UNIT = "trivy-server.service"


def test_trivy_is_absent(host):
    assert not host.exists("trivy")
    assert not host.file("/usr/local/bin/trivy").exists


def test_trivy_yaml_written_from_variables(host):
    f = host.file("/etc/trivy/trivy.yaml")
    assert f.is_file and f.user == "root" and f.mode == 0o644
    config = yaml.safe_load(f.content_string)
    assert config["severity"] == ["HIGH", "CRITICAL"]
    assert config["exit-code"] == 1
    assert config["vulnerability"] == {"ignore-unfixed": True}
    assert config["db"]["repository"] == ["127.0.0.1:15000/aquasecurity/trivy-db:2"]
    assert config["db"]["java-repository"] == ["127.0.0.1:15000/aquasecurity/trivy-java-db:1"]
    assert config["cache"] == {"dir": "/var/cache/trivy", "backend": "fs"}
    assert config["server"] == {"addr": "http://127.0.0.1:4954", "listen": "127.0.0.1:4954"}
    assert config["scan"]["skip-version-check"] is True
    assert config["scan"]["disable-telemetry"] is True
    assert config["ignorefile"] == "/etc/trivy/.trivyignore.yaml"
    assert "molecule-test-token" not in f.content_string


def test_ignore_file_carries_statement_and_expiry(host):
    f = host.file("/etc/trivy/.trivyignore.yaml")
    assert f.is_file and f.mode == 0o644
    policy = yaml.safe_load(f.content_string)
    vuln = policy["vulnerabilities"][0]
    assert vuln["id"] == "CVE-2019-14697"
    assert str(vuln["expired_at"]) == "2027-03-31"
    assert vuln["statement"].startswith("musl")
    misconf = policy["misconfigurations"][0]
    assert misconf["id"] == "AVD-DS-0002" and misconf["paths"] == ["Dockerfile"]
    # Unquoted date: Trivy reads expired_at as a timestamp.
    assert "expired_at: 2027-03-31" in f.content_string


def test_tokens_only_in_private_env_files(host):
    for name in ("server.env", "client.env"):
        f = host.file(f"/etc/trivy/{name}")
        assert f.is_file and f.user == "root" and f.mode == 0o600
        assert "TRIVY_TOKEN=molecule-test-token-not-a-secret" in f.content_string


def test_server_unit_enabled_but_not_running_without_binary(host):
    unit = host.file(f"/etc/systemd/system/{SERVER_UNIT}")
    assert "ConditionFileIsExecutable=/usr/local/bin/trivy" in unit.content_string
    assert "--listen 127.0.0.1:4954" in unit.content_string
    assert "--skip-db-update" in unit.content_string
    assert "EnvironmentFile=-/etc/trivy/server.env" in unit.content_string
    service = host.service(SERVER_UNIT)
    assert service.is_enabled
    assert not service.is_running
    # Starting it is a clean no-op (condition not met), not a failure.
    assert host.run(f"systemctl start {SERVER_UNIT}").rc == 0
    show = host.check_output(f"systemctl show -p ConditionResult -p ActiveState {SERVER_UNIT}")
    assert "ConditionResult=no" in show
    assert "ActiveState=failed" not in show


def test_rescan_timer_enabled_and_active_service_timer_driven(host):
    timer = host.service("trivy-rescan.timer")
    assert timer.is_enabled and timer.is_running
    timer_unit = host.file("/etc/systemd/system/trivy-rescan.timer").content_string
    assert "OnCalendar=daily" in timer_unit and "Persistent=true" in timer_unit
    # The service has no [Install] section: only the timer starts it.
    state = host.run("systemctl is-enabled trivy-rescan.service").stdout.strip()
    assert state == "static"
    env = host.file("/etc/trivy/rescan.env").content_string
    assert "TRIVY_RESCAN_SERVER=http://127.0.0.1:4954" in env
    assert "TRIVY_RESCAN_HISTORY=3" in env
    assert "TRIVY_RESCAN_RUNTIMES=crictl,ctr,podman,docker" in env


def test_rescan_script_runs_on_the_node(host):
    """The real script under the node's python3, with no container runtime present."""
    out = host.run("set -a; . /etc/trivy/rescan.env; set +a; "
                   "TRIVY_RESCAN_REPORTS=/tmp/rescan-verify "
                   "python3 /usr/local/sbin/bulwark-trivy-rescan")
    assert out.rc == 0, out.stderr
    summary = json.loads(host.file("/tmp/rescan-verify/latest/summary.json").content_string)
    assert summary["images"] == [] and summary["failed"] == 0
    assert summary["server"] == "http://127.0.0.1:4954"
    host.run("rm -rf /tmp/rescan-verify")


def test_db_seed_unpacked_into_cache(host):
    meta = host.file("/var/cache/trivy/db/metadata.json")
    assert meta.is_file
    assert json.loads(meta.content_string)["Version"] == 2
    assert host.file("/var/cache/trivy/db/trivy.db").is_file
