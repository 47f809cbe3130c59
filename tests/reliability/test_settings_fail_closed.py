# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Regression rows, Kyverno policy settings (issue 22, "Fail closed"): each row is a setting
that was accepted on main and produced CEL that does not parse, a manifest the API server
refuses, or an exception that never ends; each must now be refused naming its key."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    SettingsError,
)


def soon(days=30):
    return (datetime.now(timezone.utc) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def exception(**over):
    base = {"name": "agent", "namespace": "team", "policies": ["restrict_seccomp"],
            "workloads": [{"name": "agent", "kind": "DaemonSet"}], "expires_at": soon()}
    base.update(over)
    return {"exceptions": [base]}


def egress(cidr):
    return {"namespaces": [{"name": "team", "egress": [{"name": "out", "cidrs": [cidr]}]}]}


def ingress(**rule):
    return {"namespaces": [{"name": "team", "ingress": [{"name": "in", **rule}]}]}


FAIL_OPEN = [
    # (row id, settings, key named, fragment of what is allowed) -- defect 1: trailing newline
    ("namespace-newline", {"namespaces": [{"name": "team\n"}]}, "namespaces[0].name",
     "DNS-1123 label"),
    ("exception-name-newline", exception(name="agent\n"), "exceptions[0].name",
     "DNS-1123 subdomain"),
    ("exception-namespace-newline", exception(namespace="team\n"), "exceptions[0].namespace",
     "DNS-1123 label"),
    ("workload-name-newline", exception(workloads=["agent\n"]), "exceptions[0].workloads[0].name",
     "DNS-1123 subdomain"),
    ("workload-name-double-dot", exception(workloads=["a..b"]), "exceptions[0].workloads[0].name",
     "DNS-1123 subdomain"),
    ("name-prefix-newline", {"name_prefix": "bulwark\n"}, "name_prefix", "DNS-1123 label"),
    ("system-namespace-newline", {"system_namespaces": ["kube-system\n"]},
     "system_namespaces[0]", "DNS-1123 label"),
    ("label-key-newline", {"namespaces": [{"name": "team", "labels": {"app\n": "x"}}]},
     "namespaces[0].labels.app\n", "label key"),
    ("label-value-newline", {"namespaces": [{"name": "team", "labels": {"app": "x\n"}}]},
     "namespaces[0].labels.app", "label value"),
    ("label-key-prefix-double-dot", {"namespaces": [{"name": "team",
                                                     "labels": {"a..b/app": "x"}}]},
     "namespaces[0].labels.a..b/app", "label key"),
    ("port-name-newline", ingress(namespaces=["b"], ports=["http\n"]),
     "namespaces[0].ingress[0].ports[0].port", "named port"),
    ("port-name-digits-only", ingress(namespaces=["b"], ports=["8080"]),
     "namespaces[0].ingress[0].ports[0].port", "a letter at least"),
    ("port-name-double-hyphen", ingress(namespaces=["b"], ports=["a--b"]),
     "namespaces[0].ingress[0].ports[0].port", "no '--'"),
    ("psa-version-newline", {"pod_security_admission_version": "v1.33\n"},
     "pod_security_admission_version", "v1.33"),
    ("capability-newline", {"pod_security": {"allowed_capabilities": ["NET_ADMIN\n"]}},
     "pod_security.allowed_capabilities[0]", "upper case"),
    ("image-glob-control-character", {"image_verification": {
        "public_keys": ["-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----"],
        "image_globs": ["registry.example.com/\x00*"]}},
     "image_verification.image_globs[0]", "control characters"),
    # defect 2: CIDRs parsed, not matched
    ("cidr-newline", egress("10.0.0.0/8\n"), "namespaces[0].egress[0].cidrs[0].cidr", "CIDR"),
    ("cidr-octets-999", egress("999.999.999.999/99"), "namespaces[0].egress[0].cidrs[0].cidr",
     "CIDR"),
    ("cidr-v4-prefix-64", egress("1.2.3.4/64"), "namespaces[0].egress[0].cidrs[0].cidr",
     "CIDR"),
    ("cidr-colon-only", egress(":/0"), "namespaces[0].egress[0].cidrs[0].cidr", "CIDR"),
    ("cidr-host-bits", egress("10.1.2.3/8"), "namespaces[0].egress[0].cidrs[0].cidr",
     "the network is 10.0.0.0/8"),
    ("cidr-ipv4-mapped", egress("::ffff:1.2.3.4/128"), "namespaces[0].egress[0].cidrs[0].cidr",
     "write 1.2.3.4/32"),
    ("cidr-leading-zero-prefix", egress("10.0.0.0/08"), "namespaces[0].egress[0].cidrs[0].cidr",
     "without leading zeros"),
    ("cidr-leading-zero-octet", egress("010.0.0.0/8"), "namespaces[0].egress[0].cidrs[0].cidr",
     "CIDR"),
    ("cidr-zone", egress("fe80::%eth0/64"), "namespaces[0].egress[0].cidrs[0].cidr",
     "CIDR"),
    ("cidr-netmask-form", egress("10.0.0.0/255.0.0.0"),
     "namespaces[0].egress[0].cidrs[0].cidr", "CIDR"),
    ("cidr-no-prefix", egress("10.0.0.0"), "namespaces[0].egress[0].cidrs[0].cidr", "CIDR"),
    ("except-outside-cidr", egress({"cidr": "10.0.0.0/8", "except": ["192.168.0.0/16"]}),
     "namespaces[0].egress[0].cidrs[0].except[0]", "strictly inside 10.0.0.0/8"),
    ("except-equal-to-cidr", egress({"cidr": "10.0.0.0/8", "except": ["10.0.0.0/8"]}),
     "namespaces[0].egress[0].cidrs[0].except[0]", "strictly inside 10.0.0.0/8"),
    ("except-other-family", egress({"cidr": "0.0.0.0/0", "except": ["fd00::/8"]}),
     "namespaces[0].egress[0].cidrs[0].except[0]", "same address family"),
    ("except-newline", egress({"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16\n"]}),
     "namespaces[0].egress[0].cidrs[0].except[0]", "CIDR"),
    # defect 3: exceptions that never expire
    ("expiry-year-9999", exception(expires_at="9999-12-31T00:00:00Z"), "exceptions[0].expires_at",
     "at most 365 days from now"),
    ("expiry-past-datetime-max", exception(expires_at="9999-12-31T23:59:59-01:00"),
     "exceptions[0].expires_at", "within the years 1-9999"),
    ("expiry-names-the-entry", exception(expires_at="2099-01-01T00:00:00Z"),
     "exceptions[0].expires_at", "for exception team/agent"),
    ("max-exception-days-unbounded", {"max_exception_days": 10 ** 6, **exception()},
     "max_exception_days", "at most 3650"),
    ("max-exception-days-zero", {"max_exception_days": 0}, "max_exception_days", "at least 1"),
    # issue 24: image rules, and the Kyverno pin's known regression
    ("registry-bare-name-is-no-registry",
     {"image_rules": {"allowed_registries": {"registries": ["nginx"]}}},
     "image_rules.allowed_registries.registries[0]", "registry host"),
    ("registry-glob", {"image_rules": {"allowed_registries": {"registries": ["r.example/*"]}}},
     "image_rules.allowed_registries.registries[0]", "no tag, digest or wildcard"),
    ("registry-rule-without-registries", {"image_rules": {"allowed_registries": {}}},
     "image_rules.allowed_registries.registries", "non-empty list"),
    ("base-images-on-native-engine",
     {"engine": "native", "image_rules": {"allowed_base_images": {"images": ["a.example/b:1"]}}},
     "image_rules.allowed_base_images", "ValidatingAdmissionPolicy cannot"),
    ("base-image-quote", {"image_rules": {"allowed_base_images": {"images": ["a']"]}}},
     "image_rules.allowed_base_images.images[0]", "image reference"),
    ("bundle-with-key-on-kyverno-1.19.0",
     {"image_verification": {"image_globs": ["r.example/*"], "signature_format": "bundle",
                             "public_keys": ["-----BEGIN PUBLIC KEY-----\nMFkw\n"
                                             "-----END PUBLIC KEY-----"]}},
     "image_verification.signature_format", "kyverno/kyverno#17363"),
    ("kyverno-version-not-exact", {"kyverno_version": "1.19"}, "kyverno_version", "X.Y.Z"),
    ("selinux-list-unknown", {"pod_security": {"selinux_types": "strict"}},
     "pod_security.selinux_types", "kyverno_policies"),
]


