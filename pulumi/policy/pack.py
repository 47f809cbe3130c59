# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The CrossGuard pack's policies, without pulumi_policy (tests call the validation functions).

One policy per pod security control and per image rule CEL decides alone (crossguard.POLICY_KEYS);
each reports its message for every Pod or pod controller whose Pod template fails it. Nothing is
written again here: a control is the ValidatingAdmissionPolicy the collection's builders derive
from the control table (expressions over ``object`` only), evaluated with a real CEL engine
(common-expression-language), with the table's message. Its configuration is pulumi-policy's own:
the schema of each policy and the pack's initial config come from the collection's
kyverno/crossguard.py, and ``validate`` reads ``args.get_config()``; a stack's settings reach the
pack as a policy pack config file that ``render.py`` writes (``policy-pack-config.json``).

The pack stays inside this directory (it is published alone): it imports the collection's
module_utils through their namespace, found by bulwark_collection.py.
"""
from __future__ import annotations

import functools
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bulwark_collection import ensure_importable

ensure_importable()

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (  # noqa: E402
    crossguard,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.builders import (  # noqa: E402
    build_rule_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.native import (  # noqa: E402
    build_native_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (  # noqa: E402
    POD_KINDS,
)

# Pulumi type tokens of the kinds the policies match (kubernetes:apps/v1:Deployment -> Deployment)
PROVIDER_PREFIX = "kubernetes:"


@dataclass(frozen=True)
class Policy:
    name: str               # the policy name, e.g. bulwark-disallow-host-path
    control: str            # the control key, e.g. disallow_host_path
    description: str        # the control's title
    config_schema: dict     # {"properties": ..., "required": [...]} for PolicyConfigSchema
    validate: object        # validate(args, report_violation), as CrossGuard calls it


def kind_of(resource_type: str) -> str | None:
    """The Kubernetes kind of a Pulumi kubernetes type token, if it has a Pod template."""
    if not resource_type.startswith(PROVIDER_PREFIX):
        return None
    kind = resource_type.rsplit(":", 1)[-1]
    return kind if kind in POD_KINDS else None


@functools.cache
def _validations(control: str, config_json: str) -> tuple[tuple, tuple]:
    """(excluded namespaces, ({expression, message}, ...)) of a control under a configuration."""
    settings = crossguard.settings_for(control, json.loads(config_json))
    policy, _binding = build_native_policy(build_rule_policy(settings, control))
    return tuple(settings.all_excluded_namespaces()), tuple(policy["spec"]["validations"])


@functools.cache
def _program(expression: str):
    import cel  # common-expression-language: the pack's requirements pin it

    return cel.compile(expression)


def plain(value):
    """CrossGuard's read-only proxies of the inputs (Mapping / Sequence) as plain dicts and lists,
    read whole: a value not known yet in a preview raises pulumi-policy's UnknownValueError
    here, which it reports as "can't run policy ... during preview" rather than a pass."""
    if isinstance(value, Mapping):
        return {key: plain(value[key]) for key in value}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        return [plain(item) for item in value]
    return value


def violations(control: str, config, resource_type: str, props: Mapping) -> list[str]:
    """The messages of the control's validations the resource fails, under ``config``."""
    kind = kind_of(resource_type)
    if kind is None:
        return []
    crossguard.settings_for(control, config)              # refuses a bad config, named
    excluded, validations = _validations(control, json.dumps(config or {}, sort_keys=True))
    # CrossGuard hands the inputs under their Kubernetes names (apiVersion, spec), proxied
    obj = {**plain(props), "kind": kind}
    namespace = (obj.get("metadata") or {}).get("namespace")
    if namespace in excluded:
        return []
    return [v["message"] for v in validations
            if not bool(_program(v["expression"]).execute({"object": obj}))]


def validator(control: str):
    """``validate(args, report_violation)`` as CrossGuard calls it for one resource."""
    def validate(args, report_violation) -> None:
        for message in violations(control, args.get_config(), args.resource_type, args.props):
            report_violation(message)
    validate.__name__ = f"validate_{control}"
    return validate


def policies() -> list[Policy]:
    return [Policy(name=crossguard.policy_name(key), control=key,
                   description=crossguard.title(key), config_schema=crossguard.config_schema(key),
                   validate=validator(key))
            for key in crossguard.POLICY_KEYS]


def initial_config() -> dict:
    """The pack's initial config: what the collection's default settings ask for."""
    return crossguard.pack_config({})
