# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""OS rules of the build gate (scan/os_rules.py) on Trivy's own report shapes: the integration
goldens alpine-39 (alpine 3.9.4, EOSL true), centos-7 (centos 7.6.1810, no EOSL key),
distroless-base (Trivy reads Google distroless as debian 9.9) and gomod (a repository scan, no
Metadata.OS), and grype's report (no Metadata at all)."""
from __future__ import annotations

import copy
import re

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import os_rules
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.build_gate import (
    BUILD_GATE_ARGUMENT_SPEC,
    gate_report,
    gate_task,
)
from build_gate_support import TODAY, load

DISTROLESS = "gcr.io/distroless/static-debian12:nonroot"


def _gate(shared_fixtures, name, rules, **kw):
    # severity CRITICAL and budgets off: only the OS rules decide for these reports
    return gate_report(load(shared_fixtures, name), os_rules=rules, today=TODAY,
                       severity=kw.pop("severity", "CRITICAL"), **kw)


def _with_base_label(report, base):
    """The report of the same image built with ``LABEL org.opencontainers.image.base.name``:
    Trivy copies image config labels into Metadata.ImageConfig.config.Labels."""
    report = copy.deepcopy(report)
    report["Metadata"]["ImageConfig"].setdefault("config", {}).setdefault(
        "Labels", {})[os_rules.BASE_NAME_LABEL] = base
    return report


def test_the_goldens_carry_the_os_shapes_these_tests_rely_on(shared_fixtures):
    assert os_rules.read_os(load(shared_fixtures, "trivy/alpine-39.json")) == {
        "family": "alpine", "name": "3.9.4", "eosl": True}
    assert os_rules.read_os(load(shared_fixtures, "trivy/centos-7.json")) == {
        "family": "centos", "name": "7.6.1810", "eosl": False}
    assert os_rules.read_os(load(shared_fixtures, "trivy/distroless-base.json")) == {
        "family": "debian", "name": "9.9", "eosl": False}
    assert os_rules.read_os(load(shared_fixtures, "trivy/gomod.json")) is None


@pytest.mark.parametrize(("name", "rules", "denied"), [
    ("trivy/alpine-39.json", {"allowed_families": ["alpine", "debian"]}, []),
    ("trivy/centos-7.json", {"allowed_families": ["alpine", "debian"]}, ["OS family centos"]),
    ("trivy/alpine-39.json", {"refuse_eosl": True}, ["alpine 3.9.4 is past its end"]),
    ("trivy/centos-7.json", {"refuse_eosl": True}, []),
    ("trivy/alpine-39.json", {"minimal_base": True}, []),
    ("trivy/centos-7.json", {"minimal_base": True}, ["centos 7.6.1810 is not a minimal base"]),
    ("trivy/distroless-base.json", {"minimal_base": True}, ["debian 9.9 is not a minimal base"]),
    ("trivy/alpine-39.json", {"refuse_eosl": False, "allowed_families": ["alpine"]}, []),
])
def test_rules_on_trivy_reports(shared_fixtures, name, rules, denied):
    result = _gate(shared_fixtures, name, rules)
    assert len(result["os_denials"]) == len(denied)
    for message, start in zip(result["os_denials"], denied, strict=True):
        assert message.startswith(start)
    if denied:
        assert result["passed"] is False and "os rule: " in result["summary"]


def test_a_distroless_build_passes_minimal_base_by_declaring_its_base(shared_fixtures):
    report = _with_base_label(load(shared_fixtures, "trivy/distroless-base.json"), DISTROLESS)
    result = gate_report(report, os_rules={"minimal_base": True}, severity="CRITICAL",
                         today=TODAY)
    assert result["os_denials"] == []
    evil = _with_base_label(report, "gcr.io/distroless-evil/static:nonroot")
    assert gate_report(evil, os_rules={"minimal_base": True}, severity="CRITICAL",
                       today=TODAY)["os_denials"]
    own = gate_report(evil, os_rules={"minimal_base": {"base_images": ["gcr.io/distroless-evil/"],
                                                       "families": ["wolfi"]}},
                      severity="CRITICAL", today=TODAY)
    assert own["os_denials"] == []