@pytest.mark.parametrize(("settings", "key", "allowed"), [r[1:] for r in FAIL_OPEN],
                         ids=[r[0] for r in FAIL_OPEN])
def test_fail_open_row_settings(settings, key, allowed):
    with pytest.raises(SettingsError) as caught:
        Settings.from_dict(settings)
    assert caught.value.key == key
    assert allowed in caught.value.allowed


ACCEPTED = [
    # (row id, settings, check): what the API server accepts stays accepted
    ("cidr-v4-any", egress("0.0.0.0/0"),
     lambda s: s.namespaces[0].egress[0].cidrs[0].cidr == "0.0.0.0/0"),
    ("cidr-v6-non-canonical-is-canonicalised", egress("FD00:0:0::/8"),
     lambda s: s.namespaces[0].egress[0].cidrs[0].cidr == "fd00::/8"),
    ("except-inside", egress({"cidr": "10.0.0.0/8", "except": ["10.1.0.0/16"]}),
     lambda s: s.namespaces[0].egress[0].cidrs[0].except_cidrs == ("10.1.0.0/16",)),
    ("expiry-raised-bound", {"max_exception_days": 800, **exception(expires_at=soon(700))},
     lambda s: s.exceptions[0].expires_at[:4] == soon(700)[:4]),
    ("expiry-in-the-past-exempts-nothing-but-is-valid",
     exception(expires_at="2026-01-01T00:00:00Z"),
     lambda s: s.exceptions[0].expires_at == "2026-01-01T00:00:00Z"),
    ("port-name", ingress(namespaces=["b"], ports=["http-alt"]),
     lambda s: s.namespaces[0].ingress[0].ports[0].port == "http-alt"),
]


@pytest.mark.parametrize(("settings", "check"), [r[1:] for r in ACCEPTED],
                         ids=[r[0] for r in ACCEPTED])
def test_fail_open_row_settings_still_accepted(settings, check):
    assert check(Settings.from_dict(settings))
