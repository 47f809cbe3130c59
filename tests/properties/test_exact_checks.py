# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Properties of the exact checks (issue 22, "Exact checks"): a trailing newline or any control
character anywhere in a name, a duration or a version is refused, clearly (a message without
raw control characters), by every validator that takes one: containers policy key names and
scopes, KMS references, notation statement and trust store names, Trivy durations, release
and chart versions, and the roles' Jinja name checks as Ansible evaluates them. The same value
without the character is accepted, so the refusal is the character's doing."""
from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
import yaml
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    policy_json as containers_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation import (
    trust_policy as notation_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
    ArtifactError,
    plan,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.config import (
    validate_config,
)
from hypothesis import given
from hypothesis import strategies as st

from .invariants import CONTROL, refused_or_right

ROOT = Path(__file__).resolve().parents[2]
NAME = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,20}", fullmatch=True)
SCOPE = st.from_regex(r"[a-z0-9]{1,10}\.example(:[0-9]{1,4})?(/[a-z0-9]{1,8}){0,2}",
                      fullmatch=True)
DURATION = st.from_regex(r"0|([1-9][0-9]{0,3}(ns|us|ms|s|m|h)){1,3}", fullmatch=True)
VERSION = st.from_regex(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}(-rc\.[0-9])?", fullmatch=True)
# Every C0 and C1 control character and DEL; "\n" is drawn often, it is the one "$" lets by.
CONTROL_CHAR = st.sampled_from("\n\r\t\x00\x1b\x7f") | st.characters(categories=["Cc"])


@st.composite
def spoiled(draw, valid):
    """(value, value with a trailing newline) half of the time, else (value, value with a
    control character inserted anywhere, the end included)."""
    value = draw(valid)
    if draw(st.booleans()):
        return value, value + "\n"
    where = draw(st.integers(0, len(value)))
    return value, value[:where] + draw(CONTROL_CHAR) + value[where:]


def refused(call, refusals):
    outcome, message = refused_or_right(call, refusals)
    assert outcome == "refused"
    return message


@given(spoiled(NAME))
def test_containers_policy_key_names(pair):
    good, bad = pair
    assert containers_policy.check_name(good) == good
    refused(lambda: containers_policy.check_name(bad), containers_policy.PolicyError)


@given(spoiled(SCOPE))
def test_containers_policy_scopes(pair):
    good, bad = pair
    assert containers_policy.check_scope(good) == good
    refused(lambda: containers_policy.check_scope(bad), containers_policy.PolicyError)


@given(spoiled(st.from_regex(r"(awskms|gcpkms|hashivault)://[a-z0-9/]{1,20}", fullmatch=True)))
def test_kms_references(pair):
    good, bad = pair
    assert containers_policy.kms_ref_error(good) == ""
    message = containers_policy.kms_ref_error(bad)
    assert "is not a KMS key reference" in message and not CONTROL.search(message)


def statement(name="prod", store="prod"):
    return {"name": name, "registry_scopes": ["reg.example/app"], "trust_stores": [f"ca:{store}"],
            "trusted_identities": ["*"]}


@given(spoiled(NAME), st.booleans())
def test_notation_statement_and_store_names(pair, in_store):
    good, bad = pair
    assert notation_policy.trust_policy([statement(good, good)])["trustPolicies"]
    spoilt = statement(good, bad) if in_store else statement(bad, good)
    refused(lambda: notation_policy.trust_policy([spoilt]), notation_policy.TrustPolicyError)


SCHEMA = json.loads((ROOT / "roles/trivy/files/trivy-config.schema.json").read_text())


@given(spoiled(DURATION))
def test_trivy_durations(pair):
    good, bad = pair
    assert validate_config({"timeout": good}, SCHEMA) == []
    errors = validate_config({"timeout": bad}, SCHEMA)
    assert len(errors) == 1 and "is not a non-negative Go duration" in errors[0], errors
    assert not CONTROL.search(errors[0]) and "\n" not in errors[0]


@given(spoiled(VERSION))
def test_release_versions(pair):
    good, bad = pair
    assert plan("trivy", good, "x86_64", sha256="a" * 64)["version"] == good
    message = refused(lambda: plan("trivy", bad, "x86_64", sha256="a" * 64), ArtifactError)
    assert "is not an exact version" in message


def _stack_settings():
    """The Pulumi program's settings module (pulumi/ is not a package of the collection)."""
    if str(ROOT / "pulumi") not in sys.path:
        sys.path.insert(0, str(ROOT / "pulumi"))
    from bulwark_platform import settings

    return settings


@given(spoiled(VERSION))
def test_chart_versions(pair):
    stack = _stack_settings()
    good, bad = pair
    assert stack.from_mapping({"bulwark:kyvernoChartVersion": good}).kyverno.version == good
    message = refused(lambda: stack.from_mapping({"bulwark:kyvernoChartVersion": bad}),
                      stack.StackConfigError)
    assert "is not an exact chart version" in message


def _that(task_file, task_name, index):
    tasks = yaml.safe_load((ROOT / task_file).read_text())
    (task,) = [t for t in tasks if t.get("name") == task_name]
    return task["ansible.builtin.assert"]["that"][index]


ROLE_NAME_CHECKS = {
    "cosign": _that("roles/cosign/tasks/validate.yml", "Check the trusted key entries", 1),
    "notation": _that("roles/notation/tasks/validate.yml",
                      "Check the trusted certificate entries", 1),
}


@pytest.mark.parametrize("role", sorted(ROLE_NAME_CHECKS))
@given(pair=spoiled(NAME))
def test_role_name_checks_as_ansible_evaluates_them(role, pair):
    good, bad = pair

    def holds(name):
        templar = Templar(loader=DataLoader(), variables={"item": {"name": name}})
        return templar.evaluate_conditional(trust_as_template(ROLE_NAME_CHECKS[role]))

    assert holds(good) and not holds(bad)
