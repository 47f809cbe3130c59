# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Every filter the plugins export has documentation that ansible-doc renders.

The filters are discovered from the plugins themselves (FilterModule().filters() of every
plugins/filter/*.py), so a new filter without a plugins/filter/<name>.yml fails here. The
documented options are compared with the Python signature, so docs cannot drift from the code.
"""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[4]
BIN = Path(sys.executable).parent
PREFIX = "bulwark.container_security."

# Runs in a child Python with only the collection root on sys.path: imports each filter
# plugin the way Ansible does and prints {filter name: [parameter names]}.
DISCOVER = """
import importlib, inspect, json, pathlib, sys
out = {}
for path in sorted(pathlib.Path(sys.argv[1]).glob("*.py")):
    if path.stem == "__init__":
        continue
    package = "ansible_collections.bulwark.container_security.plugins.filter"
    mod = importlib.import_module(package + "." + path.stem)
    for name, fn in mod.FilterModule().filters().items():
        params = inspect.signature(fn).parameters.values()
        out[name] = {"plugin": path.name,
                     "params": [p.name for p in params],
                     "required": [p.name for p in params if p.default is p.empty
                                  and p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def collections_path(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("collections")
    link = root / "ansible_collections" / "bulwark" / "container_security"
    link.parent.mkdir(parents=True)
    link.symlink_to(ROOT)
    return root


@pytest.fixture(scope="module")
def exported(collections_path) -> dict:
    res = subprocess.run([sys.executable, "-c", DISCOVER, str(ROOT / "plugins" / "filter")],
                         capture_output=True, text=True, check=False,
                         env={**os.environ, "PYTHONPATH": str(collections_path)})
    assert res.returncode == 0, res.stderr
    filters = json.loads(res.stdout)
    assert len(filters) >= 14, sorted(filters)
    return filters


def _ansible_doc(collections_path, *args) -> subprocess.CompletedProcess:
    env = {**os.environ, "ANSIBLE_COLLECTIONS_PATH": str(collections_path), "ANSIBLE_NOCOLOR": "1"}
    env.pop("ANSIBLE_CONFIG", None)
    return subprocess.run([str(BIN / "ansible-doc"), "-t", "filter", *args],
                          capture_output=True, text=True, check=False, env=env, cwd=ROOT)


@pytest.fixture(scope="module")
def docs(collections_path, exported) -> dict:
    res = _ansible_doc(collections_path, "--json", *(PREFIX + name for name in sorted(exported)))
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout)


def test_ansible_doc_lists_exactly_the_exported_filters(collections_path, exported):
    res = _ansible_doc(collections_path, "-l", "--json", "bulwark.container_security")
    assert res.returncode == 0, res.stderr
    listed = json.loads(res.stdout)
    assert sorted(listed) == sorted(PREFIX + name for name in exported)
    undocumented = [name for name, text in listed.items() if "UNDOCUMENTED" in str(text)]
    assert not undocumented


def test_every_filter_has_a_doc_file_beside_its_plugin(exported):
    missing = [f"plugins/filter/{name}.yml (exported by {info['plugin']})"
               for name, info in exported.items()
               if not (ROOT / "plugins" / "filter" / f"{name}.yml").is_file()]
    assert not missing


def test_every_filter_documents_what_ansible_doc_shows(docs, exported):
    for name in exported:
        entry = docs.get(PREFIX + name)
        assert entry, f"ansible-doc rendered nothing for {name}"
        doc = entry["doc"]
        assert doc["name"] == name
        assert doc["short_description"] and doc["description"], name
        assert doc["version_added"], name
        assert "!UNKNOWN" not in str(doc.get("author") or ""), name
        assert "_input" in doc["options"] and doc["options"]["_input"].get("required"), name
        assert entry["examples"] and PREFIX + name in entry["examples"], name
        assert entry["return"] and "_value" in entry["return"], name


def test_documented_options_match_the_python_signature(docs, exported):
    for name, info in exported.items():
        doc = docs[PREFIX + name]["doc"]
        params = info["params"][1:]  # the first parameter is the filter's input
        documented = set(doc["options"]) - {"_input"}
        assert documented == set(params), f"{name}: documented {sorted(documented)}, code {params}"
        for param in info["required"][1:]:
            assert doc["options"][param].get("required"), f"{name}: {param} is required in the code"
        positional = [p.strip() for p in str(doc.get("positional", "")).split(",") if p.strip()]
        assert positional[:1] == ["_input"], name
        # every argument the code requires can be passed by position, in the code's order
        assert positional[1:] == params[:len(positional) - 1], f"{name}: positional {positional}"
        assert set(info["required"][1:]) <= set(positional), f"{name}: positional {positional}"


def test_text_rendering_has_no_errors(collections_path, exported):
    res = _ansible_doc(collections_path, *(PREFIX + name for name in sorted(exported)))
    assert res.returncode == 0, res.stderr
    assert "UNDOCUMENTED" not in res.stdout
    assert "[ERROR]" not in res.stderr and "[WARNING]" not in res.stderr, res.stderr
    for name in exported:
        assert f"> FILTER {PREFIX}{name}" in res.stdout, name
