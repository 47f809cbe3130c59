#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Validate a seccomp profile: structure and every syscall name against libseccomp."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: seccomp_profile_validate
short_description: Check a seccomp profile before it reaches the kubelet
version_added: 0.1.0
description:
  - Checks the structure of a seccomp profile in the OCI/Docker format the kubelet passes to the
    container runtime for C(Localhost) profiles (C(defaultAction), C(architectures), C(syscalls)
    entries with C(names) and C(action), argument filters).
  - Resolves every syscall name with libseccomp's C(scmp_sys_resolver), the same library runc and
    crun build the filter with. A name libseccomp does not know (a typo like C(opne)) is an error
    that names it.
  - Never changes anything. Run it where C(scmp_sys_resolver) exists (Debian package C(seccomp));
    the C(seccomp_profiles) role runs it on the controller, before any node is touched.
options:
  path:
    description:
      - Profile file (JSON) on the host that runs the module. Exclusive with O(profile).
      - Only a regular file of at most 16 MiB is read (no FIFO, device or directory).
    type: path
  profile:
    description: The profile itself, as a mapping or a JSON string. Exclusive with O(path).
    type: raw
  resolver:
    description: Name or path of libseccomp's C(scmp_sys_resolver).
    type: str
    default: scmp_sys_resolver
extends_documentation_fragment:
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.read_only
  - bulwark.container_security.attributes.platform
requirements:
  - scmp_sys_resolver (Debian package C(seccomp)) on the host running the module
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Refuse a profile with a misspelled syscall before distributing it
  bulwark.container_security.seccomp_profile_validate:
    path: "{{ role_path }}/files/profiles/baseline.json"
  delegate_to: localhost

- name: Check an inline profile
  bulwark.container_security.seccomp_profile_validate:
    profile:
      defaultAction: SCMP_ACT_ERRNO
      architectures: [SCMP_ARCH_X86_64]
      syscalls:
        - names: [read, write, exit_group]
          action: SCMP_ACT_ALLOW
"""

RETURN = r"""
errors:
  description: Every problem found; empty when the profile is valid (the module fails otherwise).
  returned: always
  type: list
  elements: str
  sample: ["syscall 'opne' is unknown to libseccomp (misspelled, or not a Linux syscall)"]
syscalls:
  description: Number of distinct syscall names the profile mentions.
  returned: always
  type: int
  sample: 312
default_action:
  description: The profile's C(defaultAction).
  returned: always
  type: str
  sample: SCMP_ACT_ERRNO
"""

from ansible.module_utils.basic import AnsibleModule  # noqa: E402
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (  # noqa: E402
    printable,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.seccomp_profiles import (  # noqa: E402
    ProfileError,
    check_document,
    load,
    read_profile,
    syscall_names,
    validate,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "path": {"type": "path"},
            "profile": {"type": "raw"},
            "resolver": {"type": "str", "default": "scmp_sys_resolver"},
        },
        mutually_exclusive=[("path", "profile")],
        required_one_of=[("path", "profile")],
        supports_check_mode=True,
    )
    path, profile = module.params["path"], module.params["profile"]
    source = path or "profile"
    try:
        if path:
            profile = read_profile(path, source)      # regular file only, size capped
        elif isinstance(profile, str):
            profile = load(profile, source)
        else:
            check_document(profile, source)
        errors = validate(profile, resolver=module.params["resolver"])
    except (OSError, ProfileError) as exc:
        module.fail_json(msg=printable(f"{source}: {exc}"), errors=[printable(exc)], syscalls=0,
                         default_action="")
    is_dict = isinstance(profile, dict)
    result = {
        "changed": False,
        "errors": errors,
        "syscalls": len(syscall_names(profile)) if is_dict else 0,
        "default_action": str(profile.get("defaultAction", "")) if is_dict else "",
    }
    if errors:
        module.fail_json(msg=printable(f"{source}: " + "; ".join(errors)), **result)
    module.exit_json(**result)


if __name__ == "__main__":
    main()
