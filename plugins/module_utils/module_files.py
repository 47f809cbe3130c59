# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""File helpers shared by the collection's modules.

They take the running AnsibleModule as an argument (duck-typed: fail_json, atomic_move,
check_mode) and import nothing from Ansible, so they stay plain Python like the rest of
module_utils.
"""
from __future__ import annotations

import os

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    safe_message,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    InputError,
    load_yaml_file,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_output import (
    OutputError,
    write_chunks_if_changed,
    write_text_if_changed,
)


def read_yaml_option(module, option):
    """Parsed YAML of the file named by module option `option`, or None when it is unset.

    Read through safe_input (regular file, size cap, alias and depth bounds)."""
    path = module.params.get(option)
    if not path:
        return None
    try:
        return load_yaml_file(path, option) or {}
    except InputError as exc:
        module.fail_json(msg=safe_message(f"cannot read {option}: {exc}"))
    return None


def write_if_changed(module, path, content):
    """True when `path` would change; written unless in check mode, through safe_output (a
    mkstemp file in the target directory renamed over it: a symlink or a directory at `path`
    is refused, no temporary file is left behind). `content` is text, or an iterable of text
    pieces written as they come (a large SARIF log)."""
    if module.check_mode and not os.path.lexists(path):
        return True             # its directory may not exist yet either: nothing is written
    try:
        if isinstance(content, str):
            return write_text_if_changed(path, content, module.check_mode)
        return write_chunks_if_changed(path, content, module.check_mode)
    except OutputError as exc:
        module.fail_json(msg=safe_message(f"cannot write {path}: {exc}"))
    return False


def file_set_errors(files, prune):
    """Why a file set cannot be written under its root: each relative path named, or []."""
    errors = []
    for option, paths in (("files", files), ("prune", prune)):
        for rel in paths:
            parts = str(rel).split("/")
            if not rel or rel.startswith("/") or any(p in ("", ".", "..") for p in parts):
                errors.append(f"{option}: {rel!r} is not a relative path inside the root "
                              "(no leading '/', no '.', '..' or empty components)")
    for rel, content in files.items():
        if not isinstance(content, str):
            errors.append(f"files: {rel!r} must map to text, got {type(content).__name__}")
    return errors


def stale_files(root, prune, keep):
    """Files under the `prune` directories of `root` that `keep` (relative paths) does not name."""
    stale = []
    for rel_dir in prune:
        top = os.path.join(root, rel_dir)
        for dirpath, _dirs, names in os.walk(top):
            for name in names:
                rel = os.path.relpath(os.path.join(dirpath, name), root)
                if rel not in keep:
                    stale.append(rel)
    return sorted(stale)
