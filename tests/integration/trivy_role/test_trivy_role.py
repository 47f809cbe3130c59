"""The trivy role run for real by ansible-playbook on localhost, into a scratch root.

Proves the order of operations: settings are checked against Trivy's schema (made strict) and
the ignore policy before anything is written, so a bad severity, a negative timeout, an
unknown key or an ignore entry without a statement stops the play and leaves the existing
files byte-for-byte unchanged; a denylisted Trivy version is refused before any request
reaches the download server. Install method `none` (Trivy cannot be installed here), no
systemd units (those are covered by molecule/trivy_without_binary).
"""
import http.server
import json
import threading

import pytest
import yaml
from conftest import lab_mirror_trust, run_playbook

PLAYBOOK = "tests/integration/trivy_role/configure_only.yml"


def play(tmp_path, extra=None, check=False):
    settings = {
        "trivy_install_method": "none",
        "trivy_config_dir": str(tmp_path / "etc" / "trivy"),
        "trivy_cache_dir": str(tmp_path / "cache"),
        "trivy_ignore_entries": [{"id": "CVE-2019-14697", "statement": "not reachable",
                                  "expired_at": "2027-01-31"}],
    }
    settings.update(extra or {})
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps(settings))
    args = [PLAYBOOK, "-e", f"@{varfile}"] + (["--check", "--diff"] if check else [])
    return run_playbook(args, timeout=300)


@pytest.fixture(scope="module")
def configured(tmp_path_factory):
    tmp_path = tmp_path_factory.mktemp("trivy-root")
    proc = play(tmp_path)
    assert proc.returncode == 0, proc.stdout[-3000:]
    config = tmp_path / "etc" / "trivy" / "trivy.yaml"
    ignore = tmp_path / "etc" / "trivy" / ".trivyignore.yaml"
    return tmp_path, config, ignore


def snapshot(*paths):
    return [(p.read_bytes(), p.stat().st_mtime_ns) for p in paths]


def test_writes_config_and_ignore_file_then_is_idempotent(configured):
    tmp_path, config, ignore = configured
    document = yaml.safe_load(config.read_text())
    assert document["severity"] == ["HIGH", "CRITICAL"]
    assert document["timeout"] == "5m"
    assert document["ignorefile"] == str(ignore)
    policy = yaml.safe_load(ignore.read_text())
    assert policy["vulnerabilities"][0]["statement"] == "not reachable"
    again = play(tmp_path)
    assert again.returncode == 0
    assert "changed=0" in again.stdout, again.stdout[-2000:]


@pytest.mark.parametrize("extra, message", [
    ({"trivy_severity": ["HIGH", "SEVERE"]}, "trivy.yaml severity.1: 'SEVERE' is not one of"),
    ({"trivy_timeout": "-5m"}, "trivy.yaml timeout: '-5m' is not a non-negative Go duration"),
    ({"trivy_config_extra": {"scan": {"offlne": True}}}, "('offlne' was unexpected)"),
    ({"trivy_config_extra": {"severities": ["LOW"]}}, "('severities' was unexpected)"),
])
def test_bad_config_refused_and_existing_file_untouched(configured, extra, message):
    tmp_path, config, ignore = configured
    before = snapshot(config, ignore)
    proc = play(tmp_path, extra)
    assert proc.returncode != 0
    assert "trivy.yaml was not written" in proc.stdout and message in proc.stdout, \
        proc.stdout[-3000:]
    assert snapshot(config, ignore) == before


def test_ignore_entry_without_statement_refused_files_untouched(configured):
    tmp_path, config, ignore = configured
    before = snapshot(config, ignore)
    no_statement = [{"id": "CVE-2020-1", "expired_at": "2027-01-01"}]
    proc = play(tmp_path, {"trivy_ignore_entries": no_statement, "trivy_severity": ["LOW"]})
    assert proc.returncode != 0
    assert ".trivyignore.yaml was not written" in proc.stdout
    assert "is required: say why this finding is accepted" in proc.stdout
    assert snapshot(config, ignore) == before


def test_check_mode_on_a_fresh_root_writes_nothing(tmp_path):
    proc = play(tmp_path, check=True)
    assert proc.returncode == 0, proc.stdout[-3000:]
    assert not (tmp_path / "etc").exists()
    assert "+severity:" in proc.stdout or "severity:" in proc.stdout


class _Recorder(http.server.BaseHTTPRequestHandler):
    requests = []

    def do_GET(self):  # noqa: N802 (http.server API)
        _Recorder.requests.append(self.path)
        self.send_error(404)

    def log_message(self, *args):
        pass


@pytest.mark.parametrize("version", ["0.69.4", "v0.69.6"])
def test_compromised_versions_refused_before_any_download(tmp_path, version):
    server = http.server.HTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    _Recorder.requests = []
    try:
        proc = play(tmp_path, {
            "trivy_install_method": "release",
            "trivy_version": version,
            "trivy_mirror_url": f"http://127.0.0.1:{server.server_port}",
            # plain HTTP on loopback, opted in; it serves no file, so there is nothing to pin
            **lab_mirror_trust(pins={}),
            "trivy_bin_dir": str(tmp_path / "bin"),
        })
    finally:
        server.shutdown()
    assert proc.returncode != 0
    bare = version.lstrip("v")
    assert f"trivy {bare} is refused: CVE-2026-33634" in proc.stdout, proc.stdout[-3000:]
    assert _Recorder.requests == []
    assert not (tmp_path / "bin").exists()
    assert not (tmp_path / "etc").exists()
