"""The rescan script the trivy role installs (roles/trivy/files/trivy-rescan.py).

Trivy and the container runtimes are absent here, so they are replaced at the process
boundary only: a stand-in `podman` lists two images, and a stand-in `trivy` writes Trivy's
REAL recorded output (fixtures/trivy/alpine-39.json, a golden file from Trivy's integration
tests) to the --output path it is given and records its arguments. The script itself runs
for real under Python, as systemd would run it.
"""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[4] / "roles" / "trivy" / "files" / "trivy-rescan.py"

FAKE_TRIVY = """#!/usr/bin/env python3
import json, os, shutil, sys
args = sys.argv[1:]
with open(os.environ["FAKE_TRIVY_LOG"], "a") as log:
    log.write(json.dumps(args + ["NS=" + os.environ.get("CONTAINERD_NAMESPACE", "")]) + "\\n")
if "--download-db-only" in args or "--download-java-db-only" in args:
    sys.exit(0)
if args[-1] == "broken:latest":
    print("FATAL image scan error", file=sys.stderr)
    sys.exit(1)
shutil.copy(os.environ["FAKE_TRIVY_REPORT"], args[args.index("--output") + 1])
"""

FAKE_CRICTL = """#!/bin/sh
echo '{"images": [{"id": "sha256:1", "repoTags": ["registry.k8s.io/pause:3.10"],
  "repoDigests": []}, {"id": "sha256:2", "repoTags": [],
  "repoDigests": ["docker.io/library/nginx@sha256:abc"]}]}'
"""

FAKE_CTR = """#!/bin/sh
echo "ctr must not be asked when crictl answered" >&2
exit 3
"""

FAKE_PODMAN = """#!/bin/sh
cat <<'JSON'
[{"Id": "a", "Names": ["localhost/app:1.0"]},
 {"Id": "b", "Names": null},
 {"Id": "c", "Names": ["docker.io/library/alpine:3.9"]}%s]
JSON
"""


def severity_counts(report):
    counts = {}
    for result in report.get("Results") or []:
        for vuln in result.get("Vulnerabilities") or []:
            counts[vuln["Severity"]] = counts.get(vuln["Severity"], 0) + 1
    return counts


@pytest.fixture
def node(tmp_path, shared_fixtures):
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()

    def make(extra_image=""):
        for name, body in (("trivy", FAKE_TRIVY), ("podman", FAKE_PODMAN % extra_image)):
            path = bin_dir / name
            path.write_text(body)
            path.chmod(0o755)
        shared = tmp_path / "cache"
        (shared / "db").mkdir(parents=True, exist_ok=True)
        return {
            "PATH": f"{bin_dir}:/usr/bin:/bin",
            "TRIVY_RESCAN_TRIVY": str(bin_dir / "trivy"),
            "TRIVY_RESCAN_CONFIG": "/etc/trivy/trivy.yaml",
            "TRIVY_RESCAN_REPORTS": str(tmp_path / "reports"),
            "TRIVY_RESCAN_SHARED_CACHE": str(shared),
            "TRIVY_RESCAN_CACHE": str(tmp_path / "rescan"),
            "TRIVY_RESCAN_RUNTIMES": "crictl ctr podman docker",
            "TRIVY_RESCAN_HISTORY": "2",
            "FAKE_TRIVY_LOG": str(tmp_path / "trivy.log"),
            "FAKE_TRIVY_REPORT": str(shared_fixtures / "trivy" / "alpine-39.json"),
        }
    return make


