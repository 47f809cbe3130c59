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

try:
    import yaml
    HAS_YAML = True
except ImportError:  # pragma: no cover - PyYAML ships with ansible-core
    HAS_YAML = False


def read_yaml_option(module, option):
    """Parsed YAML of the file named by module option `option`, or None when it is unset."""
    path = module.params.get(option)
    if not path:
        return None
    if not HAS_YAML:
        module.fail_json(msg=f"{option} needs PyYAML on the host running the module")
    try:
        with open(path, encoding="utf-8") as handle:
            return yaml.safe_load(handle) or {}
    except (OSError, yaml.YAMLError) as exc:
        module.fail_json(msg=f"cannot read {option} {path}: {exc}")
    return None


def write_if_changed(module, path, content):
    """True when `path` would change; written atomically unless in check mode."""
    try:
        with open(path, encoding="utf-8") as handle:
            if handle.read() == content:
                return False
    except OSError:
        pass
    if not module.check_mode:
        tmp = f"{path}.tmp{os.getpid()}"
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(content)
            module.atomic_move(tmp, path)
        except OSError as exc:
            module.fail_json(msg=f"cannot write {path}: {exc}")
    return True


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
