#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: lint Falco rules files the way Falco loads them."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: falco_rules_lint
short_description: Lint Falco rules files before any Falco loads them
version_added: 0.1.0
description:
  - Loads O(paths) in order with Falco's semantics (lists, macros, rules, C(override) and
    legacy C(append), C(exceptions), C(enabled)) and checks each item against Falco's rules
    JSON schema when O(schema) is given.
  - Parses every condition with the grammar of the falcosecurity libs filter compiler, resolves
    macro and list references, checks field names against the libs field catalog plus the
    C(container) and C(k8smeta) plugin fields, checks C(%field) references in outputs and
    priorities, and warns on C(evt.type) values that are not events.
  - Judges like Falco 0.44's loader; what Falco only warns about is a warning here too
    (schema mismatches, unknown keys), and booleans are read as Falco's YAML library reads them
    (V(y), V(yes), V(on), ... in any of lowercase, UPPERCASE or Capitalized).
  - Fails when there is any error, naming the file, the line (and the column for condition
    errors), the rule, macro or list, and the problem. Warnings are returned, and fail the task
    only with O(fail_on_warnings).
  - Never changes anything. Falco itself is not needed; the same checks run as a command,
    C(python3 bin/falco_rules_lint.py FILE...) in the installed collection or a checkout, for CI.
options:
  paths:
    description:
      - Rules files on the host that runs the module, in Falco's loading order (for example the
        stock C(falco_rules.yaml) first, then C(rules.d)). A directory stands for its files,
        sorted by name, as in Falco's C(rules_files).
      - An empty list is refused (it would lint nothing and pass).
    type: list
    elements: path
    required: true
  schema:
    description:
      - Falco's rules JSON schema (C(falco --rule-schema)). The schema check needs the Python
        package C(jsonschema); without it the check is skipped with a warning.
    type: path
  falco_version:
    description:
      - The Falco release to judge against. C(required_engine_version) items are compared with
        its engine version (Falco 0.44.0 and 0.44.1 have engine 0.62.0); a newer requirement, or
        another major version, is an error naming both versions.
    type: str
    default: "0.44.1"
    choices: ["0.44.0", "0.44.1"]
  fail_on_warnings:
    description: Fail when the linter has warnings, not only errors.
    type: bool
    default: false
  return_expanded:
    description: Return every rule's condition with macros, lists and exceptions expanded.
    type: bool
    default: false
extends_documentation_fragment:
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.read_only
  - bulwark.container_security.attributes.platform
requirements:
  - PyYAML on the host that runs the module (Debian package C(python3-yaml)).
notes:
  - Field names come from sysdig 0.41.4 (falcosecurity libs 0.23) and the container/k8smeta
    plugin READMEs. Rules of other sources (C(k8s_audit), C(aws_cloudtrail), ...) get every
    check except field names.
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Refuse a rules update that Falco would not load
  bulwark.container_security.falco_rules_lint:
    paths:
      - /etc/falco/falco_rules.yaml
      - /etc/falco/rules.d.staging/bulwark_rules.yaml
    schema: /etc/falco/rules.schema.json

- name: Lint in CI, with the expanded conditions for review
  bulwark.container_security.falco_rules_lint:
    paths: "{{ lookup('ansible.builtin.fileglob', 'rules/*.yaml', wantlist=True) | sort }}"
    return_expanded: true
  delegate_to: localhost
  register: lint
"""

RETURN = r"""
errors:
  description: Every error; the module fails when there is one.
  returned: always
  type: list
  elements: dict
  sample:
    - file: /etc/falco/rules.d/protect.yaml
      line: 3
      column: 23
      kind: rule
      name: Write to Protected Directory
      category: syntax
      severity: error
      message: "condition syntax error at '/> \"SA\"': expected a number value ..."
lint_warnings:
  description:
    - Every warning (for example an C(evt.type) value that is not an event), with the same keys
      as RV(errors). Each is also emitted as an Ansible warning, one line each.
  returned: always
  type: list
  elements: dict
messages:
  description: "Errors then warnings, one line each: C(FILE:LINE: rule 'NAME': message)."
  returned: always
  type: list
  elements: str
counts:
  description: Number of rules, macros and lists after loading every file.
  returned: always
  type: dict
  sample: {rules: 25, macros: 87, lists: 49}
expanded:
  description: Rule name to fully expanded condition; only with O(return_expanded).
  returned: when return_expanded
  type: dict
"""

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

from ansible_collections.bulwark.container_security.plugins.module_utils.falco.engine import (  # noqa: E402
    FALCO_ENGINE_VERSIONS,
    PINNED_FALCO_VERSION,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (  # noqa: E402
    one_line,
    printable,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.linter import (  # noqa: E402
    lint_paths,
)


def main():
    module = AnsibleModule(
        argument_spec={
            "paths": {"type": "list", "elements": "path", "required": True},
            "schema": {"type": "path"},
            "falco_version": {"type": "str", "default": PINNED_FALCO_VERSION,
                              "choices": sorted(FALCO_ENGINE_VERSIONS)},
            "fail_on_warnings": {"type": "bool", "default": False},
            "return_expanded": {"type": "bool", "default": False},
        },
        supports_check_mode=True,
    )
    params = module.params
    try:
        result = lint_paths(params["paths"], params["schema"],
                            falco_version=params["falco_version"])
    except ImportError as exc:      # PyYAML missing on the host
        module.fail_json(msg=f"{missing_required_lib('PyYAML')} ({exc})")
    except ValueError as exc:       # empty paths, unreadable schema: the message names it
        module.fail_json(msg=printable(str(exc)))
    except OSError as exc:          # a name the file system refuses (too long, a loop...)
        module.fail_json(msg=printable(f"cannot read the rules paths: {exc}"))
    out = {
        "changed": False,
        "errors": [p.as_dict() for p in result.errors],
        "lint_warnings": [p.as_dict() for p in result.warnings],
        "messages": [str(p) for p in result.errors] + [f"warning: {p}" for p in result.warnings],
        "counts": {"rules": len(result.rules), "macros": len(result.macros),
                   "lists": len(result.lists)},
    }
    for warning in result.warnings:
        module.warn(printable(str(warning)))
    if params["return_expanded"]:
        out["expanded"] = result.expanded
    if result.errors or (params["fail_on_warnings"] and result.warnings):
        problems = result.errors or result.warnings
        shown = "; ".join(one_line(p) for p in problems[:5])
        more = f" (and {len(problems) - 5} more)" if len(problems) > 5 else ""
        module.fail_json(msg=f"Falco rules lint: {len(result.errors)} error(s), "
                             f"{len(result.warnings)} warning(s): {shown}{more}", **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
