# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The report schema against real output of `collect()` and the three renderers."""

from __future__ import annotations

import copy
import re
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture import (
    node,
    render,
    report,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.page import (
    render_html,
)


@pytest.fixture
def real_report(node_dir, tmp_path):
    """collect() run for real here on crafted node files (systemctl and cosign as found)."""
    params = node_dir()
    good = node.collect(params)
    (tmp_path / "node" / "skopeo").write_bytes(b"xx Debian-local change: sigstore disabled xx")
    deb12 = node.collect(dict(params, ship=dict(params["ship"], policy_readers=[
        str(tmp_path / "node" / "skopeo")])))
    bundle = build_bundle({"namespaces": [{"name": "payments"}]})
    return report.build_report(
        {"deb13-<a>": good, "deb12": deb12, "gone": {"error": "unreachable"}},
        bundle=bundle,
        generated="2026-11-27T12:00:00+00:00",
        source="test",
    )


def test_schema_accepts_real_output(real_report):
    assert report.validate_report(real_report) is real_report
    names = [n["name"] for n in real_report["nodes"]]
    assert names == ["deb12", "deb13-<a>", "gone"]
    deb12 = real_report["nodes"][0]
    assert deb12["cells"]["ship"] == "fail" and "sigstore disabled" in deb12["verdict"]["line"]


@pytest.mark.parametrize(
    "breakage, message",
    [
        (lambda r: r["nodes"][0]["checks"][0].update(status="ok"), "'ok' is not one of"),
        (lambda r: r["nodes"][0]["checks"][0].pop("reason"), "'reason' is a required property"),
        (lambda r: r["nodes"][0]["checks"][0].update(reason="two\nlines"), "does not match"),
        (lambda r: r["summary"].update(extra=1), "Additional properties"),
        (
            lambda r: r["nodes"][1]["facts"]["ship"]["trusted_keys"][0].update(sha256="x"),
            "sha256: the string given does not satisfy the schema's 'pattern' rule",
        ),
    ],
)
def test_schema_refuses_a_broken_report(real_report, breakage, message):
    broken = copy.deepcopy(real_report)
    breakage(broken)
    with pytest.raises(report.ReportError, match=message):
        report.validate_report(broken)


def test_html_is_self_contained(real_report):
    page = render_html(real_report)
    assert (
        '<meta http-equiv="Content-Security-Policy" content="default-src &#x27;none&#x27;;' in page
    )
    assert not re.search(r"src\s*=|url\(|@import|<script|<link", page, re.IGNORECASE)
    # every link is an in-page anchor to an id the page has
    links = re.findall(r"href\s*=\s*\"([^\"]*)\"", page)
    ids = set(re.findall(r"\bid=\"([^\"]*)\"", page))
    assert links and all(link.startswith("#") and link[1:] in ids for link in links)
    assert len(re.findall(r"\bhref\s*=", page, re.IGNORECASE)) == len(links)
    assert "deb13-&lt;a&gt;" in page and "<a>" not in page
    for item in real_report["nodes"]:
        for check in item["checks"]:
            if check["status"] == "fail":
                assert f'data-check="{check["id"]}"' in page
    assert "@media print" in page and "max-width:40rem" in page


def test_markdown_and_json(real_report):
    text = render.render_markdown(real_report)
    assert text.startswith("## Bulwark posture: FAIL")
    assert (
        "| deb12 |" in text
        and "`ship.signature_enforcement`" in text
        and "fix: `cosign_enforce`" in text
    )
    assert render.render_json(real_report).endswith("}\n")


def test_the_filters_take_registered_results(node_dir):
    from ansible.errors import AnsibleFilterError
    from ansible_collections.bulwark.container_security.plugins.filter import posture

    facts = node.collect(node_dir())
    results = {"up": {"changed": False, "posture": facts},
               "down": {"unreachable": True, "msg": "Failed to create temporary directory"}}
    made = posture.posture_report(results, images=["reg/app"],
                                  signatures=[{"failed": True, "reason": "no_signature"}],
                                  attestations=[{"failed": True, "msg": "none found"}],
                                  generated="2026-11-27T12:00:00Z")
    down = next(n for n in made["nodes"] if n["name"] == "down")
    assert down["checks"][0]["id"] == "node.reachable"
    assert "Failed to create temporary directory" in down["checks"][0]["reason"]
    ids = [c["id"] for c in made["images"][0]["checks"]]
    assert ids == ["sign.image.reg/app", "scan.image.reg/app"]
    assert posture.posture_render(made, "markdown").startswith("## Bulwark posture: FAIL")
    with pytest.raises(AnsibleFilterError, match="1 images but 0 signature"):
        posture.posture_report(results, images=["reg/app"])
    with pytest.raises(AnsibleFilterError, match="format 'pdf'"):
        posture.posture_render(made, "pdf")


def test_docs_list_every_control():
    from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
        CONTROLS,
        NIST,
    )

    doc = (Path(__file__).resolve().parents[5] / "docs" / "posture.md").read_text()
    for control, (practice, layer, nist, fix) in CONTROLS.items():
        row = f"| `{control}` | {practice} | {layer} | {NIST[nist] if nist else '–'} | `{fix}` |"
        assert row in doc, f"docs/posture.md lacks or misstates {control}: {row}"


def test_intended_cluster_reads_one_line_per_kind(real_report):
    cluster = real_report["cluster"]
    assert cluster["state"] == "intended" and cluster["cells"]["admit"] == "fail"
    audit = [c for c in cluster["checks"] if c["control"] == "admit.policy"
             and c["status"] == "warn"]
    assert len(audit) >= 16
    page = render_html(real_report)
    assert page.count("Audit only, violations are admitted:") == 1
    assert page.count('data-control="admit.policy" data-count=') == 1
    assert all(f'data-check="{c["id"]}"' in page for c in audit)
    text = render.render_markdown(real_report)
    assert text.count("Audit only, violations are admitted") == 1
    assert f"`admit.policy` ×{len(audit)}" in text
