# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""playbooks/posture.yml on the lab fleet converged by site.yml, plus one fresh Debian 12 node.

Real: the four fleet nodes (lab/fleet.py, over SSH) converged by the session's site.yml run
(`converged_fleet`), one more systemd container of the Debian 12 lab image that nothing has
touched (reached through podman), cosign 3.1.1 and the lab registry for the image checks,
jsonschema for the report, Debian's chromium for posture.html.
"""
from __future__ import annotations

import hashlib
import json
import subprocess
import time
import uuid
from pathlib import Path

import fleet
import pytest
import yaml
from browser import chromium, requests_made
from conftest import ROOT, ansible_env, require_tool, run_playbook

import lab

MARKS = {"pass": "✓ pass", "warn": "! warn", "fail": "✗ fail", "unknown": "? unknown", None: "–"}
FRESH_IMAGE = "localhost/bulwark-lab:bookworm"


def podman(*args, check=True):
    return subprocess.run(["podman", *args], env=ansible_env(), capture_output=True, text=True,
                          check=check)


def inventory_with(fresh: str) -> dict:
    """The fleet's inventory plus the fresh node among its Debian 12 nodes, through podman."""
    inv = yaml.safe_load(fleet.INVENTORY.read_text())
    debian12 = inv["all"]["children"]["bulwark_nodes"]["children"]["fleet_debian12"]["hosts"]
    debian12[fresh] = {"ansible_connection": "containers.podman.podman",
                       "ansible_python_interpreter": "/usr/bin/python3"}
    return inv


@pytest.fixture(scope="module")
def pair(converged_fleet, lab_tools, tmp_path_factory):
    """(inventory, names, lab_dir): the converged fleet and a fresh Debian 12 node."""
    require_tool("podman")
    fresh = f"bulwark-posture-fresh-{uuid.uuid4().hex[:6]}"
    inventory = tmp_path_factory.mktemp("inventory") / "fleet.yml"
    inventory.write_text(yaml.safe_dump(inventory_with(fresh)))
    names = {"deb12": fresh, "deb13": "bulwark-fleet-deb13-b", "deb12_converged":
             "bulwark-fleet-deb12-a"}
    try:
        podman("run", "-d", "--name", fresh, "--hostname", fresh, "--systemd=always",
               "--network", "host", FRESH_IMAGE, "/sbin/init")
        fleet.wait_booted(fresh)
        yield inventory, names, lab.STATE
    finally:
        podman("rm", "-f", "-t", "0", fresh, check=False)


