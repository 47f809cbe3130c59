# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The pod security controls as a Pulumi CrossGuard pack sees them, in pulumi-policy's own terms.

One policy per control, and one per image rule that needs no registry (allowed_registries,
disallow_latest_tag, require_digest; allowed_base_images reads registries and is Kyverno's alone),
named as the builders name it with the default prefix (``bulwark-disallow-host-path``). What the
stack's policy settings say per control becomes pulumi-policy configuration: the enforcement level
(Deny: ``mandatory``, Audit or Warn: ``advisory``, a disabled control or an image rule that is
off: ``disabled``) and the properties of the policy's ``config_schema`` (JSON schema):
``excludedNamespaces`` on every policy, ``allowedCapabilities`` on restrict_added_capabilities,
``seccompProfileTypes`` on restrict_seccomp and ``allowedRegistries`` on allowed_registries.

- ``config_schema(control)``: the schema pulumi-policy checks a policy's configuration against.
- ``pack_config(settings)``: a policy pack config file (``pulumi preview --policy-pack-config``)
  asking for what the settings ask for; of the default settings: the pack's initial config.
- ``settings_for(control, config)``: one policy's configuration read back as the builders'
  settings; a bad value is refused naming the policy and the property.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    got,
    shown,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    image_rules,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    POD_SECURITY_CONTROLS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    DEFAULT_SYSTEM_NAMESPACES,
    SECCOMP_TYPES,
    SettingsError,
)

_DEFAULTS = Settings.from_dict({})
ENFORCEMENT_LEVELS = ("advisory", "mandatory", "disabled")

# config property -> (the settings key it feeds, its JSON schema)
PROPERTIES = {
    "excludedNamespaces": ("system_namespaces", {
        "type": "array", "items": {"type": "string"}, "uniqueItems": True,
        "default": list(DEFAULT_SYSTEM_NAMESPACES),
        "description": "Namespaces this control does not check (as the admission policies "
                       "exclude them)."}),
    "allowedCapabilities": ("pod_security.allowed_capabilities", {
        "type": "array", "items": {"type": "string", "pattern": "^[A-Z_]+$"},
        "uniqueItems": True, "default": list(_DEFAULTS.pod_security.allowed_capabilities),
        "description": "Capabilities a container may add back after dropping ALL."}),
    "seccompProfileTypes": ("pod_security.seccomp_profile_types", {
        "type": "array", "items": {"enum": list(SECCOMP_TYPES)}, "minItems": 1,
        "uniqueItems": True, "default": list(_DEFAULTS.pod_security.seccomp_profile_types),
        "description": "Seccomp profile types a Pod may use."}),
    "allowedRegistries": ("image_rules.allowed_registries.registries", {
        "type": "array", "items": {"type": "string"}, "uniqueItems": True, "default": [],
        "description": "Registries (and repository paths under them) images may come from; "
                       "names without a registry are docker.io's."}),
}
# the image rules CEL decides alone (no registry metadata), beside the pod security controls
IMAGE_RULE_KEYS = tuple(r for r in image_rules.IMAGE_RULES if r not in image_rules.REGISTRY_RULES)
POLICY_KEYS = (*POD_SECURITY_CONTROLS, *IMAGE_RULE_KEYS)
# control -> its properties besides excludedNamespaces (the settings its validations read)
CONTROL_PROPERTIES = {
    "restrict_added_capabilities": ("allowedCapabilities",),
    "restrict_seccomp": ("seccompProfileTypes",),
    "allowed_registries": ("allowedRegistries",),
}


class CrossGuardConfigError(ValueError):
    """A policy's configuration the builders refuse; the message names policy and property."""


def policy_name(control: str) -> str:
    return _DEFAULTS.policy_name(control)


def title(key: str) -> str:
    if key in image_rules.IMAGE_RULES:
        return image_rules.IMAGE_RULES[key][1]
    return POD_SECURITY_CONTROLS[key][1]


def properties_of(control: str) -> tuple[str, ...]:
    return ("excludedNamespaces", *CONTROL_PROPERTIES.get(control, ()))


def config_schema(control: str) -> dict:
    """``{"properties": {...}, "required": []}`` for ``PolicyConfigSchema(**...)``."""
    return {"properties": {p: dict(PROPERTIES[p][1]) for p in properties_of(control)},
            "required": []}


def _level(settings: Settings, control: str) -> str:
    if control in image_rules.IMAGE_RULES:
        if control not in settings.image_rules.enabled():
            return "disabled"
        actions = settings.image_rules.rules[control].actions
    elif control not in settings.pod_security.controls():
        return "disabled"
    else:
        actions = settings.pod_security.actions_for(control)
    return "mandatory" if "Deny" in actions else "advisory"


def pack_config(settings: Settings | dict) -> dict:
    """{policy name: {"enforcementLevel": ..., property: value}} for every policy of the pack."""
    if not isinstance(settings, Settings):
        settings = Settings.from_dict(settings)
    registries = settings.image_rules.rules.get("allowed_registries")
    values = {"excludedNamespaces": settings.all_excluded_namespaces(),
              "allowedCapabilities": list(settings.pod_security.allowed_capabilities),
              "seccompProfileTypes": list(settings.pod_security.seccomp_profile_types),
              "allowedRegistries": list(registries.values) if registries else []}
    return {policy_name(c): {"enforcementLevel": _level(settings, c),
                             **{p: values[p] for p in properties_of(c)}}
            for c in POLICY_KEYS}


def settings_for(control: str, config) -> Settings:
    """The builders' settings one policy's configuration stands for (``args.get_config()``;
    None or a missing property: the default). The enforcement level is the engine's business
    and is ignored here, as is any key pulumi-policy adds."""
    name = policy_name(control)
    if config is None:
        config = {}
    if not isinstance(config, dict):
        raise CrossGuardConfigError(f"{name}: the configuration is a {type(config).__name__}, "
                                    "not a mapping")
    data: dict = {"pod_security": {}}
    if control in image_rules.IMAGE_RULES:
        # the rule is on here: the engine runs the policy only at a level other than disabled
        data["image_rules"] = {control: {}}
    fed = {}
    for prop in properties_of(control):
        if prop not in config:
            continue
        if not isinstance(config[prop], list):
            # the schema's type; null would read as "none" in the settings, not as the default
            raise CrossGuardConfigError(f"{name}.{prop}: {shown(config[prop], 80)} is "
                                        f"{got(config[prop])}; a list is required")
        key = PROPERTIES[prop][0]
        fed[key] = prop
        *parents, leaf = key.split(".")
        node = data
        for parent in parents:
            node = node.setdefault(parent, {})
        node[leaf] = config[prop]
    try:
        return Settings.from_dict(data)
    except SettingsError as exc:
        key = exc.key if isinstance(exc.key, str) else ""
        prop = next((p for k, p in fed.items() if key == k or key.startswith(f"{k}[")), None)
        if prop is None:
            raise CrossGuardConfigError(f"{name}: {exc}") from None
        where = prop + key[len(PROPERTIES[prop][0]):]
        raise CrossGuardConfigError(f"{name}.{where}: {str(exc).split(': ', 1)[1]}") from None
