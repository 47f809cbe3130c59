# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""posture.html in a real browser (Debian's chromium + chromium-driver), read through its DOM
at 1280 and 390 px.

Real: the facts `collect()` reads from node files laid out as the roles leave them, with the
rescan's per-image report being Trivy's own output (tests/fixtures/trivy/alpine-39.json); the
bundle of kyverno_policy_settings; the filters the playbook calls; chromium. Recorded at the
process boundary (no API server here): the cluster's k8s_info answers, Kyverno's own test
objects (tests/unit/support/k8s_info_answers.py), one kind answered with a failure. The previous
report is a schema-1 posture.json Bulwark wrote (tests/fixtures/posture/report_v1.json).

The page and screenshots of the whole of it go to tests/output/posture/ (posture.html,
posture-1280.png, posture-390.png; gitignored): CI keeps that directory as the run's artifacts.
"""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.filter.posture import (
    posture_render,
    posture_report,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (
    build_bundle,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture import node
from browser import chromium, full_page_screenshot, requests_made
from k8s_info_answers import recorded_cluster
from posture_nodes import lay_out_node

ROOT = Path(__file__).resolve().parents[3]
FIXTURES = ROOT / "tests" / "fixtures"
ARTIFACTS = ROOT / "tests" / "output" / "posture"
NOW = "2026-12-07T12:00:00Z"
LONG = "worker-with-a-rather-long-host-name-0123456789.eu-central.example.internal"


@pytest.fixture(scope="module")
def page(tmp_path_factory):
    """posture.html, posture.json's report and the out directory."""
    base = tmp_path_factory.mktemp("nodes")
    params = lay_out_node(base / "a", trivy_report=FIXTURES / "trivy" / "alpine-39.json")
    # no tool asked: its ship cell is the policy's warn, where schema 1's report said fail
    vulnerable = node.collect(dict(params, tools=[]))
    clean = node.collect(lay_out_node(base / "b"))
    bundle = build_bundle({"namespaces": [{"name": "payments"}]})
    report = posture_report(
        {"deb13-a": {"changed": False, "posture": vulnerable},
         LONG: {"changed": False, "posture": clean},
         "deb12-gone": {"unreachable": True, "msg": "Failed to connect to the host via ssh"}},
        bundle=bundle, images=["registry.example/app:1", "registry.example/db@sha256:" + "a" * 64],
        signatures=[{"failed": True, "reason": "no_signature"}] * 2,
        attestations=[{"failed": True, "msg": "none found"}] * 2,
        generated=NOW, source="inventory.yml",
        live=recorded_cluster(bundle, broken=("ClusterPolicyReport",)),
        live_source="kubeconfig lab.kubeconfig",
        previous=str(FIXTURES / "posture" / "report_v1.json"))
    ARTIFACTS.mkdir(parents=True, exist_ok=True)   # the page itself is kept beside its shots
    (ARTIFACTS / "posture.html").write_text(posture_render(report, "html"))
    return {"report": report, "path": ARTIFACTS / "posture.html"}


@pytest.fixture(scope="module", params=[(1280, 900), (390, 844)], ids=["1280px", "390px"])
def browser(request, page):
    width, height = request.param
    driver = chromium(width, height)
    driver.get(page["path"].as_uri())
    yield driver, width
    driver.quit()


def js(browser, script, *args):
    return browser.execute_script(script, *args)


def test_every_link_is_an_anchor_that_resolves_to_its_section(browser, page):
    driver, _width = browser
    links = js(driver, """return [...document.querySelectorAll('a')].map(a => ({
        href: a.getAttribute('href'), row: !!a.closest('th'), cell: !!a.closest('td.cell'),
        target: (() => { const t = document.getElementById(a.getAttribute('href').slice(1));
                         return t && {tag: t.tagName, cls: t.className,
                                      section: t.closest('section') && t.closest('section').id}
                       })() }))""")
    rows = page["report"]["nodes"] + page["report"]["images"] + [page["report"]["cluster"]]
    assert len([link for link in links if link["row"]]) == len(rows)
    assert len([link for link in links if link["cell"]]) == 4 * len(rows)
    for link in links:
        assert link["href"].startswith("#") and link["target"], link
        if link["row"] and link["target"]["tag"] == "SECTION":
            assert link["target"]["section"] == link["href"][1:]
        elif link["cell"] and link["target"]["cls"] == "layer":
            # a node's cell lands in its layer of that node's section
            assert link["href"][1:].startswith(link["target"]["section"] + "-")
    # following a cell's link scrolls its section's layer into view
    cell = js(driver, "return document.querySelector('tr[data-node=\"deb13-a\"] "
                      "td[data-layer=\"build\"] a')")
    cell.click()
    top = js(driver, "const t = document.getElementById(location.hash.slice(1)); "
                     "return [location.hash, t.getBoundingClientRect().top, t.className]")
    assert top[0].endswith("-build") and top[2] == "layer" and abs(top[1]) < 5


def test_no_request_leaves_the_page(browser, page):
    driver, _width = browser
    assert [url for url in requests_made(driver) if url != page["path"].as_uri()] == []


def test_no_horizontal_overflow_and_a_screenshot_kept(browser):
    driver, width = browser
    view, wide = js(driver, "return [window.innerWidth, document.documentElement.scrollWidth]")
    assert view == width and wide <= width, f"the page scrolls sideways at {width}px ({wide}px)"
    if width < 600:   # every table's box fits too: nothing scrolls inside a .wrap either
        inner = js(driver, "return [...document.querySelectorAll('.wrap')].filter("
                           "w => w.scrollWidth > w.clientWidth + 1).length")
        assert inner == 0
    shot = full_page_screenshot(driver, ARTIFACTS / f"posture-{width}.png")
    assert shot.stat().st_size > 20_000


