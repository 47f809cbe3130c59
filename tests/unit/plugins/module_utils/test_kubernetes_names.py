# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""One function names manifests: the kyverno role's files, the Pulumi names, the filter."""
from __future__ import annotations

import pytest
from admit_support import full_settings
from ansible.errors import AnsibleFilterError
from ansible_collections.bulwark.container_security.plugins.filter.kyverno import FilterModule
from ansible_collections.bulwark.container_security.plugins.module_utils.kubernetes_names import (
    DNS_LABEL,
    manifest_name,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import builders

FILTER = FilterModule().filters()["kubernetes_manifest_name"]


def test_namespaced_and_cluster_scoped_names():
    policy = {"kind": "NetworkPolicy", "metadata": {"name": "default-deny", "namespace": "team"}}
    assert manifest_name(policy) == "networkpolicy-team-default-deny"
    assert manifest_name({"kind": "Namespace", "metadata": {"name": "team"}}) == "namespace-team"
    assert FILTER(policy) == manifest_name(policy)


@pytest.mark.parametrize("bad", [{}, {"kind": "Pod"}, {"kind": "Pod", "metadata": {}},
                                 {"metadata": {"name": "x"}}, "Pod/x"])
def test_not_a_manifest_is_a_clear_error(bad):
    with pytest.raises(ValueError, match="manifest"):
        manifest_name(bad)
    with pytest.raises(AnsibleFilterError, match="kubernetes_manifest_name"):
        FILTER(bad)


def test_names_are_unique_in_a_full_bundle():
    bundle = builders.build_bundle(full_settings())
    names = [manifest_name(m) for m in bundle]
    assert len(names) == len(set(names)) == len(bundle)


def test_dns_label_rule():
    assert DNS_LABEL.match("team-a1") and not DNS_LABEL.match("Team") and \
        not DNS_LABEL.match("a" * 64) and not DNS_LABEL.match("-a")
