"""The seccomp_profiles role for real: ansible-playbook, the real scmp_sys_resolver."""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from conftest import run_playbook

PLAYBOOK = str(Path(__file__).with_name("distribute.yml"))
pytestmark = pytest.mark.requires_tool("scmp_sys_resolver", "Debian package seccomp")


def distribute(tmp_path, *args, **variables):
    variables.setdefault("seccomp_profiles_dir", str(tmp_path / "seccomp"))
    variables.setdefault("seccomp_profiles_owner", "root" if os.geteuid() == 0 else
                         Path.home().owner())
    variables.setdefault("seccomp_profiles_group", Path(tmp_path).group())
    varfile = tmp_path / "vars.json"
    varfile.write_text(json.dumps(variables))
    return run_playbook([PLAYBOOK, "-e", f"@{varfile}", *args], timeout=300)


def test_profiles_land_with_modes_and_a_second_run_changes_nothing(tmp_path):
    first = distribute(tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    target = tmp_path / "seccomp/bulwark"
    assert sorted(p.name for p in target.iterdir()) == ["baseline.json", "strict-example.json"]
    assert target.stat().st_mode & 0o777 == 0o755
    for profile in target.iterdir():
        assert profile.stat().st_mode & 0o777 == 0o644
    second = distribute(tmp_path)
    assert "changed=0" in second.stdout, second.stdout
