"""Typed settings: defaults, normalisation, and errors that name the key and what is allowed."""
from __future__ import annotations

import pytest
from admit_support import TEST_KEYS, full_settings
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders as kyverno_builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    suites as kyverno_suites,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    validation as kyverno_validation,
)


def test_defaults_are_restricted_and_audit_first():
    s = kyverno_settings.Settings.from_dict({})
    assert s.pod_security.default_actions == ("Audit",)
    assert s.pod_security.allowed_capabilities == ("NET_BIND_SERVICE",)
    assert s.pod_security.seccomp_profile_types == ("RuntimeDefault", "Localhost")
    assert s.all_excluded_namespaces() == ["kube-system", "kyverno", "falco"]
    assert s.image_verification.enabled is False
    assert s.pod_security_admission_version == "v1.33"
    assert kyverno_settings.Settings.from_dict(None) == s


def test_full_settings_round_trip():
    s = kyverno_settings.Settings.from_dict(full_settings())
    assert s.image_verification.public_keys == TEST_KEYS
    assert s.exceptions[0].workloads == (kyverno_settings.Workload("node-agent", "DaemonSet"),
                                         kyverno_settings.Workload("node-agent-debug"))
    assert s.namespaces[0].ingress[0].ports == (kyverno_settings.PortSettings(8080),)
    assert s.pod_security.actions_for("disallow_host_namespaces") == ("Audit", "Warn")


def test_image_verification_switches_on_with_keys():
    s = kyverno_settings.Settings.from_dict({"image_verification": {"public_keys": [TEST_KEYS[0]],
                                                                    "image_globs": ["*"]}})
    assert s.image_verification.enabled is True


def test_expiry_is_normalised_to_utc():
    data = full_settings()
    data["exceptions"][0]["expires_at"] = "2027-03-31T02:00:00+02:00"
    expires_at = kyverno_settings.Settings.from_dict(data).exceptions[0].expires_at
    assert expires_at == "2027-03-31T00:00:00Z"


def _with(path, value, base=None):
    """full_settings() with the value at a dotted path (list indices as integers) replaced."""
    data = base if base is not None else full_settings()
    node = data
    keys = path.split(".")
    for key in keys[:-1]:
        node = node[int(key)] if key.isdigit() else node[key]
    last = keys[-1]
    if value is _DELETE:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


_DELETE = object()

BAD = [
    # (path, value, key named in the error, fragment of what is allowed)
    ("pod_security.default_action", "Block", "pod_security.default_action", "Audit, Warn or Deny"),
    ("pod_security.default_action", ["Deny", "Warn"], "pod_security.default_action",
     "cannot be combined"),
    ("pod_security.actions", {"no_root": "Deny"}, "pod_security.actions.no_root",
     "require_run_as_non_root"),
    ("pod_security.allowed_capabilities", ["ALL"], "pod_security.allowed_capabilities[0]",
     "ALL is refused"),
    ("pod_security.allowed_capabilities", ["cap_net_raw"], "pod_security.allowed_capabilities[0]",
     "upper case"),
    ("pod_security.seccomp_profile_types", ["Unconfined"], "pod_security.seccomp_profile_types[0]",
     "Unconfined is never allowed"),
    ("pod_security.disabled_controls", ["seccomp"], "pod_security.disabled_controls[0]",
     "restrict_seccomp"),
    ("pod_security.enabled", "yes", "pod_security.enabled", "true or false"),
    ("pod_security.colour", "blue", "pod_security.colour", "one of the keys"),
    ("image_verification.public_keys", ["ssh-ed25519 AAAA"], "image_verification.public_keys[0]",
     "PEM public key"),
    ("image_verification.public_keys", [TEST_KEYS[0] + TEST_KEYS[1]],
     "image_verification.public_keys[0]", "one PEM public key per item"),
    ("image_verification.public_keys", [], "image_verification.public_keys", "at least one"),
    ("image_verification.image_globs", [], "image_verification.image_globs", "at least one"),
    ("image_verification.image_globs", "registry/*", "image_verification.image_globs",
     "a list of image globs"),
    ("image_verification.vulnerability_max_age_hours", 0,
     "image_verification.vulnerability_max_age_hours", "at least 1"),
    ("exceptions.0.expires_at", _DELETE, "exceptions[0].expires_at", "every exception must expire"),
    ("exceptions.0.expires_at", "soon", "exceptions[0].expires_at", "RFC 3339"),
    ("exceptions.0.expires_at", "2027-01-01T00:00:00", "exceptions[0].expires_at", "time zone"),
    ("exceptions.0.policies", ["nope"], "exceptions[0].policies[0]", "image_verification"),
    ("exceptions.0.workloads", [], "exceptions[0].workloads", "non-empty list"),
    ("exceptions.0.workloads.0.kind", "Service", "exceptions[0].workloads[0].kind", "DaemonSet"),
    ("exceptions.0.namespace", "Obs", "exceptions[0].namespace", "DNS-1123 label"),
    ("namespaces.0.name", "Payments!", "namespaces[0].name", "DNS-1123 label"),
    ("namespaces.0.pod_security", {"enforce": "strict"}, "namespaces[0].pod_security.enforce",
     "privileged, baseline or restricted"),
    ("namespaces.0.pod_security", {"version": "1.33"}, "namespaces[0].pod_security.version",
     "v1.33"),
    ("namespaces.0.labels", {"pod-security.kubernetes.io/enforce": "privileged"},
     "namespaces[0].labels.pod-security.kubernetes.io/enforce", "namespaces[0].pod_security"),
    ("namespaces.0.ingress.0.ports", [70000], "namespaces[0].ingress[0].ports[0].port",
     "at most 65535"),
    ("namespaces.0.ingress.0.ports", [{"port": 80, "protocol": "ICMP"}],
     "namespaces[0].ingress[0].ports[0].protocol", "TCP, UDP or SCTP"),
    ("namespaces.0.egress.1.cidrs", ["10.0.0.0"], "namespaces[0].egress[1].cidrs[0].cidr",
     "CIDR"),
    ("namespaces.0.egress.1.namespaces", ["db"], "namespaces[0].egress[1].cidrs",
     "cannot be combined"),
    ("namespaces.0.egress.0", {"name": "nowhere"}, "namespaces[0].egress[0]",
     "at least one of namespaces, pods or cidrs"),
    ("namespaces.1.name", "payments", "namespaces[1].name", "listed once"),
    ("pod_security_admission_version", "1.33", "pod_security_admission_version", "v1.33"),
    ("excluded_namespaces", "kyverno", "excluded_namespaces", "a list of namespace names"),
    ("name_prefix", "Bulwark", "name_prefix", "DNS-1123 label"),
    ("dns", {"port": "53"}, "dns.port", "an integer"),
    ("surprise", True, "surprise", "one of the keys"),
]


