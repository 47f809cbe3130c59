#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Read what a node really enforces, layer by layer, for the posture report."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: bulwark_posture_facts
short_description: Read what a node really enforces (tools, signatures, Falco, seccomp, rescans)
version_added: 0.1.0
description:
  - Reads, without changing anything, what the Bulwark roles left on a node and what the node's
    binaries answer, for the posture report (C(playbooks/posture.yml)). Always C(changed=false);
    nothing is written on the node, in check mode or not.
  - Each role asks for its own part from its C(tasks/posture.yml) entry point, with its own
    variables (C(ansible.builtin.include_role) with C(tasks_from=posture)); the module holds no
    role's paths or names. A part whose option is not set is not read and not returned.
  - O(tools) - for each tool, the path found, where it really lives (the installer's versioned
    directory behind the link), the version the binary answers and whether it matches the pin.
  - O(ship) - the trusted keys with their sha256, C(policy.json)'s default and per-scope
    requirements (with key files that are missing), and whether the node's containers/image
    tools can verify sigstore signatures at all. Debian 12's skopeo and podman are built with it
    disabled; they are found by the message compiled into them. The cosign role's enforcement
    refuses to write a policy on this verdict.
  - O(falco) and O(seccomp) - Falco (binary, driver of the role's drop-in, service state, rule
    files with sha256, the last validation) and the seccomp profiles (name, default action,
    syscall count).
  - O(rescan) - the newest Trivy rescan C(summary.json) (images by severity, age).
  - A part that cannot be read is reported as such (an C(error) field), never as a failure of
    the module, so one broken part does not hide the others.
