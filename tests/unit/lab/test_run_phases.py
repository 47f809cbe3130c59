# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""lab/run-phases.sh, which times `make test`'s phases: a timing line per phase, a table at the
end, and it stops at the first phase that fails, with that phase's status."""
from __future__ import annotations

import re
import subprocess

from conftest import ROOT

SCRIPT = ROOT / "lab" / "run-phases.sh"


def run(*phases: str) -> subprocess.CompletedProcess:
    return subprocess.run(["bash", str(SCRIPT), *phases], capture_output=True, text=True,
                          check=False, timeout=60)


def test_every_phase_timed_and_tabled():
    res = run("one=echo first", "two=echo second")
    assert res.returncode == 0, res.stderr
    out = res.stdout
    assert out.index("first") < out.index("second")
    table = out[out.index("[phase] ---- phases ----"):]
    assert re.search(r"\[phase\]   one: passed in \d+s", table)
    assert re.search(r"\[phase\]   two: passed in \d+s", table)
    assert re.search(r"\[phase\] all in \d+s", table)


def test_stops_at_the_first_failure_with_its_status():
    res = run("ok=true", "broken=exit 3", "never=echo should-not-run")
    assert res.returncode == 3
    assert "should-not-run" not in res.stdout
    assert "broken: FAILED (3) in" in res.stdout and "never:" not in res.stdout
