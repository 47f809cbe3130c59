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
  - C(tools) - for each tool, the path found, where it really lives (the installer's versioned
    directory behind the link), the version the binary answers and whether it matches the pin.
  - C(ship) - the trusted keys with their sha256, C(policy.json)'s default and per-scope
    requirements (with key files that are missing), and whether the node's containers/image
    tools can verify sigstore signatures at all. Debian 12's skopeo and podman are built with it
    disabled; they are found by the message compiled into them, as the cosign role does.
  - C(run) - Falco (binary, driver of the role's drop-in, service state, rule files with sha256,
    the last validation) and the seccomp profiles (name, default action, syscall count).
  - C(build) - the newest Trivy rescan C(summary.json) (images by severity, age).
  - A part that cannot be read is reported as such (an C(error) field), never as a failure of
    the module, so one broken part does not hide the others.
options:
  tools:
    description:
      - The tools to ask, each with its pinned version.
      - C(name) is looked up in C(/usr/local/bin), C(/usr/bin), C(/usr/sbin), C(/bin), C(/sbin)
        then C(PATH); the version is asked with the release catalog's command for that tool.
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
  trusted_keys_dir:
    description: The cosign role's trust store (C(cosign_trusted_keys_dir)).
    type: path
    default: /etc/bulwark/cosign/trusted-keys
  policy_path:
    description: containers/image signature policy (C(cosign_policy_path)).
    type: path
    default: /etc/containers/policy.json
  policy_readers:
    description: The containers/image tools whose build is checked for sigstore support.
    type: list
    elements: path
    default: [/usr/bin/skopeo, /usr/bin/podman, /usr/bin/buildah, /usr/bin/crio]
  falco_service:
    description: Falco's systemd unit, without C(.service) (C(falco_service_name)).
    type: str
    default: falco-modern-bpf
  falco_config_dir:
    description: Falco's drop-in directory (C(falco_config_dir)).
    type: path
    default: /etc/falco/config.d
  falco_rules_dir:
    description: Falco's rules directory (C(falco_rules_dir)).
    type: path
    default: /etc/falco/rules.d
  falco_validation_record:
    description:
      - A JSON file C({"rc", "time"}) with the last rules validation, if the site keeps one.
        Without it the last validation is taken from the managed rule files, which the falco
        role writes only after the staged set validated.
    type: path
    default: /var/lib/bulwark/falco/rules-validation.json
  seccomp_dir:
    description: Where the seccomp_profiles role puts its profiles.
    type: path
    default: /var/lib/kubelet/seccomp/bulwark
  rescan_reports_dir:
    description: The Trivy rescan reports (C(trivy_rescan_reports_dir)).
    type: path
    default: /var/lib/trivy/reports
  rescan_schedule:
    description: The rescan timer's C(OnCalendar) (C(trivy_rescan_schedule)); the report calls a
      summary stale when it is older than twice this period.
    type: str
    default: daily
extends_documentation_fragment:
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.read_only
  - bulwark.container_security.attributes.platform
notes:
  - Runs C(systemctl show) once and each tool's version command once; reads files only.
author:
  - Bulwark maintainers (!UNKNOWN)
"""

EXAMPLES = r"""
- name: Read the node's posture
  bulwark.container_security.bulwark_posture_facts:
    tools:
      - {name: cosign, pinned: "3.1.1"}
      - {name: falco, pinned: "0.44.1"}
  register: posture_node

- name: Show whether the node can enforce signatures
  ansible.builtin.debug:
    msg: "{{ posture_node.posture.ship.sigstore.reason }}"
"""

RETURN = r"""
posture:
  description: Everything read from the node (the C(facts) of one node in C(posture.json)).
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
        scopes with transport, scope, requirements, keys, keys_missing), sigstore (readers,
        capable, reason).
      type: dict
    run:
      description: falco (installed, path, driver, service, rules, validation) and seccomp
        (dir, present, profiles with name, default_action, syscalls, sha256, error).
      type: dict
    build:
      description: rescan (reports_dir, summary, finished, age_seconds, images, totals, failed,
        error, timer, schedule).
      type: dict
  sample:
    ship:
      sigstore:
        capable: false
        reason: '/usr/bin/skopeo built with sigstore verification disabled
          ("Debian-local change: sigstore disabled"): a sigstoreSigned policy would refuse
          every image'
"""

from ansible.module_utils.basic import AnsibleModule
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import one_line
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.node import (
    POLICY_READERS,
    collect,
)

ARGUMENT_SPEC = {
    "tools": {"type": "list", "elements": "dict", "default": [], "options": {
        "name": {"type": "str", "required": True},
        "pinned": {"type": "str"},
        "pattern": {"type": "str"},
        "expected": {"type": "bool", "default": True},
    }},
    "trusted_keys_dir": {"type": "path", "default": "/etc/bulwark/cosign/trusted-keys"},
    "policy_path": {"type": "path", "default": "/etc/containers/policy.json"},
    "policy_readers": {"type": "list", "elements": "path", "default": list(POLICY_READERS)},
    "falco_service": {"type": "str", "default": "falco-modern-bpf"},
    "falco_config_dir": {"type": "path", "default": "/etc/falco/config.d"},
    "falco_rules_dir": {"type": "path", "default": "/etc/falco/rules.d"},
    "falco_validation_record": {"type": "path",
                                "default": "/var/lib/bulwark/falco/rules-validation.json"},
    "seccomp_dir": {"type": "path", "default": "/var/lib/kubelet/seccomp/bulwark"},
    "rescan_reports_dir": {"type": "path", "default": "/var/lib/trivy/reports"},
    "rescan_schedule": {"type": "str", "default": "daily"},
}


def _path_problems(params) -> list:
    """The path options (and policy_readers entries) the file system cannot take: a NUL byte
    or a name longer than it allows; each named, its value escaped."""
    problems = []
    for name, option in ARGUMENT_SPEC.items():
        values = params.get(name)
        if option.get("type") == "path" or option.get("elements") == "path":
            values = values if isinstance(values, list) else [values]
            for value in values:
                if isinstance(value, str) and ("\x00" in value or len(value) > 4096):
                    problems.append(f"{name}: {one_line(value)[:80]!r} is not a usable path "
                                    f"(a NUL byte, or longer than 4096 characters)")
    return problems


def main():
    module = AnsibleModule(argument_spec=ARGUMENT_SPEC, supports_check_mode=True)
    problems = _path_problems(module.params)
    if problems:
        module.fail_json(msg="; ".join(problems))
    module.exit_json(changed=False, posture=collect(module.params))


if __name__ == "__main__":
    main()