@pytest.mark.parametrize("name", ["trivy/gomod.json", "grype/TestJsonImgsPresenter.json"])
@pytest.mark.parametrize("rules", [{"allowed_families": ["debian"]}, {"refuse_eosl": True},
                                   {"minimal_base": True}])
def test_a_report_without_metadata_os_fails_closed(shared_fixtures, name, rules):
    result = _gate(shared_fixtures, name, rules, severity="CRITICAL")
    (message,) = result["os_denials"]
    assert "Metadata.OS" in message and result["passed"] is False


def test_without_os_rules_nothing_changes(shared_fixtures):
    for rules in (None, {}, {"refuse_eosl": False}):
        result = _gate(shared_fixtures, "trivy/gomod.json", rules)
        assert result["os_denials"] == [] and "os rule" not in result["summary"]


@pytest.mark.parametrize(("os_value", "path"), [
    ("alpine", "Metadata.OS"),
    ({"Name": "3.9"}, "Metadata.OS.Family"),
    ({"Family": ""}, "Metadata.OS.Family"),
    ({"Family": 7}, "Metadata.OS.Family"),
    ({"Family": "alpine", "Name": 3.9}, "Metadata.OS.Name"),
    ({"Family": "alpine", "EOSL": "true"}, "Metadata.OS.EOSL"),
])
def test_an_odd_metadata_os_is_refused_naming_its_path(shared_fixtures, os_value, path):
    report = load(shared_fixtures, "trivy/alpine-39.json")
    report["Metadata"]["OS"] = os_value
    with pytest.raises(os_rules.OsRulesError, match=rf"\A{path}: "):
        gate_report(report, os_rules={"refuse_eosl": True}, today=TODAY)


@pytest.mark.parametrize(("rules", "key"), [
    ("yes", "os_rules"),
    ({"allowed_family": ["alpine"]}, "os_rules.allowed_family"),
    ({"allowed_families": []}, "os_rules.allowed_families"),
    ({"allowed_families": "alpine"}, "os_rules.allowed_families"),
    ({"allowed_families": ["Alpine Linux"]}, "os_rules.allowed_families[0]"),
    ({"refuse_eosl": "true"}, "os_rules.refuse_eosl"),
    ({"minimal_base": "distroless"}, "os_rules.minimal_base"),
    ({"minimal_base": {"images": ["x/"]}}, "os_rules.minimal_base.images"),
    ({"minimal_base": {"base_images": [""]}}, "os_rules.minimal_base.base_images[0]"),
])
def test_bad_rules_are_refused_by_name(rules, key):
    with pytest.raises(os_rules.OsRulesError, match=r"\A" + re.escape(key) + ": "):
        os_rules.parse_os_rules(rules)


def test_the_option_reaches_the_gate_through_the_module_params(shared_fixtures):
    assert BUILD_GATE_ARGUMENT_SPEC["os_rules"] == {"type": "dict"}
    params = {"severity": "CRITICAL", "today": TODAY, "os_rules": {"refuse_eosl": True}}
    result, _outputs = gate_task(load(shared_fixtures, "trivy/alpine-39.json"), params)
    assert result["os_denials"] and result["passed"] is False


def test_an_unknown_key_with_a_control_character_is_named_quoted():
    """Regression of the property test: the key was echoed raw."""
    with pytest.raises(os_rules.OsRulesError) as err:
        os_rules.parse_os_rules({"\x1f": None})
    assert str(err.value).startswith("os_rules.'\\x1f': unknown rule")
    with pytest.raises(os_rules.OsRulesError, match=r"minimal_base\.'a\\nb'"):
        os_rules.parse_os_rules({"minimal_base": {"a\nb": []}})
