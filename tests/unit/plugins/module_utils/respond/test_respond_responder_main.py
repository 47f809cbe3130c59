# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The entry program (respond/__main__.py): bounded line reading and the settings check."""
from __future__ import annotations

import importlib
import io
import json

import respond_support

main_module = importlib.import_module(
    "ansible_collections.bulwark.container_security.plugins.module_utils.respond.__main__")


def test_lines_bound_an_oversized_line_and_go_on():
    stream = io.BytesIO(b"a\n" + b"x" * 5000 + b"\nb\r\n" + b"y" * 100 + b"\nlast")
    got = list(main_module.lines(stream, max_bytes=1024))
    assert got[0] == b"a" and got[2] == b"b" and got[4] == b"last"
    assert len(got[1]) == 1025          # refused as oversized by the reader
    assert got[3] == b"y" * 100


def test_bad_settings_exit_2_naming_the_key(tmp_path, capsys):
    path = tmp_path / "respond.json"
    path.write_text(json.dumps({"responses": [{"rule": "r", "actions": ["explode"]}]}))
    assert main_module.main(["--settings", str(path)]) == 2
    err = capsys.readouterr().err
    assert "respond.responses[0].actions[0]: 'explode' is not one of" in err
    assert "Traceback" not in err


def test_check_reads_the_token_file_but_never_shows_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(main_module, "detect", lambda *a, **k: [respond_support.FakeRuntime()])
    token = tmp_path / "token"
    token.write_text("Zq8-webhook-token-77")
    token.chmod(0o640)
    path = tmp_path / "respond.json"
    path.write_text(json.dumps({"webhook": {"url": "http://127.0.0.1:9/x",
                                            "token_file": str(token),
                                            "spool_dir": str(tmp_path / "spool")},
                                "audit_log": {"path": str(tmp_path / "audit.jsonl")}}))
    assert main_module.main(["--settings", str(path), "--check"]) == 2
    assert "readable by others" in capsys.readouterr().err
    token.chmod(0o600)
    assert main_module.main(["--settings", str(path), "--check"]) == 0
    err = capsys.readouterr().err
    assert "settings ok: 0 response(s), runtime podman" in err and "Zq8" not in err