@pytest.mark.parametrize(("path", "value", "key", "allowed"), BAD,
                         ids=[f"{b[0]}={b[1]!r}"[:60] for b in BAD])
def test_bad_settings_name_the_key_and_what_is_allowed(path, value, key, allowed):
    data = _with(path, value)
    with pytest.raises(kyverno_validation.SettingsError) as caught:
        kyverno_settings.Settings.from_dict(data)
    assert caught.value.key == key
    assert allowed in caught.value.allowed
    assert str(caught.value).startswith(f"{key}: ")


@pytest.mark.parametrize("image_verification", [{"enabled": False},
                                                {"legacy_cluster_policy": True}])
def test_image_exception_needs_the_image_validating_policy(image_verification):
    data = full_settings()
    data["image_verification"].update(image_verification)
    data["exceptions"][0]["policies"] = ["restrict_seccomp", "image_verification"]
    with pytest.raises(kyverno_validation.SettingsError) as caught:
        kyverno_settings.Settings.from_dict(data)
    assert caught.value.key == "exceptions[0].policies[1]"


def test_build_bundle_accepts_plain_data_and_raises_the_same_error():
    with pytest.raises(kyverno_validation.SettingsError, match=r"^pod_security\.default_action: "):
        kyverno_builders.build_bundle({"pod_security": {"default_action": "Block"}})


def test_settings_error_is_a_value_error():
    assert issubclass(kyverno_validation.SettingsError, ValueError)


def test_filter_plugin_returns_the_bundle_and_names_bad_keys():
    from ansible.errors import AnsibleFilterError
    from ansible_collections.bulwark.container_security.plugins.filter.kyverno import FilterModule
    filters = FilterModule().filters()
    assert filters["kyverno_policy_bundle"](full_settings()) == \
        kyverno_builders.build_bundle(full_settings())
    assert set(filters["kyverno_test_suites"]({})) == set(kyverno_suites.build_test_suites({}))
    with pytest.raises(AnsibleFilterError, match="image_verification.public_keys"):
        filters["kyverno_policy_bundle"]({"image_verification": {"enabled": True}})


def test_the_role_renders_no_network_policy_into_an_existing_namespace():
    # what the kyverno role writes (bundle_build.yml calls this filter) for an existing namespace
    from ansible_collections.bulwark.container_security.plugins.filter.kyverno import FilterModule
    bundle = FilterModule().filters()["kyverno_policy_bundle"](
        {"namespaces": [{"name": "ingress", "existing": True}, {"name": "web"}]})
    netpols = {(m["metadata"]["namespace"], m["metadata"]["name"]) for m in bundle
               if m["kind"] == "NetworkPolicy"}
    assert netpols == {("web", "default-deny-all"), ("web", "allow-dns")}
    assert {m["metadata"]["name"] for m in bundle if m["kind"] == "Namespace"} == {"ingress", "web"}
