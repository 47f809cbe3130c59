# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""A node laid out on disk as the roles leave it, for the posture readers and checks."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
MARKER = b"Debian-local change: sigstore disabled"


def lay_out_node(
    base: Path,
    enforce=True,
    sigstore=True,
    finished="2026-11-27T10:00:00+00:00",
    critical=0,
    high=0,
    trivy_report=None,
):
    """Files of a converged node under `base`; returns the module params that point at them
    (every part asked, as the roles' posture entries ask for them together). `trivy_report`:
    a real Trivy JSON report (tests/fixtures/trivy/) the rescan wrote for its image; the
    summary's counts are then that report's, counted as roles/trivy/files/trivy-rescan.py does."""
    keys = base / "keys"
    keys.mkdir(parents=True)
    (keys / "lab.pub").write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    scopes = (
        {
            "127.0.0.1:15000/demo": [
                {
                    "type": "sigstoreSigned",
                    "keyPath": str(keys / "lab.pub"),
                    "signedIdentity": {"type": "matchRepository"},
                }
            ]
        }
        if enforce
        else {}
    )
    policy = {
        "default": [{"type": "insecureAcceptAnything"}],
        "transports": {
            "docker": scopes,
            "docker-daemon": {"": [{"type": "insecureAcceptAnything"}]},
        },
    }
    (base / "policy.json").write_text(json.dumps(policy))
    skopeo = base / "skopeo"
    skopeo.write_bytes(b"\x7fELF..." + (b"" if sigstore else MARKER) + b"...")
    rules = base / "rules.d"
    rules.mkdir()
    (rules / "bulwark_10_library.yaml").write_text("- list: shells\n  items: [sh]\n")
    config = base / "config.d"
    config.mkdir()
    (config / "bulwark.yaml").write_text("engine:\n  kind: modern_ebpf\njson_output: true\n")
    seccomp = base / "seccomp"
    seccomp.mkdir()
    shutil.copy(
        ROOT / "roles/seccomp_profiles/files/profiles/baseline.json", seccomp / "baseline.json"
    )
    run = base / "reports" / "20261127T100000Z"
    run.mkdir(parents=True)
    (base / "reports" / "latest").symlink_to(run)
    counts = {"CRITICAL": critical, "HIGH": high, "MEDIUM": 3, "LOW": 1, "UNKNOWN": 0}
    if trivy_report is not None:
        report = json.loads(Path(trivy_report).read_text())
        counts = dict.fromkeys(counts, 0)
        for result in report.get("Results") or []:
            for vuln in result.get("Vulnerabilities") or []:
                counts[vuln.get("Severity", "UNKNOWN")] += 1
        shutil.copy(trivy_report, run / "x.json")
    (run / "summary.json").write_text(
        json.dumps(
            {
                "started": "2026-11-27T09:59:00+00:00",
                "finished": finished,
                "failed": 0,
                "server": None,
                "runtimes": [{"runtime": "podman", "images": 1}],
                "totals": counts,
                "images": [
                    {
                        "image": "docker.io/library/nginx:1.27",
                        "runtime": "podman",
                        "report": "x.json",
                        "exit_code": 0,
                        "counts": counts,
                    }
                ],
            }
        )
    )
    return {
        "tools": [{"name": "cosign", "pinned": "3.1.1", "pattern": "", "expected": True}],
        "ship": {
            "trusted_keys_dir": str(keys),
            "policy_path": str(base / "policy.json"),
            "policy_readers": [str(skopeo)],
        },
        "falco": {
            "service": "falco-modern-bpf",
            "config_dir": str(config),
            "rules_dir": str(rules),
            "validation_record": "",
        },
        "seccomp": {"dir": str(seccomp)},
        "rescan": {
            "reports_dir": str(base / "reports"),
            "schedule": "daily",
            "timer": "trivy-rescan.timer",
        },
    }
