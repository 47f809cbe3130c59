#!/usr/bin/python
# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Ansible module: offline admission check of Kubernetes manifests against Bulwark's policies."""
from __future__ import annotations

DOCUMENTATION = r"""
---
module: admission_check
short_description: Judge Kubernetes manifests offline with Bulwark's admission policies
version_added: 0.1.0
description:
  - Builds the admission policies from O(policy_settings) with the one policy source the
    C(kyverno) role, the C(kyverno_policy_bundle) filter and the Pulumi program use (Kyverno
    C(ValidatingPolicy), or with C(engine=native) C(ValidatingAdmissionPolicy) and its binding),
    and evaluates every manifest of O(manifests) and O(paths) against them with a real CEL engine,
    as the admission webhook or the API server would for a CREATE request. No cluster is needed.
  - Pods and every pod controller (Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob)
    are judged on their pod spec; other kinds match no pod security policy and are admitted.
  - C(PolicyException) manifests of the settings exempt the workloads they name until their
    C(expiresAt). Image verification policies need registries and are listed in
    RV(not_evaluated) instead.
  - Fails when any resource is denied (a failing policy whose actions include C(Deny), or a CEL
    error under C(failurePolicy=Fail)), unless O(fail_on_deny=false). The result holds one
    summary per resource (its verdict and the policies that did not pass, with their messages);
    every policy's verdict goes to the JSON file O(report_path). The same check runs as a
    command, C(python3 bin/admission_check.py) in the installed collection, for CI.
options:
  manifests:
    description: Kubernetes manifests (mappings) to judge.
    type: list
    elements: dict
    default: []
  paths:
    description:
      - YAML files (one or more documents each) on the host that runs the module, judged after
        O(manifests). A C(List) document stands for its C(items).
    type: list
    elements: path
    default: []
  policy_settings:
    description:
      - The policy settings, the same mapping as the C(kyverno) role's C(kyverno_policy_settings)
        and the Pulumi stack's C(bulwark:policy) (see C(pulumi/Pulumi.example.yaml)). Empty
        means the defaults; invalid settings fail the task before anything is evaluated.
    type: dict
    default: {}
  cel_engine:
    description:
      - The Python CEL engine that evaluates the expressions.
    type: str
    default: common-expression-language
    choices: [common-expression-language, cel-python]
  fail_on_deny:
    description: Fail the task when any resource is denied.
    type: bool
    default: true
  report_path:
    description:
      - Write the whole report (every resource, every policy verdict with its actions and
        messages, the policies not evaluated) as JSON to this file on the host that runs the
        module. Written atomically in its directory, which must exist; a symlink or a directory
        at the path is refused. Not written in check mode.
    type: path
extends_documentation_fragment:
  - bulwark.container_security.attributes
  - bulwark.container_security.attributes.read_only
  - bulwark.container_security.attributes.platform
requirements:
  - The Python package of O(cel_engine) on the host that runs the module
    (C(common-expression-language) or C(cel-python)), and PyYAML for O(paths).
# validate-modules wants the key; its lines need a GitHub handle, and none is given
# (galaxy.yml names the authors)
author: null
"""

EXAMPLES = r"""
- name: Refuse a release whose manifests the cluster would deny
  bulwark.container_security.admission_check:
    paths: "{{ lookup('ansible.builtin.fileglob', 'deploy/*.yaml', wantlist=True) | sort }}"
    policy_settings: "{{ kyverno_policy_settings }}"
    report_path: "{{ playbook_dir }}/admission-report.json"
  delegate_to: localhost

- name: Report only, with the native engine's policies
  bulwark.container_security.admission_check:
    manifests: "{{ rendered_manifests }}"
    policy_settings: {engine: native}
    fail_on_deny: false
  register: admission
"""

RETURN = r"""
results:
  description:
    - Per resource, its verdict (C(admit) or C(deny)), how many matching policies passed, and
      the policies that did not pass (verdict C(fail), C(error) or C(skip)) with their message.
      Every verdict is in O(report_path).
  returned: always
  type: list
  elements: dict
  sample:
    - resource: Pod/default/privileged
      verdict: deny
      passed: 15
      policies:
        - policy: bulwark-disallow-privileged-containers
          kind: ValidatingPolicy
          control: disallow_privileged_containers
          verdict: fail
          denied: true
          message: "Privileged containers are disallowed: ..."
report_path:
  description: The file the whole report was written to (empty when O(report_path) is unset).
  returned: always
  type: str
denied:
  description: The resources denied, as C(Kind/namespace/name).
  returned: always
  type: list
  elements: str
admitted:
  description: The resources admitted, as C(Kind/namespace/name).
  returned: always
  type: list
  elements: str
not_evaluated:
  description: Policies of the bundle that need registries (image verification), not judged here.
  returned: always
  type: list
  elements: str
summary:
  description: One line per resource (C(ADMIT) or C(DENY)), then its failing policies and messages.
  returned: always
  type: list
  elements: str
"""

