# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the image rules (kyverno/image_rules.py), the Kyverno release setting
(kyverno/image_verification.py) and the build gate's OS rules (scan/os_rules.py):

* for any image string and any accepted registry list, the CEL each rule emits decides exactly
  as the Python reference (distribution's normalisation) under both Python CEL engines, and an
  image under an accepted entry never passes for a sibling name (``entry-evil``, ``entry.evil``);
* any generated image_rules / kyverno_version / signature_format settings are refused with a
  SettingsError naming the key, or accepted; never a traceback;
* any os_rules option and any Metadata.OS are refused with an OsRulesError, or judged; a rule
  never passes a report that has no readable OS.
"""
from __future__ import annotations

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    admission,
    image_rules,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    SettingsError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import os_rules
from hypothesis import given
from hypothesis import strategies as st

from .invariants import refused_or_right
from .odd_inputs import wrong_type

HOSTS = st.sampled_from(["registry.example", "registry.example.evil", "reg.example:5000",
                         "localhost", "localhost:5000", "docker.io", "index.docker.io",
                         "Registry.example", "ghcr.io", ""])
COMPONENTS = st.sampled_from(["team", "team-evil", "library", "nginx", "app", "a.b", "a__b",
                              "localhost", "Team", "x"])
TAGS = st.sampled_from(["", ":1.0", ":latest", ":v1-rc.2", ":", ":LATEST"])
DIGESTS = st.sampled_from(["", "@sha256:" + "ab" * 32, "@sha512:" + "cd" * 64,
                           "@sha256:" + "ab" * 16, "@md5:xyz"])
ODD = st.sampled_from(["", "\n", " ", "\t", "/", "//", "@", ":"])


@st.composite
def images(draw):
    host = draw(HOSTS)
    path = "/".join(draw(st.lists(COMPONENTS, min_size=1, max_size=3)))
    name = f"{host}/{path}" if host else path
    return name + draw(TAGS) + draw(DIGESTS) + draw(ODD)


ENTRIES = st.lists(st.builds(lambda h, p: "/".join([h, *p]),
                             st.sampled_from(["registry.example", "reg.example:5000",
                                              "localhost", "docker.io", "ghcr.io"]),
                             st.lists(st.sampled_from(["team", "library", "nginx", "app"]),
                                      max_size=2)), min_size=1, max_size=3)


@given(images(), ENTRIES)
def test_the_cel_decides_as_the_reference_under_both_engines(image, entries):
    values = tuple(image_rules.registry_entry(e, "e") for e in entries)
    for rule, args in (("allowed_registries", values), ("disallow_latest_tag", ()),
                       ("require_digest", ())):
        expected = image_rules.allows(rule, image, args)
        expression = image_rules.image_predicate(rule, args)
        for engine in admission.CEL_ENGINES:
            got = bool(admission.ENGINES[engine](expression, {"i": image}))
            assert got is expected, (rule, image, entries, engine)


@given(ENTRIES, st.sampled_from(["-evil", ".evil", "evil", "_x"]), st.sampled_from(
    ["/app:1", ":1", "", "@sha256:" + "ab" * 32]))
def test_a_sibling_of_an_entry_is_never_under_it(entries, suffix, tail):
    values = tuple(image_rules.registry_entry(e, "e") for e in entries)
    for entry in values:
        sibling = entry + suffix + tail
        ref = image_rules.reference(sibling)
        if ref is not None and any(ref.name == e or ref.name.startswith(e + "/")
                                   for e in values):
            continue    # the sibling happens to be under another entry of the list
        assert not image_rules.allows("allowed_registries", sibling, values)


IMAGE_RULE_VALUES = st.one_of(
    wrong_type(),
    st.fixed_dictionaries({}, optional={
        "enabled": st.booleans() | wrong_type(),
        "action": st.sampled_from(["Audit", "Deny", "Warn", ["Warn", "Audit"], "Block", []]),
        "registries": st.lists(st.one_of(st.sampled_from(
            ["registry.example", "nginx", "docker.io/library", "r.example/*", "R.example",
             "r.example/", "r.example/app:1", ""]), st.text(max_size=10)), max_size=3)
        | wrong_type(),
        "images": st.lists(st.sampled_from(["gcr.io/distroless/static:nonroot", "x']",
                                            "nginx", ""]), max_size=2) | wrong_type(),
        "other": st.none()}))


@given(st.fixed_dictionaries({}, optional={
    "engine": st.sampled_from(["kyverno", "native"]),
    "kyverno_version": st.sampled_from(["1.19.0", "v1.19.0", "1.18.1", "1.19", "x", "1.19.0\n"])
    | wrong_type(),
    "image_rules": st.dictionaries(st.sampled_from([*image_rules.IMAGE_RULES, "bogus"]),
                                   IMAGE_RULE_VALUES, max_size=4) | wrong_type(),
    "image_verification": st.fixed_dictionaries({}, optional={
        "signature_format": st.sampled_from(["legacy", "bundle", "v3"]) | wrong_type(),
        "image_globs": st.just(["r.example/*"]),
        "public_keys": st.just(["-----BEGIN PUBLIC KEY-----\nMFkw\n-----END PUBLIC KEY-----"]),
    }),
}))
def test_settings_are_refused_by_name_or_accepted(data):
    def check(settings):
        iv = settings.image_verification
        assert not (iv.enabled and iv.signature_format == "bundle" and iv.public_keys
                    and settings.kyverno_version == "1.19.0"), "the 17363 pair passed"
        if settings.engine == "native":
            assert "allowed_base_images" not in settings.image_rules.enabled()
        for rule in settings.image_rules.enabled():
            for value in settings.image_rules.rules[rule].values:
                assert "'" not in value and "\\" not in value
    outcome, message = refused_or_right(lambda: Settings.from_dict(data), SettingsError, check)
    if outcome == "refused":
        assert ": " in message


OS_VALUES = st.one_of(
    st.none(), wrong_type(),
    st.fixed_dictionaries({}, optional={
        "Family": st.sampled_from(["alpine", "debian", "", "wolfi"]) | wrong_type(),
        "Name": st.sampled_from(["3.9.4", "12", ""]) | wrong_type(),
        "EOSL": st.booleans() | wrong_type()}))
RULES = st.one_of(wrong_type(), st.fixed_dictionaries({}, optional={
    "allowed_families": st.lists(st.sampled_from(["alpine", "debian", "Alpine", ""]), max_size=2)
    | wrong_type(),
    "refuse_eosl": st.booleans() | wrong_type(),
    "minimal_base": st.booleans() | st.fixed_dictionaries({}, optional={
        "families": st.lists(st.sampled_from(["alpine", "x y"]), max_size=2),
        "base_images": st.lists(st.sampled_from(["gcr.io/distroless/", ""]), max_size=2)}),
    "bogus": st.none()}))


@given(RULES, OS_VALUES, st.sampled_from(["trivy", "grype"]))
def test_os_rules_refuse_or_judge_and_never_pass_an_unreadable_os(rules, os_value, fmt):
    report = {"Metadata": {"OS": os_value}} if os_value is not None else {}

    def judge():
        parsed = os_rules.parse_os_rules(rules)
        return parsed, os_rules.os_denials(report, parsed, fmt)

    outcome, value = refused_or_right(judge, os_rules.OsRulesError)
    if outcome == "result":
        parsed, denials = value
        readable = fmt == "trivy" and isinstance(os_value, dict) and isinstance(
            os_value.get("Family"), str) and os_value.get("Family")
        if parsed and not readable:
            assert denials, (rules, os_value, fmt)
        if parsed and parsed.get("refuse_eosl") and readable and os_value.get("EOSL") is True:
            assert denials
