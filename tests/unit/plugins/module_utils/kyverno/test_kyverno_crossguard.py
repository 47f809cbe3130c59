# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""module_utils/kyverno/crossguard.py: the CrossGuard pack's configuration in pulumi-policy's
terms (the pack's validation functions are tested in tests/unit/pulumi/)."""
from __future__ import annotations

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders,
    crossguard,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    POD_SECURITY_CONTROLS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)


def _validations(settings, control):
    return builders.build_pod_security_policy(settings, control)["spec"]["validations"]


def test_a_control_has_a_property_exactly_for_the_settings_its_validations_read():
    """allowedCapabilities / seccompProfileTypes go where changing them changes the CEL."""
    default = Settings.from_dict({})
    capabilities = {"pod_security": {"allowed_capabilities": ["CHOWN"]}}
    seccomp = {"pod_security": {"seccomp_profile_types": ["RuntimeDefault"]}}
    changed = {"allowedCapabilities": Settings.from_dict(capabilities),
               "seccompProfileTypes": Settings.from_dict(seccomp)}
    for control in POD_SECURITY_CONTROLS:
        reads = {prop for prop, settings in changed.items()
                 if [v["expression"] for v in _validations(settings, control)]
                 != [v["expression"] for v in _validations(default, control)]}
        assert reads == set(crossguard.CONTROL_PROPERTIES.get(control, ())), control


def test_schema_properties_and_defaults():
    schema = crossguard.config_schema("restrict_added_capabilities")
    assert sorted(schema["properties"]) == ["allowedCapabilities", "excludedNamespaces"]
    assert schema["properties"]["allowedCapabilities"]["default"] == ["NET_BIND_SERVICE"]
    assert schema["required"] == []
    assert "enforcementLevel" not in schema["properties"]     # pulumi-policy refuses it there
    assert sorted(crossguard.config_schema("disallow_host_path")["properties"]) == [
        "excludedNamespaces"]


def test_levels_follow_the_actions():
    config = crossguard.pack_config({"pod_security": {
        "default_action": ["Audit", "Warn"], "actions": {"disallow_host_path": ["Audit", "Deny"]},
        "disabled_controls": ["restrict_sysctls"]}})
    assert config["bulwark-disallow-host-path"]["enforcementLevel"] == "mandatory"
    assert config["bulwark-disallow-host-ports"]["enforcementLevel"] == "advisory"
    assert config["bulwark-restrict-sysctls"]["enforcementLevel"] == "disabled"
    off = crossguard.pack_config({"pod_security": {"enabled": False}})
    assert {c["enforcementLevel"] for c in off.values()} == {"disabled"}


def test_none_reads_as_the_defaults_and_other_keys_are_the_engines():
    settings = crossguard.settings_for("restrict_seccomp", None)
    assert settings.pod_security.seccomp_profile_types == ("RuntimeDefault", "Localhost")
    assert crossguard.settings_for("restrict_seccomp", {"enforcementLevel": "mandatory"})


def test_refusals_name_policy_and_property():
    with pytest.raises(crossguard.CrossGuardConfigError,
                       match=r"\Abulwark-disallow-host-path\.excludedNamespaces\[1\]: "):
        crossguard.settings_for("disallow_host_path", {"excludedNamespaces": ["ok", "Not OK"]})


def test_image_rules_are_policies_of_the_pack_off_unless_the_settings_enable_them():
    off = crossguard.pack_config({})
    for rule in crossguard.IMAGE_RULE_KEYS:
        assert off[crossguard.policy_name(rule)]["enforcementLevel"] == "disabled"
    assert "bulwark-allowed-base-images" not in off       # needs registries: Kyverno only
    on = crossguard.pack_config({"image_rules": {
        "allowed_registries": {"action": "Deny", "registries": ["registry.example.com/team"]},
        "disallow_latest_tag": {"action": "Audit"}}})
    assert on["bulwark-allowed-registries"] == {
        "enforcementLevel": "mandatory", "excludedNamespaces": ["kube-system", "kyverno", "falco"],
        "allowedRegistries": ["registry.example.com/team"]}
    assert on["bulwark-disallow-latest-tag"]["enforcementLevel"] == "advisory"
    read = crossguard.settings_for("allowed_registries", on["bulwark-allowed-registries"])
    assert read.image_rules.rules["allowed_registries"].values == ("registry.example.com/team",)


def test_a_bad_registry_is_refused_naming_policy_and_property():
    with pytest.raises(crossguard.CrossGuardConfigError,
                       match=r"\Abulwark-allowed-registries\.allowedRegistries\[0\]: "):
        crossguard.settings_for("allowed_registries", {"allowedRegistries": ["nginx"]})
    with pytest.raises(crossguard.CrossGuardConfigError, match="bulwark-allowed-registries"):
        crossguard.settings_for("allowed_registries", {})   # on, but no registry
