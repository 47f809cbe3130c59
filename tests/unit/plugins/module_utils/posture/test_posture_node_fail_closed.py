"""Node facts fail closed: a FIFO among the files the posture module reads is an error on that
fact (and so a failed check), never a read that blocks the module."""
import os
import signal

from ansible_collections.bulwark.container_security.plugins.module_utils.posture import (
    node,
    report,
)


def test_fifo_seccomp_profile_is_an_error_not_a_hang(node_dir):
    params = node_dir()
    os.mkfifo(os.path.join(params["seccomp"]["dir"], "zz-fifo.json"))
    signal.alarm(10)
    try:
        facts = node.collect(params)
    finally:
        signal.alarm(0)
    fifo = [p for p in facts["run"]["seccomp"]["profiles"] if p["name"].startswith("zz-fifo")]
    assert fifo and "not a regular file (a FIFO)" in fifo[0]["error"]
    entry = report.contain_nodes(report.build_report({"n": facts}))["nodes"][0]
    failed = {c["id"]: c["reason"] for c in entry["checks"] if c["status"] == "fail"}
    assert "unreadable profile(s): zz-fifo" in failed["run.seccomp_profiles"]