def run(env):
    return subprocess.run([sys.executable, str(SCRIPT)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)


def latest_summary(env):
    path = Path(env["TRIVY_RESCAN_REPORTS"]) / "latest" / "summary.json"
    return json.loads(path.read_text())


def calls(env):
    return [json.loads(line) for line in Path(env["FAKE_TRIVY_LOG"]).read_text().splitlines()]


def test_one_report_per_image_and_summary(node, shared_fixtures):
    env = node()
    out = run(env)
    assert out.returncode == 0, out.stderr
    run_dir = Path(env["TRIVY_RESCAN_REPORTS"]) / "latest"
    summary = json.loads((run_dir / "summary.json").read_text())
    assert [i["image"] for i in summary["images"]] == ["localhost/app:1.0",
                                                       "docker.io/library/alpine:3.9"]
    golden = json.loads((shared_fixtures / "trivy" / "alpine-39.json").read_text())
    expected = severity_counts(golden)
    for image in summary["images"]:
        report = json.loads((run_dir / image["report"]).read_text())
        assert report == golden
        assert {k: v for k, v in image["counts"].items() if v} == expected
    totals = {k: v for k, v in summary["totals"].items() if v}
    assert totals == {k: 2 * v for k, v in expected.items()}
    assert summary["runtimes"] == [{"runtime": "podman", "images": 2}]


def test_standalone_scans_use_own_cache_sharing_one_db(node):
    env = node()
    assert run(env).returncode == 0
    db_update, java_db_update, *scans = calls(env)
    assert "--download-db-only" in db_update and "--download-java-db-only" in java_db_update
    for update in (db_update, java_db_update):
        assert update[update.index("--cache-dir") + 1] == env["TRIVY_RESCAN_SHARED_CACHE"]
    caches = {s[s.index("--cache-dir") + 1] for s in scans}
    assert len(caches) == 2 and all(c.startswith(env["TRIVY_RESCAN_CACHE"]) for c in caches)
    for scan in scans:
        assert scan[:2] == ["image", "--config"]
        assert scan[scan.index("--image-src") + 1] == "podman"
        assert "--skip-db-update" in scan and "--server" not in scan
        cache = scan[scan.index("--cache-dir") + 1]
        assert os.readlink(os.path.join(cache, "db")) == os.path.join(
            env["TRIVY_RESCAN_SHARED_CACHE"], "db")


def test_server_mode_scans_through_the_server_with_the_clients_own_java_db(node):
    env = node()
    env["TRIVY_RESCAN_SERVER"] = "http://127.0.0.1:4954"
    assert run(env).returncode == 0
    java_db_update, *scans = calls(env)
    assert "--download-java-db-only" in java_db_update
    assert all("--download-db-only" not in s for s in scans)
    assert all(s[s.index("--server") + 1] == "http://127.0.0.1:4954" for s in scans)
    for scan in scans:  # never the server's cache: its own, linking the shared Java DB
        assert scan[scan.index("--cache-dir") + 1].startswith(env["TRIVY_RESCAN_CACHE"])


def test_java_db_update_follows_its_setting(node):
    env = node()
    env["TRIVY_RESCAN_UPDATE_JAVA_DB"] = "false"
    assert run(env).returncode == 0
    assert not any("--download-java-db-only" in c for c in calls(env))


def test_failed_scan_is_recorded_and_fails_the_unit(node):
    env = node(extra_image=', {"Id": "d", "Names": ["broken:latest"]}')
    out = run(env)
    assert out.returncode == 1
    summary = latest_summary(env)
    broken = [i for i in summary["images"] if i["image"] == "broken:latest"][0]
    assert "FATAL image scan error" in broken["error"] and summary["failed"] == 1


def test_history_is_bounded(node):
    env = node()
    reports = Path(env["TRIVY_RESCAN_REPORTS"])
    reports.mkdir()
    for old in ("20260101T000000Z", "20260102T000000Z", "20260103T000000Z"):
        (reports / old).mkdir()
    assert run(env).returncode == 0
    runs = sorted(p.name for p in reports.iterdir() if p.name != "latest")
    assert len(runs) == 2 and runs[0] == "20260103T000000Z"
    assert os.readlink(reports / "latest") == runs[1]


def test_no_runtime_present_means_empty_summary(node):
    env = node()
    env["TRIVY_RESCAN_RUNTIMES"] = "docker"
    assert run(env).returncode == 0
    summary = latest_summary(env)
    assert summary["images"] == [] and summary["runtimes"] == []
    assert not Path(env["FAKE_TRIVY_LOG"]).exists()


def test_unknown_runtime_is_a_settings_error(node):
    env = node()
    env["TRIVY_RESCAN_RUNTIMES"] = "lxc"
    out = run(env)
    assert out.returncode == 2 and "lxc" in out.stderr


def test_containerd_through_crictl_then_podman(node, tmp_path):
    env = node()
    for name, body in (("crictl", FAKE_CRICTL), ("ctr", FAKE_CTR)):
        path = tmp_path / "bin" / name
        path.write_text(body)
        path.chmod(0o755)
    assert run(env).returncode == 0
    summary = latest_summary(env)
    assert summary["runtimes"] == [{"runtime": "crictl", "images": 2},
                                   {"runtime": "podman", "images": 2}]
    scans = [c for c in calls(env) if "--download-db-only" not in c]
    by_image = {c[-2]: c for c in scans}
    pause = by_image["registry.k8s.io/pause:3.10"]
    assert pause[pause.index("--image-src") + 1] == "containerd" and pause[-1] == "NS=k8s.io"
    assert "docker.io/library/nginx@sha256:abc" in by_image
    app = by_image["localhost/app:1.0"]
    assert app[app.index("--image-src") + 1] == "podman" and app[-1] == "NS="