def sign(cosign: str, lab_dir: Path, image: str) -> None:
    password = (lab_dir / "demo-enforce" / "password").read_text().rstrip("\n")
    res = subprocess.run([cosign, "sign", "--key", str(lab_dir / "demo-enforce" / "demo.key"),
                          "--use-signing-config=false", "--tlog-upload=false",
                          "--new-bundle-format=false", "--allow-insecure-registry", "--yes", image],
                         env={"COSIGN_PASSWORD": password, "PATH": "/usr/bin:/bin",
                              "HOME": str(lab_dir)}, capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stderr


def changed_files(node: str, marker: str) -> list[str]:
    res = podman("exec", node, "find", "/etc", "/usr", "/opt", "/var/lib/bulwark", "/var/lib/trivy",
                 "/var/lib/kubelet", "/var/cache/bulwark", "-xdev", "-newer", marker,
                 "-not", "-type", "d", "-not", "-path", "*/__pycache__/*", check=False)
    return res.stdout.split()


@pytest.fixture(scope="module")
def report(pair, lab_tools, lab_image_factory, tmp_path_factory):
    """posture.yml on the pair (and a signed and an unsigned image); the report and the run."""
    inventory, names, lab_dir = pair
    nodes = [*fleet.NODES, names["deb12"]]
    signed = lab_image_factory(f"bulwark-posture/signed-{uuid.uuid4().hex[:6]}:v1", "signed")
    sign(lab_tools["cosign"], lab_dir, signed)
    unsigned = lab_image_factory(f"bulwark-posture/unsigned-{uuid.uuid4().hex[:6]}:v1", "unsigned")
    marker = "/run/bulwark-posture-marker"
    for name in nodes:
        podman("exec", name, "touch", marker)
    time.sleep(1.1)  # -newer compares whole seconds on some filesystems
    out = tmp_path_factory.mktemp("posture-out")
    extra = {"posture_output_dir": str(out), "posture_images": [signed, unsigned],
             "posture_public_keys": [str(lab_dir / "demo-enforce" / "demo.pub")],
             "posture_cosign_path": lab_tools["cosign"], "posture_insecure_registry": True,
             "posture_transparency_log": False}
    start = time.monotonic()
    res = run_playbook(["-i", str(inventory), "playbooks/posture.yml", "-e", json.dumps(extra)],
                       timeout=600)
    seconds = time.monotonic() - start
    assert res.returncode == 0, res.stdout[-4000:] + res.stderr[-2000:]
    check = run_playbook(["-i", str(inventory), "playbooks/posture.yml", "--check",
                          "-e", json.dumps(dict(extra, posture_images=[]))], timeout=600)
    assert check.returncode == 0, check.stdout[-4000:] + check.stderr[-2000:]
    touched = {name: changed_files(name, marker) for name in nodes}
    data = json.loads((out / "posture.json").read_text())
    return {"data": data, "out": out, "stdout": res.stdout, "check": check.stdout,
            "touched": touched, "names": names, "seconds": seconds, "signed": signed,
            "unsigned": unsigned, "lab_dir": lab_dir, "nodes": nodes}


def statuses(node: dict) -> dict:
    return {c["id"]: c for c in node["checks"]}


def by_name(report, key):
    return next(n for n in report["data"]["nodes"] if n["name"] == report["names"][key])


def test_report_validates_and_names_every_node(report):
    from ansible_collections.bulwark.container_security.plugins.module_utils.posture.report import (
        validate_report,
    )

    validate_report(report["data"])
    assert sorted(n["name"] for n in report["data"]["nodes"]) == sorted(report["nodes"])
    for name in ("posture.json", "posture.html", "posture.md"):
        assert (report["out"] / name).stat().st_size > 500
    print(f"\n[posture] posture.yml on {len(report['nodes'])} nodes: {report['seconds']:.0f}s")


def test_nothing_written_on_the_nodes(report):
    assert report["touched"] == dict.fromkeys(report["nodes"], [])
    recap = report["check"].split("PLAY RECAP")[1]
    for name in report["nodes"]:
        line = next(x for x in recap.splitlines() if x.startswith(name))
        assert "changed=0" in line and "failed=0" in line


def test_converged_debian13_node(report):
    node = by_name(report, "deb13")
    found = statuses(node)
    facts = node["facts"]
    pub = (report["lab_dir"] / "demo-enforce" / "demo.pub").read_bytes()
    assert facts["ship"]["trusted_keys"] == [{
        "name": "bulwark-demo", "path": "/etc/bulwark/cosign/trusted-keys/bulwark-demo.pub",
        "sha256": hashlib.sha256(pub).hexdigest()}]
    for check in ("ship.trust_store", "ship.sigstore_capable", "ship.signature_enforcement",
                  "ship.tool.cosign", "run.falco_rules", "run.seccomp_profiles"):
        assert found[check]["status"] == "pass", found[check]
    assert lab.registry_host() + "/bulwark-demo" in found["ship.signature_enforcement"]["reason"]
    cosign = facts["tools"][0]
    assert cosign["real_path"].startswith("/opt/bulwark/tools/cosign/") and cosign["matches"]
    profiles = {p["name"]: p for p in facts["run"]["seccomp"]["profiles"]}
    assert set(profiles) == {"baseline", "strict-example"}
    assert profiles["baseline"]["default_action"] == "SCMP_ACT_ERRNO"
    assert profiles["baseline"]["syscalls"] > 100
    validation = facts["run"]["falco"]["validation"]   # the falco role's record of its rollout
    assert validation["result"] == "passed", validation
    assert validation["source"] == "/var/lib/bulwark/falco/rules-validation.json"
    # Falco cannot run in the lab (falco_install_method: none) and no rescan has run yet
    assert found["run.falco_installed"]["status"] == "fail"
    assert found["build.rescan"]["status"] == "fail"
    assert facts["build"]["rescan"]["timer"]["enabled"] == "enabled"


def test_fresh_debian12_node_fails_enforcement_with_the_reason(report):
    node = by_name(report, "deb12")
    found = statuses(node)
    reason = found["ship.signature_enforcement"]["reason"]
    assert found["ship.signature_enforcement"]["status"] == "fail"
    assert "Debian 12's skopeo and podman packages" in reason
    assert "Debian-local change: sigstore disabled" in reason
    assert found["ship.trust_store"]["status"] == "fail"
    assert found["ship.tool.cosign"]["status"] == "fail"
    assert node["verdict"]["line"].startswith(f"{node['name']}: FAIL")
    assert "ship.signature_enforcement" in node["verdict"]["line"]
    assert f"{node['name']}: FAIL (" in report["stdout"]


def test_converged_debian12_node_holds_the_trust_store_but_cannot_enforce(report):
    found = statuses(by_name(report, "deb12_converged"))
    assert found["ship.trust_store"]["status"] == "pass"
    assert found["ship.tool.cosign"]["status"] == "pass"
    assert found["ship.signature_enforcement"]["status"] == "fail"
    assert "sigstore" in found["ship.signature_enforcement"]["reason"]


def test_images_through_the_cosign_modules(report):
    images = {i["image"]: {c["id"].split(".")[0]: c for c in i["checks"]}
              for i in report["data"]["images"]}
    assert images[report["signed"]]["sign"]["status"] == "pass"
    assert "demo.pub" in images[report["signed"]]["sign"]["reason"]
    assert images[report["unsigned"]]["sign"]["status"] == "fail"
    for checks in images.values():
        assert checks["scan"]["status"] == "fail"
        assert "no verified vulnerability attestation" in checks["scan"]["reason"]


def test_cluster_side_from_the_fleet_settings(report):
    cluster = report["data"]["cluster"]
    actions = {p["control"]: p["actions"] for p in cluster["policies"]}
    assert actions["require_run_as_non_root"] == ["Deny"]
    assert actions["disallow_privilege_escalation"] == ["Audit"]
    assert [n["name"] for n in cluster["namespaces"]] == ["payments"]


@pytest.mark.parametrize("width, height", [(1280, 900), (360, 780)])
def test_html_in_a_real_browser(report, width, height):
    from selenium.webdriver.common.by import By

    page = (report["out"] / "posture.html").as_uri()
    browser = chromium(width, height)
    try:
        browser.get(page)
        assert browser.title == "Bulwark posture"
        for node in report["data"]["nodes"]:
            row = browser.find_element(By.CSS_SELECTOR, f'tr[data-node="{node["name"]}"]')
            assert row.is_displayed() and node["name"] in row.text
            cells = [c.text for c in row.find_elements(By.CSS_SELECTOR, "td.cell a")]
            layers = ("build", "ship", "admit", "run")
            assert cells == [MARKS[node["cells"][layer]] for layer in layers]
            section = row.find_element(By.CSS_SELECTOR, "th a").get_attribute("hash")[1:]
            for check in node["checks"]:
                if check["status"] == "fail":
                    # in the node's own section, on its own line or its kind's (grouped) line
                    item = browser.find_element(By.CSS_SELECTOR,
                                                f'section[id="{section}"] '
                                                f'[data-check="{check["id"]}"]')
                    line = item if item.tag_name == "li" else item.find_element(By.XPATH, "..")
                    assert line.is_displayed() and "fail" in line.get_attribute("class")
                    assert check["reason"] in (item.text + (item.get_attribute("title") or ""))
        failing = [c for i in report["data"]["images"] for c in i["checks"]
                   if c["status"] == "fail"]
        failing += [c for c in report["data"]["cluster"]["checks"] if c["status"] == "fail"]
        for check in failing:
            item = browser.find_element(By.CSS_SELECTOR, f'[data-check="{check["id"]}"]')
            assert item.is_displayed()
            assert check["reason"] in (item.text + (item.get_attribute("title") or ""))
        # nothing but the document itself: no fetch, image, font or style from anywhere
        assert [url for url in requests_made(browser) if url != page] == []
        shot = ROOT / "tests" / "output" / "posture" / f"posture-fleet-{width}.png"
        shot.parent.mkdir(parents=True, exist_ok=True)
        assert browser.save_screenshot(str(shot)) and shot.stat().st_size > 10_000
        view, wide = browser.execute_script("return [window.innerWidth, "
                                            "document.documentElement.scrollWidth]")
        assert view == width and wide <= width, f"the page scrolls sideways at {width}px ({wide}px)"
    finally:
        browser.quit()


def test_the_browser_check_sees_a_request_when_there_is_one(report, tmp_path):
    """The no-request assertion above can fail: a page without our CSP loads an image."""
    page = tmp_path / "leaky.html"
    image = f"http://127.0.0.1:{lab.MIRROR_PORT}/bulwark-posture-leak.png"
    page.write_text(f'<!DOCTYPE html><title>x</title><img src="{image}">')
    browser = chromium(800, 600)
    try:
        browser.get(page.as_uri())
        assert image in requests_made(browser)
        csp = (report["out"] / "posture.html").read_text().split("<title>")[0]
        page.write_text(csp + f'<title>x</title><img src="{image}">')
        browser.get(page.as_uri())
        assert image not in requests_made(browser)
    finally:
        browser.quit()