import json  # noqa: E402

from ansible.module_utils.basic import AnsibleModule, missing_required_lib  # noqa: E402

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (  # noqa: E402
    admission,
    builders,
    validation,
)
from ansible_collections.bulwark.container_security.plugins.module_utils import (  # noqa: E402
    safe_input,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (  # noqa: E402
    printable,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_output import (  # noqa: E402
    OutputError,
    write_text_if_changed,
)


def _load_paths(paths) -> list:
    """The manifests of every YAML stream in `paths` (a ``List`` stands for its ``items``),
    read through the one reader: regular files, a size cap, YAML alias and depth limits;
    anything else is an InputError naming the file."""
    docs = []
    for path in paths:
        for doc in safe_input.load_yaml_file(path, "manifest file", all_documents=True):
            if isinstance(doc, dict) and doc.get("kind") == "List":
                items = doc.get("items") or []
                if not isinstance(items, list):
                    raise safe_input.InputError(f"manifest file {path}: a List's items must be "
                                                f"a list, got {type(items).__name__}")
                docs.extend(items)
            elif doc is not None:
                docs.append(doc)
    return docs


def main():
    module = AnsibleModule(
        argument_spec={
            "manifests": {"type": "list", "elements": "dict", "default": []},
            "paths": {"type": "list", "elements": "path", "default": []},
            "policy_settings": {"type": "dict", "default": {}},
            "cel_engine": {"type": "str", "default": admission.DEFAULT_CEL_ENGINE,
                           "choices": list(admission.CEL_ENGINES)},
            "fail_on_deny": {"type": "bool", "default": True},
            "report_path": {"type": "path"},
        },
        supports_check_mode=True,
    )
    params = module.params
    missing = admission.missing_engine(params["cel_engine"])
    if missing:
        module.fail_json(msg=missing_required_lib(missing))
    try:
        bundle = builders.build_bundle(params["policy_settings"])
    except validation.SettingsError as exc:
        module.fail_json(msg=printable(f"policy_settings: {exc}"))
    try:
        resources = list(params["manifests"]) + _load_paths(params["paths"])
    except ImportError:
        module.fail_json(msg=missing_required_lib("PyYAML"))
    except (OSError, ValueError) as exc:    # unreadable file, YAML error
        module.fail_json(msg=printable(f"cannot read the manifests: {exc}"))
    if not resources:
        module.fail_json(msg="no manifests: give manifests or paths")
    try:
        report = admission.evaluate(bundle, resources, params["cel_engine"])
    except admission.AdmissionError as exc:
        module.fail_json(msg=printable(str(exc)))
    changed = False
    if params["report_path"]:
        try:
            changed = write_text_if_changed(params["report_path"],
                                            json.dumps(report, indent=1, sort_keys=True) + "\n",
                                            module.check_mode, what="report_path")
        except OutputError as exc:
            module.fail_json(msg=printable(str(exc)))
    out = {
        "changed": changed,
        "results": admission.resource_summaries(report),
        "denied": report["denied"],
        "admitted": [r["resource"] for r in report["resources"] if r["allowed"]],
        "not_evaluated": report["not_evaluated"],
        "summary": admission.summary_lines(report),
        "report_path": params["report_path"] or "",
    }
    if report["denied"] and params["fail_on_deny"]:
        reasons = [f"{res['resource']}: {pol['policy']}: {pol['message']}"
                   for res in out["results"] for pol in res["policies"] if pol["denied"]]
        where = f" (every verdict: {params['report_path']})" if params["report_path"] else ""
        module.fail_json(msg=printable(f"admission denied {len(report['denied'])} of "
                                       f"{len(resources)} resource(s){where}: "
                                       + " | ".join(reasons)), **out)
    module.exit_json(**out)


if __name__ == "__main__":
    main()