def test_the_cve_table_names_package_installed_and_fixed(browser, page):
    driver, _width = browser
    rows = js(driver, """return [...document.querySelectorAll('table.cves tr.cve')].map(tr =>
        [...tr.querySelectorAll('td')].map(td => td.innerText.replace(/^[a-zA-Z ]+:\\s*/, '')
        .trim()))""")
    wanted = [v for n in page["report"]["nodes"] for v in n["vulnerabilities"]]
    assert len(rows) == len(wanted) == 2
    for cells, v in zip(rows, wanted, strict=True):
        assert cells[:5] == [v["id"], v["severity"], v["package"], v["installed"], v["fixed"]]
        assert cells[6].startswith(f"upgrade {v['package']} to {v['fixed']}")
    assert {r[2] for r in rows} == {"musl", "musl-utils"} and rows[0][0] == "CVE-2019-14697"
    assert js(driver, "return document.querySelector('table.cves').getBoundingClientRect()"
                      ".height") > 0
    fix = js(driver, "return document.querySelector('section [data-check="
                     "\"build.image_vulnerabilities\"]').innerText")
    assert "rebuild the image" in fix and fix.index("rebuild") < fix.index("trivy_ignore_entries")


def test_findings_read_one_line_per_kind(browser, page):
    driver, _width = browser
    lines = js(driver, """return [...document.querySelectorAll('ul.findings > li')].map(li =>
        [li.closest('section').id, li.dataset.control, li.className, li.dataset.count || '1',
         li.getBoundingClientRect().height])""")
    keys = [(sec, control, cls) for sec, control, cls, _n, _h in lines]
    assert len(keys) == len(set(keys)), "two lines of one kind in one section"
    # the 19 policies of kyverno_policy_settings the recorded cluster lacks: one line
    drift = [line for line in lines if line[1] == "admit.drift" and "group" in line[2]]
    intended = [c for c in page["report"]["cluster"]["checks"] if c["control"] == "admit.drift"]
    assert len(drift) == 1 and int(drift[0][3]) == len(intended) >= 16 and drift[0][4] > 0
    text = js(driver, "return document.querySelector('li.group[data-control=\"admit.drift\"]')"
                      ".innerText")
    assert text.count("intended policy missing from the cluster") == 1
    assert "bulwark-require-run-as-non-root" in text
    # each subject keeps its own check id and reason
    subjects = js(driver, "return [...document.querySelectorAll('li.group[data-control="
                          "\"admit.drift\"] .subject')].map(s => [s.dataset.check, s.title])")
    assert [(c["id"], c["reason"]) for c in intended] == [tuple(s) for s in subjects]


def test_what_could_not_be_read_is_unknown(browser, page):
    driver, _width = browser
    cells = js(driver, "return [...document.querySelectorAll('tr[data-node=\"deb12-gone\"] "
                       "td.cell a')].map(a => a.innerText)")
    assert cells == ["? unknown"] * 4
    unread = js(driver, "return [...document.querySelectorAll('li.unknown')].map(li => "
                        "li.dataset.kind)")
    assert unread == ["wgpolicyk8s.io/v1alpha2 ClusterPolicyReport"]
    state = js(driver, "return document.querySelector('p.state').innerText")
    assert state.startswith("live: read from the cluster") and "lab.kubeconfig" in state
    assert "unknown: 4 cell(s)" in js(driver, "return document.querySelector('.headline')"
                                              ".innerText")


def test_the_previous_verdicts_stand_beside_the_current_ones(browser, page):
    driver, _width = browser
    history = page["report"]["history"]
    changed = js(driver, "return [...document.querySelectorAll('td.cell.changed')].map(td => "
                         "[td.closest('tr').dataset.node, td.dataset.layer, "
                         "td.querySelector('.was').innerText])")
    want = [(r["key"].split(":", 1)[1], layer) for r in history["rows"]
            for layer, c in r["cells"].items() if c["changed"]]
    assert [(n, lay) for n, lay, _t in changed] == want and want
    assert ("deb13-a", "ship") in want
    was = dict(((n, lay), t) for n, lay, t in changed)[("deb13-a", "ship")]
    assert was == "Δ was ✗ fail"
    assert js(driver, "return document.querySelector('tr[data-node=\"deb13-a\"] "
                      "td[data-layer=\"build\"] .was').innerText") == "was ✗ fail"
    new = js(driver, "return [...document.querySelectorAll('tr .new')].map(s => "
                     "s.closest('tr').dataset.node)")
    assert LONG in new and "deb12-gone" in new
    assert "gone since: deb12-b" in js(driver, "return document.querySelector('p.history')"
                                               ".innerText")


def test_the_browser_check_sees_a_request_when_there_is_one(tmp_path, page):
    """The no-request assertion can fail: a page without the CSP asks for an image (from a
    loopback port nothing serves), the same page under posture.html's CSP does not."""
    leaky = tmp_path / "leaky.html"
    image = "http://127.0.0.1:9/bulwark-posture-leak.png"
    leaky.write_text(f'<!DOCTYPE html><title>x</title><img src="{image}">')
    driver = chromium(800, 600)
    try:
        driver.get(leaky.as_uri())
        assert image in requests_made(driver)
        head = page["path"].read_text().split("<title>")[0]
        leaky.write_text(head + f'<title>x</title><img src="{image}">')
        driver.get(leaky.as_uri())
        assert image not in requests_made(driver)
    finally:
        driver.quit()


def test_artifacts_directory_is_ignored_by_git():
    ignored = (ROOT / ".gitignore").read_text().splitlines()
    assert "tests/output/" in ignored and shutil.which("git")
