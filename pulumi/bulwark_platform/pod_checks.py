# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The pod security controls checked before ``pulumi up``: the CrossGuard pack's logic.

Nothing is written again here: each control is the ValidatingAdmissionPolicy the collection's
builders derive from the control table (expressions over ``object`` only), evaluated with a
real CEL engine (common-expression-language), with the table's message. Deny in the policy
settings makes a control mandatory, Audit or Warn advisory.
"""
from __future__ import annotations

import functools
from dataclasses import dataclass

from .collection import ensure_importable
from .hardening import pod_spec_path

ensure_importable()

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.actions import (  # noqa: E402
    policy_actions,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (  # noqa: E402
    build_pod_security_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.native import (  # noqa: E402
    build_native_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (  # noqa: E402
    Settings,
)


@dataclass(frozen=True)
class Control:
    name: str               # the policy name, e.g. bulwark-disallow-host-path
    control: str            # the control key, e.g. disallow_host_path
    description: str        # the policy title
    mandatory: bool
    validations: tuple      # ({expression, message}, ...) over ``object``

    def violations(self, obj: dict) -> list[str]:
        """The messages of the validations ``obj`` (a Kubernetes manifest) fails."""
        return [v["message"] for v in self.validations
                if not bool(_program(v["expression"]).execute({"object": obj}))]


@functools.cache
def _program(expression: str):
    import cel  # common-expression-language: the pack's requirements pin it

    return cel.compile(expression)


def controls(settings: Settings | dict | None = None) -> list[Control]:
    if not isinstance(settings, Settings):
        settings = Settings.from_dict(settings or {})
    out = []
    for control in settings.pod_security.controls():
        policy, binding = build_native_policy(build_pod_security_policy(settings, control))
        name = policy["metadata"]["name"]
        out.append(Control(
            name=name, control=control,
            description=policy["metadata"]["annotations"]["policies.kyverno.io/title"],
            mandatory="Deny" in policy_actions([policy, binding])[name],
            validations=tuple(policy["spec"]["validations"])))
    return out


def manifest(resource_type: str, props: dict) -> dict | None:
    """The Kubernetes object a Pulumi resource declares, or None if it has no Pod template.

    CrossGuard hands the inputs under their Kubernetes names (``apiVersion``, ``spec``)."""
    if pod_spec_path(resource_type) is None:
        return None
    kind = resource_type.rsplit(":", 1)[1]
    return {**props, "kind": kind}
