# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The pod security controls as a Pulumi CrossGuard pack sees them, in pulumi-policy's own terms.

One policy per control, named as the builders name it with the default prefix
(``bulwark-disallow-host-path``). What the stack's policy settings say per control becomes
pulumi-policy configuration: the enforcement level (Deny: ``mandatory``, Audit or Warn:
``advisory``, a disabled control: ``disabled``) and the properties of the policy's
``config_schema`` (JSON schema): ``excludedNamespaces`` on every policy, ``allowedCapabilities``
on restrict_added_capabilities and ``seccompProfileTypes`` on restrict_seccomp.

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
}
# control -> its properties besides excludedNamespaces (the settings its validations read)
CONTROL_PROPERTIES = {
    "restrict_added_capabilities": ("allowedCapabilities",),
    "restrict_seccomp": ("seccompProfileTypes",),
}


class CrossGuardConfigError(ValueError):
    """A policy's configuration the builders refuse; the message names policy and property."""


def policy_name(control: str) -> str:
    return _DEFAULTS.policy_name(control)


def properties_of(control: str) -> tuple[str, ...]:
    return ("excludedNamespaces", *CONTROL_PROPERTIES.get(control, ()))


def config_schema(control: str) -> dict:
    """``{"properties": {...}, "required": []}`` for ``PolicyConfigSchema(**...)``."""
    return {"properties": {p: dict(PROPERTIES[p][1]) for p in properties_of(control)},
            "required": []}


def _level(settings: Settings, control: str) -> str:
    if control not in settings.pod_security.controls():
        return "disabled"
    return "mandatory" if "Deny" in settings.pod_security.actions_for(control) else "advisory"


def pack_config(settings: Settings | dict) -> dict:
    """{policy name: {"enforcementLevel": ..., property: value}} for every control."""
    if not isinstance(settings, Settings):
        settings = Settings.from_dict(settings)
    values = {"excludedNamespaces": settings.all_excluded_namespaces(),
              "allowedCapabilities": list(settings.pod_security.allowed_capabilities),
              "seccompProfileTypes": list(settings.pod_security.seccomp_profile_types)}
    return {policy_name(c): {"enforcementLevel": _level(settings, c),
                             **{p: values[p] for p in properties_of(c)}}
            for c in POD_SECURITY_CONTROLS}


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
        if key.startswith("pod_security."):
            data["pod_security"][key.split(".", 1)[1]] = config[prop]
        else:
            data[key] = config[prop]
    try:
        return Settings.from_dict(data)
    except SettingsError as exc:
        key = exc.key if isinstance(exc.key, str) else ""
        prop = next((p for k, p in fed.items() if key == k or key.startswith(f"{k}[")), None)
        if prop is None:
            raise CrossGuardConfigError(f"{name}: {exc}") from None
        where = prop + key[len(PROPERTIES[prop][0]):]
        raise CrossGuardConfigError(f"{name}.{where}: {str(exc).split(': ', 1)[1]}") from None
