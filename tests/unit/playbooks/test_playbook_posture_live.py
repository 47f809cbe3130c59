# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""playbooks/posture.yml and its cluster and history options, on the controller itself.

Without posture_kubeconfig the play must not need kubernetes.core: it runs here with the
collections of the worktree only (ANSIBLE_COLLECTIONS_SCAN_SYS_PATH off hides the venv's
`ansible` package, where kubernetes.core lives). With a kubeconfig the real k8s_info of the
venv's kubernetes.core runs against a loopback port nothing listens on (there is no API server
here): every kind is then "unknown" in a report that still validates, and the previous report
given is shown beside the new one.
"""
from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.live import (
    LIVE_KINDS,
)

ROOT = Path(__file__).resolve().parents[3]
PLAYBOOK = ROOT / "playbooks" / "posture.yml"
LIVE_TASKS = ROOT / "playbooks" / "tasks" / "posture_cluster_live.yml"


def run(tmp_path, extra, scan_sys_path=True):
    # no node (test_playbook_posture.py reads nodes): the cluster side and the history alone
    (tmp_path / "inventory.yml").write_text(yaml.safe_dump({"all": {"hosts": {"localhost": {
        "ansible_connection": "local", "ansible_python_interpreter": sys.executable}}}}))
    extra = dict(extra, posture_hosts="bulwark_no_such_group")
    env = dict(os.environ, ANSIBLE_COLLECTIONS_PATH=str(ROOT / ".collections"),
               ANSIBLE_CONFIG=str(ROOT / "ansible.cfg"), ANSIBLE_NOCOLOR="1",
               ANSIBLE_COLLECTIONS_SCAN_SYS_PATH="true" if scan_sys_path else "false")
    res = subprocess.run([str(Path(sys.executable).parent / "ansible-playbook"), "-i",
                          str(tmp_path / "inventory.yml"), str(PLAYBOOK), "-e", json.dumps(extra)],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=300,
                         check=False)
    assert res.returncode == 0, res.stdout[-3000:] + res.stderr[-2000:]
    return res


def test_the_live_tasks_ask_for_the_kinds_the_report_reads():
    (task,) = yaml.safe_load(LIVE_TASKS.read_text())
    assert [(i["api_version"], i["kind"]) for i in task["loop"]] == list(LIVE_KINDS)
    assert task["failed_when"] is False and "kubernetes.core.k8s_info" in task
    play = yaml.safe_load(PLAYBOOK.read_text())[1]
    (include,) = [t for t in play["tasks"] if "ansible.builtin.include_tasks" in t]
    assert include["ansible.builtin.include_tasks"] == "tasks/posture_cluster_live.yml"
    assert include["when"] == "posture_kubeconfig is defined"
    code = [line for line in PLAYBOOK.read_text().splitlines() if not line.lstrip().startswith("#")]
    assert not [line for line in code if "kubernetes.core" in line]


def test_without_a_kubeconfig_the_play_needs_no_kubernetes_core(tmp_path):
    out = tmp_path / "out"
    run(tmp_path, {"posture_output_dir": str(out),
                   "posture_policy_settings": {"namespaces": [{"name": "payments"}]}},
        scan_sys_path=False)
    cluster = json.loads((out / "posture.json").read_text())["cluster"]
    assert cluster["state"] == "intended" and cluster["unread"] == []


def test_with_a_kubeconfig_that_answers_nothing_the_cluster_is_unknown(tmp_path):
    with socket.socket() as sock:   # a loopback port nothing listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    kubeconfig = tmp_path / "kubeconfig"
    kubeconfig.write_text(yaml.safe_dump({
        "apiVersion": "v1", "kind": "Config", "current-context": "lab",
        "clusters": [{"name": "lab", "cluster": {"server": f"https://127.0.0.1:{port}",
                                                 "insecure-skip-tls-verify": True}}],
        "contexts": [{"name": "lab", "context": {"cluster": "lab", "user": "lab"}}],
        "users": [{"name": "lab", "user": {"token": "not-a-secret-lab-token"}}]}))
    previous = ROOT / "tests" / "fixtures" / "posture" / "report_v1.json"
    out = tmp_path / "out"
    run(tmp_path, {"posture_output_dir": str(out), "posture_kubeconfig": str(kubeconfig),
                   "posture_previous_report": str(previous),
                   "posture_policy_settings": {"namespaces": [{"name": "payments"}]}})
    data = json.loads((out / "posture.json").read_text())
    cluster = data["cluster"]
    assert cluster["state"] == "live" and str(kubeconfig) in cluster["source"]
    assert sorted(u["kind"] for u in cluster["unread"]) == sorted(
        f"{api} {kind}" for api, kind in LIVE_KINDS)
    assert cluster["cells"]["admit"] == "fail"   # the bundle's policies are not seen: drift
    assert all(c["unread"] for c in cluster["checks"] if c["control"] == "admit.live")
    assert data["history"]["previous_schema_version"] == 1
    assert "not-a-secret-lab-token" not in (out / "posture.json").read_text()
    page = (out / "posture.html").read_text()
    assert 'data-state="live"' in page and "Unknown: not read from the cluster" in page
