# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Debian's headless chromium, driven by Debian's chromium-driver through selenium, for the
posture page tests (tests/integration/posture/, tests/integration/fleet/)."""
from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest


def _tool(binary: str, how: str) -> str:
    path = shutil.which(binary)
    if not path:
        pytest.fail(f"{binary} is not installed ({how})", pytrace=False)
    return path


def chromium(width: int, height: int):
    """A headless chromium with the performance log on, its viewport `width` x `height`."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = _tool("chromium", "Debian package chromium (lab/apt-packages.txt)")
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                f"--window-size={width},{height}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = _tool("chromedriver", "Debian package chromium-driver (lab/apt-packages.txt)")
    browser = webdriver.Chrome(options=options, service=Service(executable_path=driver))
    # headless windows are at least 500 px wide: emulate the phone's viewport instead
    browser.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", {
        "width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600})
    return browser


def requests_made(browser) -> list[str]:
    """Every URL the page asked for and the browser let out (CDP Network events in the
    performance log: requestWillBeSent, minus those that loadingFailed blocked by the CSP)."""
    sent, blocked = {}, set()
    for entry in browser.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        params = message["params"]
        if message["method"] == "Network.requestWillBeSent":
            sent[params["requestId"]] = params["request"]["url"]
        elif message["method"] == "Network.loadingFailed" and params.get("blockedReason") == "csp":
            blocked.add(params["requestId"])
    return [url for rid, url in sent.items() if rid not in blocked]


def full_page_screenshot(browser, path: Path) -> Path:
    """The whole page (not only the viewport) as PNG at `path`, through CDP."""
    shot = browser.execute_cdp_cmd("Page.captureScreenshot", {
        "format": "png", "captureBeyondViewport": True})
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
