# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the CrossGuard pack's configuration reader (module_utils/kyverno/crossguard.py,
``settings_for``): any configuration a policy pack config file can hold is refused naming the
policy (and the property, when one is at fault), or read into settings that carry exactly the
values given; never a traceback. And what ``pack_config`` writes reads back unchanged."""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    crossguard,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    POD_SECURITY_CONTROLS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    SECCOMP_TYPES,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import refused_or_right
from .odd_inputs import json_like, odd_text, wrong_type

CONTROLS = st.sampled_from(sorted(POD_SECURITY_CONTROLS))
PROPERTY_VALUES = {
    "excludedNamespaces": st.lists(st.from_regex(r"[a-z][a-z0-9-]{0,10}[a-z0-9]", fullmatch=True),
                                   unique=True, max_size=4),
    "allowedCapabilities": st.lists(st.from_regex(r"[A-Z_]{1,12}", fullmatch=True),
                                    unique=True, max_size=4),
    "seccompProfileTypes": st.lists(st.sampled_from(SECCOMP_TYPES), unique=True, min_size=1),
}
ODD = odd_text(words=("kube-system", "NET_BIND_SERVICE", "RuntimeDefault"))
CONFIGS = st.one_of(
    st.dictionaries(st.sampled_from([*crossguard.PROPERTIES, "enforcementLevel"]),
                    wrong_type(ODD) | json_like(ODD) | st.lists(ODD, max_size=3), max_size=4),
    wrong_type(ODD),
)
SETTING = {"excludedNamespaces": lambda s: list(s.all_excluded_namespaces()),
           "allowedCapabilities": lambda s: list(s.pod_security.allowed_capabilities),
           "seccompProfileTypes": lambda s: list(s.pod_security.seccomp_profile_types)}


@given(CONTROLS, CONFIGS)
def test_any_configuration_is_refused_by_name_or_read(control, config):
    outcome, value = refused_or_right(lambda: crossguard.settings_for(control, config),
                                      crossguard.CrossGuardConfigError)
    if outcome == "refused":
        assert value.startswith(crossguard.policy_name(control)), value
        return
    for prop in crossguard.properties_of(control):
        if isinstance(config, dict) and prop in config:
            assert SETTING[prop](value) == config[prop], (prop, config)


@given(CONTROLS, st.fixed_dictionaries({}, optional=PROPERTY_VALUES))
def test_valid_properties_are_read_as_given(control, config):
    settings = crossguard.settings_for(control, config)
    for prop in crossguard.properties_of(control):
        if prop in config:
            assert SETTING[prop](settings) == config[prop]


@given(st.fixed_dictionaries({}, optional={
    "excluded_namespaces": PROPERTY_VALUES["excludedNamespaces"],
    "pod_security": st.fixed_dictionaries({}, optional={
        "allowed_capabilities": PROPERTY_VALUES["allowedCapabilities"],
        "seccomp_profile_types": PROPERTY_VALUES["seccompProfileTypes"],
        "disabled_controls": st.lists(st.sampled_from(sorted(POD_SECURITY_CONTROLS)),
                                      unique=True, max_size=3)})}))
def test_what_pack_config_writes_reads_back(settings):
    config = crossguard.pack_config(settings)
    for control in POD_SECURITY_CONTROLS:
        entry = config[crossguard.policy_name(control)]
        assert entry["enforcementLevel"] in crossguard.ENFORCEMENT_LEVELS
        read = crossguard.settings_for(control, entry)
        for prop in crossguard.properties_of(control):
            assert SETTING[prop](read) == entry[prop]
