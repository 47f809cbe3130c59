#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Write a set of text files under one directory in one task; remove the ones it no longer names."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: file_set
short_description: Write a set of text files under one directory, pruning the stale ones
version_added: 0.3.0
description:
  - Writes every file of O(files) under O(path), each only when its content differs, with the
    owner, group and mode given, creating the directories on the way.
  - Removes the files under the O(prune) directories that O(files) does not name, so a policy
    or test dropped from a bundle does not stay behind on disk.
  - One task instead of one C(ansible.builtin.copy) per file; a bundle of dozens of manifests
    costs one module run per host, not dozens (each copy is a transfer and a remote process).
  - Every relative path is checked before anything is written; a path that could leave O(path)
    (absolute, C(..)) fails the task with the path named.
options:
  path:
    description: The directory the files are written under.
    type: path
    required: true
  files:
    description:
      - Relative path (C(/)-separated, under O(path)) to the file's text content.
    type: dict
    required: true
  prune:
    description:
      - Directories, relative to O(path), where files that O(files) does not name are removed.
    type: list
    elements: str
    default: []
  directory_mode:
    description: Mode of the directories the module creates (owner and group as the files').
    type: raw
    default: "0755"
extends_documentation_fragment:
  - ansible.builtin.files
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.platform
attributes:
  check_mode:
    support: full
  diff_mode:
    support: full
    details:
      - Shows each file's content before and after; a removed file as its content before.
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Write the policy bundle, one file per manifest, and drop the files of removed policies
  bulwark.container_security.file_set:
    path: /srv/ci/kyverno
    files:
      policies/require-run-as-non-root.yaml: "{{ policy | to_nice_yaml }}"
      bundle.yaml: "{{ bundle_text }}"
    prune: [policies]
    mode: "0644"
"""

RETURN = r"""
written:
  description: >-
    Relative paths of the files written or whose owner, group or mode were set (or would be,
    in check mode).
  returned: always
  type: list
  elements: str
  sample: [policies/require-run-as-non-root.yaml]
removed:
  description: Relative paths of the files removed (or that would be, in check mode).
  returned: always
  type: list
  elements: str
  sample: [policies/old-policy.yaml]
"""

import os  # noqa: E402

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.bulwark.container_security.plugins.module_utils.module_files import (  # noqa: E402
    file_set_errors,
    stale_files,
    write_if_changed,
)


def _read(path):
    try:
        with open(path, encoding="utf-8") as handle:
            return handle.read()
    except (OSError, UnicodeDecodeError):
        return ""


def _ensure_dir(module, path, dir_args):
    """Create `path` (and its parents) with the directory attributes; True when anything changed."""
    changed = False
    if not os.path.isdir(path):
        parent = os.path.dirname(path)
        if parent and parent != path:   # a relative name's first component has no parent
            _ensure_dir(module, parent, dir_args)
        changed = True
        if module.check_mode:
            return True
        try:
            os.mkdir(path)
        except OSError as exc:
            module.fail_json(msg=f"cannot create directory {path}: {exc}")
    if os.path.isdir(path):
        args = dict(dir_args, path=path)
        changed = module.set_fs_attributes_if_different(args, changed, expand=False)
    return changed


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path", "required": True},
            "files": {"type": "dict", "required": True},
            "prune": {"type": "list", "elements": "str", "default": []},
            "directory_mode": {"type": "raw", "default": "0755"},
        },
        add_file_common_args=True,
        supports_check_mode=True,
    )
    root, files, prune = module.params["path"], module.params["files"], module.params["prune"]
    if not root.strip():
        module.fail_json(msg="path must name a directory, got an empty string", written=[],
                         removed=[])
    errors = file_set_errors(files, prune)
    if errors:
        module.fail_json(msg="; ".join(errors), written=[], removed=[])
    file_args = module.load_file_common_arguments(module.params)
    dir_args = dict(file_args, mode=module.params["directory_mode"])
    changed = False
    written, removed, diffs = [], [], []
    known_dirs = set()
    for rel_dir in [""] + prune + sorted({os.path.dirname(rel) for rel in files}):
        target = os.path.join(root, rel_dir) if rel_dir else root
        if target not in known_dirs:
            known_dirs.add(target)
            changed = _ensure_dir(module, target, dir_args) or changed
    for rel in sorted(files):
        dest = os.path.join(root, rel)
        before = _read(dest) if module._diff else ""
        if write_if_changed(module, dest, files[rel]):
            written.append(rel)
            if module._diff:
                diffs.append({"before_header": dest, "after_header": dest,
                              "before": before, "after": files[rel]})
        if os.path.exists(dest):
            file_changed = module.set_fs_attributes_if_different(
                dict(file_args, path=dest), False, expand=False)
            if file_changed and rel not in written:
                written.append(rel)
    for rel in stale_files(root, prune, set(files)) if os.path.isdir(root) else []:
        dest = os.path.join(root, rel)
        if module._diff:
            diffs.append({"before_header": dest, "after_header": dest,
                          "before": _read(dest), "after": ""})
        removed.append(rel)
        if not module.check_mode:
            try:
                os.unlink(dest)
            except OSError as exc:
                module.fail_json(msg=f"cannot remove {dest}: {exc}", written=written,
                                 removed=removed)
    changed = changed or bool(written or removed)
    module.exit_json(changed=changed, written=written, removed=removed, diff=diffs)


if __name__ == "__main__":
    main()
