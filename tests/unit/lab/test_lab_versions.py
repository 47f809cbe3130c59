# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The lab's version check for tools it takes from Debian sid, which keeps only its newest
build: a newer patch or minor within the pin's major version is used and reported, anything
else is refused with the pin to change named."""
from __future__ import annotations

import pytest

import lab  # lab/lab.py (tests/conftest.py puts lab/ on sys.path)


@pytest.mark.parametrize(("pinned", "served"), [
    ("3.1.1", "3.1.1"),
    ("3.1.1", "3.1.2"),     # sid moved on by a patch
    ("3.1.1", "3.2.0"),     # ... or a minor
    ("0.20.7", "0.20.9"),   # 0.x: the minor is the series
    ("0.41.4", "0.41.5"),
])
def test_newer_version_in_the_pinned_series_is_used_and_reported(capsys, pinned, served):
    assert lab.accepted_version("cosign", pinned, served) == served
    assert f"[lab] tools: cosign {served} used (pin {pinned})" in capsys.readouterr().out


@pytest.mark.parametrize(("pinned", "served", "series"), [
    ("3.1.1", "4.0.0", "3.x"),      # a new major
    ("3.1.1", "3.1.0", "3.x"),      # older than the pin
    ("0.20.7", "0.21.0", "0.20.x"),  # 0.x: a new minor breaks
    ("3.1.1", "3.1.1~rc1", "3.x"),  # not a release number
])
def test_version_outside_the_pinned_series_is_refused_naming_the_pin(pinned, served, series):
    with pytest.raises(SystemExit) as err:
        lab.accepted_version("crane", pinned, served)
    msg = str(err.value)
    assert f"Debian now serves {served}, outside the pinned series {series} (pin {pinned})" in msg
    assert "update DEBIAN_TOOLS['crane'] in lab/lab.py" in msg


def test_every_pin_is_a_release_number():
    for name, (_suite, _pkg, pinned, _member) in lab.DEBIAN_TOOLS.items():
        assert lab.in_series(pinned, pinned), name


def test_debian_suffixes_are_not_part_of_the_release():
    """sid's sysdig is 0.41.4+repack: the upstream release is 0.41.4."""
    assert lab.in_series("0.41.4", "0.41.4+repack")
    assert lab.in_series("0.41.4", "0.41.5+ds1")
    assert not lab.in_series("0.41.4", "0.42.0+repack")
    assert not lab.in_series("0.41.4", "repack")
