# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Kyverno admission policies, Pod Security labels and NetworkPolicies from one set of settings.

The one policy source of the ADMIT layer: the Pulumi program, the ``kyverno`` role and the
``kyverno_policy_bundle`` filter all call ``builders.build_bundle`` (and
``suites.build_test_suites``), so a cluster managed with ``pulumi up`` and one managed with
Ansible get the same manifests.

Plain Python, no Ansible imports, imported one way by the filters, the Pulumi program and the
tests:
``ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.<module>``.
validation.py (names, SettingsError), controls.py (the pod security controls as CEL),
settings.py (typed settings), builders.py (the manifests), suites.py (``kyverno test`` suites),
actions.py (what each policy of a bundle does, for posture, Pulumi and the admission check).

Choices made here (the issue was silent on them):

* Pod security policies match Pods *and* the pod controllers explicitly and read the pod spec
  through a ``podSpec`` variable (``spec``, ``spec.template.spec`` or
  ``spec.jobTemplate.spec.template.spec``). Because the match has more than the one ``pods``
  resource rule that Kyverno's ``CanAutoGen`` (pkg/cel/autogen) requires, autogen stays off and
  every verdict comes from the expressions written here. The capability control is two
  policies, as in Kyverno's own set: drop ALL, and add back only the allowed capabilities.
* CEL uses ``has()`` instead of optional fields (``a.?b.orValue(x)``): Kubernetes and Kyverno
  accept both, but the Python CEL engines the tests use only parse ``has()``.
* System namespaces are excluded with a ``namespaceSelector`` on
  ``kubernetes.io/metadata.name`` (set by the API server on every Namespace), so Kyverno's webhook
  never even receives their requests.
* ``failurePolicy`` is ``Fail`` when a policy denies and ``Ignore`` while it only audits or warns:
  a rollout in Audit must not make Kyverno's availability a precondition for scheduling pods.
"""