options:
  tools:
    description:
      - The tools to ask, each with its pinned version.
      - C(name) is looked up in C(bin_dir), then the system's binary directories, then C(PATH);
        the version is asked with the release catalog's command for that tool.
    type: list
    elements: dict
    default: []
    suboptions:
      name:
        description: Binary name (C(cosign), C(trivy), C(falco), ...).
        type: str
        required: true
      pinned:
        description: The pinned version (the role's C(<tool>_version)).
        type: str
      pattern:
        description: A regular expression the version output must match instead (the role's
          C(<tool>_version_pattern), for builds that answer C(devel)).
        type: str
      expected:
        description: Whether the node should have the tool (a missing tool then fails its check).
        type: bool
        default: true
      bin_dir:
        description: Where the role installs the tool (the role's C(<tool>_bin_dir)), searched
          first.
        type: path
  ship:
    description: The cosign role's part. Not set, it is not read.
    type: dict
    suboptions:
      trusted_keys_dir:
        description: The trust store (C(cosign_trusted_keys_dir)).
        type: path
        required: true
      policy_path:
        description: containers/image signature policy (C(cosign_policy_path)).
        type: path
        required: true
      policy:
        description:
          - A policy.json document to judge instead of the file at O(ship.policy_path) (the
            cosign role's, before it writes it); its key files are looked up on the node.
        type: dict
      policy_readers:
        description:
          - The containers/image tools whose build is checked for sigstore support.
          - Not set, C(/usr/bin/skopeo), C(/usr/bin/podman), C(/usr/bin/buildah) and
            C(/usr/bin/crio) (where the distribution packages put them).
        type: list
        elements: path
  falco:
    description: The falco role's part. Not set, it is not read.
    type: dict
    suboptions:
      service:
        description: Falco's systemd unit, without C(.service) (C(falco_service_name)).
        type: str
        required: true
      config_dir:
        description: Falco's drop-in directory (C(falco_config_dir)).
        type: path
        required: true
      rules_dir:
        description: Falco's rules directory (C(falco_rules_dir)).
        type: path
        required: true
      validation_record:
        description:
          - The falco role's record of its last rules validation, a JSON file C({"rc", "time"})
            (C(falco_rules_validation_record)). Not set or absent, the last validation is taken
            from the managed rule files, which the falco role writes only after the staged set
            validated.
        type: path
  seccomp:
    description: The seccomp_profiles role's part. Not set, it is not read.
    type: dict
    suboptions:
      dir:
        description: Where the role puts its profiles
          (C(seccomp_profiles_dir)/C(seccomp_profiles_subdir)).
        type: path
        required: true
  rescan:
    description: The trivy role's rescan part. Not set, it is not read.
    type: dict
    suboptions:
      reports_dir:
        description: The rescan reports (C(trivy_rescan_reports_dir)).
        type: path
        required: true
      schedule:
        description: The rescan timer's C(OnCalendar) (C(trivy_rescan_schedule)); the report
          calls a summary stale when it is older than twice this period.
        type: str
        required: true
      timer:
        description: The rescan's systemd timer unit (the one the trivy role installs).
        type: str
        required: true
extends_documentation_fragment:
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.read_only
  - bulwark.container_security.attributes.platform
notes:
  - Runs C(systemctl show) at most once and each tool's version command once; reads files only.
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
# Usually through a role: ansible.builtin.include_role with tasks_from=posture
- name: Read the cosign role's part
  bulwark.container_security.bulwark_posture_facts:
    tools:
      - {name: cosign, pinned: "{{ cosign_version }}", bin_dir: "{{ cosign_bin_dir }}"}
    ship:
      trusted_keys_dir: "{{ cosign_trusted_keys_dir }}"
      policy_path: "{{ cosign_policy_path }}"
  register: cosign_posture

- name: Show whether the node can enforce signatures
  ansible.builtin.debug:
    msg: "{{ cosign_posture.posture.ship.sigstore.reason }}"
"""

RETURN = r"""
posture:
  description: What was read from the node, the parts asked for only (merged over the roles,
    the C(facts) of one node in C(posture.json)).
  returned: always
  type: dict
  contains:
    collected:
      description: When the facts were read (UTC, ISO 8601).
      type: str
    tools:
      description: One entry per tool - name, installed, path, real_path, version, answer,
        pinned, pattern, expected, matches (null when there is nothing to compare).
      type: list
      elements: dict
    ship:
      description: trusted_keys (name, path, sha256), policy (path, present, error, default,
        scopes with transport, scope, requirements, keys, keys_missing; keys_missing of the
        whole policy), sigstore (readers, capable, reason). Only when O(ship) is set.
      type: dict
    run:
      description: falco (installed, path, driver, service, rules, validation) when O(falco) is
        set, seccomp (dir, present, profiles with name, default_action, syscalls, sha256,
        error) when O(seccomp) is set.
      type: dict
    build:
      description: rescan (reports_dir, summary, finished, age_seconds, images, totals, failed,
        error, timer, schedule). Only when O(rescan) is set.
      type: dict
  sample:
    ship:
      sigstore:
        capable: false
        reason: '/usr/bin/skopeo built with sigstore verification disabled
          ("Debian-local change: sigstore disabled"): a sigstoreSigned policy would refuse
          every image'
"""

from ansible_collections.bulwark.container_security.plugins.module_utils.module_helper import (
    new_module,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import one_line
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.node import (
    collect,
)

ARGUMENT_SPEC = {
    "tools": {"type": "list", "elements": "dict", "default": [], "options": {
        "name": {"type": "str", "required": True},
        "pinned": {"type": "str"},
        "pattern": {"type": "str"},
        "expected": {"type": "bool", "default": True},
        "bin_dir": {"type": "path"},
    }},
    "ship": {"type": "dict", "options": {
        "trusted_keys_dir": {"type": "path", "required": True},
        "policy_path": {"type": "path", "required": True},
        "policy": {"type": "dict"},
        "policy_readers": {"type": "list", "elements": "path"},
    }},
    "falco": {"type": "dict", "options": {
        "service": {"type": "str", "required": True},
        "config_dir": {"type": "path", "required": True},
        "rules_dir": {"type": "path", "required": True},
        "validation_record": {"type": "path"},
    }},
    "seccomp": {"type": "dict", "options": {
        "dir": {"type": "path", "required": True},
    }},
    "rescan": {"type": "dict", "options": {
        "reports_dir": {"type": "path", "required": True},
        "schedule": {"type": "str", "required": True},
        "timer": {"type": "str", "required": True},
    }},
}


def _path_problems(params, spec=None, prefix="") -> list:
    """The path options (and policy_readers entries), at any depth of the parts, that the
    file system cannot take: a NUL byte or a name longer than it allows; each named, its value
    escaped."""
    problems = []
    for name, option in (ARGUMENT_SPEC if spec is None else spec).items():
        values = params.get(name) if isinstance(params, dict) else None
        where = f"{prefix}{name}"
        if option.get("options"):
            for item in values if isinstance(values, list) else [values]:
                problems += _path_problems(item, option["options"], f"{where}.")
        elif option.get("type") == "path" or option.get("elements") == "path":
            for value in values if isinstance(values, list) else [values]:
                if isinstance(value, str) and ("\x00" in value or len(value) > 4096):
                    problems.append(f"{where}: {one_line(value)[:80]!r} is not a usable path "
                                    f"(a NUL byte, or longer than 4096 characters)")
    return problems


def main():
    module = new_module(ARGUMENT_SPEC, supports_check_mode=True)
    problems = _path_problems(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    module.exit_json(changed=False, posture=collect(module.params))


if __name__ == "__main__":
    main()
