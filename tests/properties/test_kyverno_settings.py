# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the Kyverno policy settings (plugins/module_utils/kyverno/settings.py): any
generated settings are refused with a SettingsError naming the key, or accepted with names the
API server accepts, CIDRs that parse and except entries inside their CIDR, and expiries within
max_exception_days; never a traceback."""
from __future__ import annotations

import ipaddress
import re
from datetime import datetime, timedelta, timezone

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    builders,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    SettingsError,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import refused_or_right

# The API server's own rules (k8s.io/apimachinery/pkg/util/validation), written out again
# here, independently of kubernetes_names.py.
DNS1123_LABEL = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?")
DNS1123_SUBDOMAIN = re.compile(r"[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*")


def is_label(name):
    return len(name) <= 63 and DNS1123_LABEL.fullmatch(name) is not None


def is_subdomain(name):
    return len(name) <= 253 and DNS1123_SUBDOMAIN.fullmatch(name) is not None


NASTY = st.sampled_from(["\n", "\r", "\x00", "\t", " ", "'", '"', "\\", ".", "-", "/", "A",
                         "\u2028", "\x7f", ")", "||"])
NAMES = st.one_of(
    st.from_regex(DNS1123_LABEL, fullmatch=True).filter(lambda s: len(s) < 70),
    st.builds(lambda a, b, c: a + b + c,
              st.from_regex(DNS1123_LABEL, fullmatch=True).filter(lambda s: len(s) < 30),
              NASTY, st.text(alphabet="abc-.\n", max_size=3)),
    st.text(max_size=12),
)

IPV4 = st.builds(lambda a, p: f"{ipaddress.IPv4Network((a, p), strict=False)}",
                 st.integers(0, 2 ** 32 - 1), st.integers(0, 32))
# IPv4-mapped IPv6 networks (::ffff:0:0/96) are refused as the API server's strict CIDR
# validation refuses them (a row of tests/reliability/test_settings_fail_closed.py).
IPV6 = st.builds(lambda a, p: ipaddress.IPv6Network((a, p), strict=False),
                 st.integers(0, 2 ** 128 - 1), st.integers(0, 128)).filter(
    lambda n: n.network_address.ipv4_mapped is None).map(str)
VALID_CIDRS = IPV4 | IPV6
GARBAGE_CIDRS = st.one_of(
    st.sampled_from(["999.999.999.999/99", "1.2.3.4/64", ":/0", "10.0.0.0/8\n", "10.0.0.0",
                     "10.1.2.3/8", "::ffff:1.2.3.4/128", "010.0.0.0/8", "10.0.0.0/08",
                     "fe80::%eth0/64", "10.0.0.0/255.0.0.0", " 10.0.0.0/8", "/8", "1.2.3.4/-1"]),
    st.builds(lambda c, x: c + x, VALID_CIDRS, NASTY),
    st.text(alphabet="0123456789abcdef.:/%\n", max_size=20),
)


def exception(name, namespace, expires_at):
    return {"name": name, "namespace": namespace, "policies": ["restrict_seccomp"],
            "workloads": [{"name": name if isinstance(name, str) else "w"}],
            "expires_at": expires_at}


@given(NAMES, NAMES)
def test_accepted_names_are_kubernetes_names(name, namespace):
    """Invariant: refused clearly or right — a namespace, an exception or workload name that is
    accepted is a DNS-1123 label / subdomain as the API server checks it (whole string, no
    trailing newline), and the bundle builds."""
    when = (datetime.now(timezone.utc) + timedelta(days=10)).strftime("%Y-%m-%dT%H:%M:%SZ")
    data = {"namespaces": [{"name": namespace}],
            "exceptions": [exception(name, namespace, when)]}

    def check(settings):
        assert is_label(settings.namespaces[0].name)
        assert is_subdomain(settings.exceptions[0].name)
        assert all(is_subdomain(w.name) for w in settings.exceptions[0].workloads)
        builders.build_bundle(data)
    refused_or_right(lambda: Settings.from_dict(data), SettingsError, check)


@given(VALID_CIDRS)
def test_every_valid_cidr_is_accepted_in_canonical_form(cidr):
    """Invariant: never a refusal of what the API server accepts — every network in canonical
    form (v4 or v6) is accepted unchanged."""
    data = {"namespaces": [{"name": "a", "egress": [{"name": "out", "cidrs": [cidr]}]}]}
    settings = Settings.from_dict(data)
    assert settings.namespaces[0].egress[0].cidrs[0].cidr == cidr


@given(VALID_CIDRS | GARBAGE_CIDRS, st.lists(VALID_CIDRS | GARBAGE_CIDRS, max_size=3))
def test_accepted_cidrs_parse_and_except_lies_inside(cidr, excepts):
    """Invariant: refused clearly or right — an accepted cidr parses strictly (no host bits,
    no IPv4-mapped address) and every accepted except entry is a strict subset of it, of the
    same family."""
    data = {"namespaces": [{"name": "a", "egress": [
        {"name": "out", "cidrs": [{"cidr": cidr, "except": excepts}]}]}]}

    def check(settings):
        block = settings.namespaces[0].egress[0].cidrs[0]
        network = ipaddress.ip_network(block.cidr)            # strict: no host bits
        assert getattr(network.network_address, "ipv4_mapped", None) is None
        for item in block.except_cidrs:
            inner = ipaddress.ip_network(item)
            assert inner.version == network.version and inner.subnet_of(network)
            assert inner.prefixlen > network.prefixlen
    refused_or_right(lambda: Settings.from_dict(data), SettingsError, check)


@given(st.datetimes(timezones=st.timezones() | st.none(), allow_imaginary=False)
       | st.text(max_size=30), st.integers(-5, 4000))
def test_accepted_expiry_is_within_max_exception_days(moment, max_days):
    """Invariant: refused clearly or right — an accepted exception expires no later than
    max_exception_days from now (a year-9999 expiry is never a permanent exception), and a
    date at the edge of datetime's range is refused, never an OverflowError."""
    value = moment.isoformat() if isinstance(moment, datetime) else moment
    data = {"max_exception_days": max_days,
            "exceptions": [exception("x", "team", value)]}
    started = datetime.now(timezone.utc)

    def check(settings):
        assert 1 <= settings.max_exception_days <= 3650
        expiry = datetime.strptime(settings.exceptions[0].expires_at, "%Y-%m-%dT%H:%M:%SZ")
        latest = datetime.now(timezone.utc) + timedelta(days=settings.max_exception_days)
        assert expiry.replace(tzinfo=timezone.utc) <= latest
        assert started <= datetime.now(timezone.utc)
    refused_or_right(lambda: Settings.from_dict(data), SettingsError, check)


@given(st.dictionaries(st.sampled_from(["port", "protocol", "end_port"]),
                       st.integers(-2, 70000) | st.text(max_size=17) | st.none(), max_size=3))
def test_accepted_ports_are_numbers_or_port_names(port):
    """Invariant: refused clearly or right — an accepted port is 1-65535 or an IANA service
    name (at most 15, a letter, no '--'), never a name the API server refuses."""
    data = {"namespaces": [{"name": "a", "ingress": [
        {"name": "in", "namespaces": ["b"], "ports": [port]}]}]}

    def check(settings):
        got = settings.namespaces[0].ingress[0].ports[0].port
        if isinstance(got, int):
            assert 1 <= got <= 65535
        else:
            assert len(got) <= 15 and is_label(got) and "--" not in got
            assert re.search("[a-z]", got)
    refused_or_right(lambda: Settings.from_dict(data), SettingsError, check)
