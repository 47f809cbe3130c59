"""Role READMEs carry a variables table generated from meta/argument_specs.yml, kept current."""
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]


def test_role_readmes_match_argument_specs():
    res = subprocess.run([sys.executable, str(ROOT / "tools/role_readme.py"), "--check"],
                         capture_output=True, text=True, check=False)
    assert res.returncode == 0, res.stdout + res.stderr
