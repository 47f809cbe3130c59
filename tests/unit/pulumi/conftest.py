"""Puts the Pulumi program (pulumi/) and this directory's harness on sys.path."""
import sys
from pathlib import Path

for path in (Path(__file__).resolve().parents[3] / "pulumi", Path(__file__).resolve().parent):
    if str(path) not in sys.path:
        sys.path.insert(0, str(path))
