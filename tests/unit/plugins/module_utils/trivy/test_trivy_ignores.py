# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The one Trivy ignore model (trivy/ignores.py): the role's builder and the gate's loader
accept and refuse the same entries, with the same expiry day."""
from __future__ import annotations

import datetime as dt

import pytest
import yaml
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    gate as trivy_gate,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    ignores as trivy_ignores,
)

TODAY = dt.date(2026, 11, 25)
ENTRY = {"id": "CVE-1", "statement": "why", "expired_at": "2027-01-01"}


def both(entries):
    """(errors of the role's builder, error of the gate's loader or '')."""
    _document, errors, _warnings = trivy_ignores.build_ignore_policy(entries, today=TODAY)
    try:
        trivy_ignores.load_ignore_policy(entries)
        loaded = ""
    except ValueError as exc:
        loaded = str(exc)
    return errors, loaded


@pytest.mark.parametrize(("entry", "message"), [
    (dict(ENTRY, purls=["npm/jquery"]), "is not a package URL"),
    (dict(ENTRY, purls=["pkg:npm"]), "is not a package URL"),
    (dict(ENTRY, kind="secret", purls=["pkg:npm/jquery"]), "purls apply to vulnerability"),
    (dict(ENTRY, kind="licence"), "kind='licence'"),
    (dict(ENTRY, expired_at="2027-01-01T00:00:00Z"), "is not a date"),
    (dict(ENTRY, paths="src/**", purls=[""]), "must be a list of non-empty strings"),
])
def test_role_and_gate_refuse_the_same_entries(entry, message):
    errors, loaded = both([entry])
    assert len(errors) == 1 and message in errors[0]
    assert loaded == errors[0].replace("trivy_ignore_entries", "ignores")


def test_license_entries_are_accepted_by_both_and_kept_in_the_file():
    entry = dict(ENTRY, id="GPL-3.0", kind="license", paths=["usr/share/**"])
    errors, loaded = both([entry])
    assert errors == [] and loaded == ""
    document, _errors, _warnings = trivy_ignores.build_ignore_policy([entry], today=TODAY)
    assert document == {"licenses": [{"id": "GPL-3.0", "paths": ["usr/share/**"],
                                      "statement": "why", "expired_at": "2027-01-01"}]}
    assert trivy_ignores.load_ignore_policy(document)[0]["kind"] == "license"


def test_every_section_of_trivys_example_file_round_trips(shared_fixtures):
    example = yaml.safe_load((shared_fixtures / "trivy" / "example.trivyignore.yaml").read_text())
    reviewed = {section: [dict(item, statement="reviewed", expired_at="2027-01-01")
                          for item in items] for section, items in example.items()}
    written = trivy_ignores.to_trivyignore(reviewed)
    assert {s: [i["id"] for i in v] for s, v in written.items()} == \
        {s: [i["id"] for i in v] for s, v in example.items()}
    assert trivy_ignores.to_trivyignore(yaml.safe_load(yaml.safe_dump(written))) == written


@pytest.mark.parametrize(("expires", "expired"), [
    (TODAY - dt.timedelta(days=1), True), (TODAY, True), (TODAY + dt.timedelta(days=1), False)])
def test_expiry_day_is_the_same_for_the_role_and_the_gate(shared_fixtures, expires, expired):
    """Trivy: expired once midnight UTC of expired_at has passed, so on that day itself."""
    import json

    entry = {"id": "CVE-2019-14697", "statement": "s", "expired_at": expires.isoformat()}
    _document, _errors, warnings = trivy_ignores.build_ignore_policy([entry], today=TODAY)
    report = json.loads((shared_fixtures / "trivy" / "alpine-39.json").read_text())
    result = trivy_gate.gate(report, ignores=[entry], today=TODAY)
    assert bool(warnings) is expired
    assert result["passed"] is not expired
    assert warnings == result["warnings"][:len(warnings)]


def test_default_today_is_the_utc_date():
    assert trivy_ignores.today_utc() == dt.datetime.now(dt.timezone.utc).date()


@pytest.mark.parametrize(("pattern", "purl", "matches"), [
    # the one purl reader (module_utils/purl.py, packageurl-python), as the purl spec says
    ("pkg:npm/@angular/core@16.0.0", "pkg:npm/%40angular/core@16.0.0", True),
    ("pkg:npm/@angular/core", "pkg:npm/%40angular/core@17.1.0", True),
    ("pkg:pypi/Django", "pkg:pypi/django@4.2.1", True),
    ("pkg:pypi/django@4.1", "pkg:pypi/django@4.2.1", False),
    ("pkg:npm/jquery", "pkg:npm/jquery-ui@1.0", False),
    ("pkg:deb/debian/curl?arch=amd64", "pkg:deb/debian/curl@8.0?arch=arm64", False),
])
def test_ignore_purls_match_as_the_purl_spec_says(pattern, purl, matches):
    entry = {"id": "CVE-2024-0001", "kind": "vulnerability", "paths": [], "purls": [pattern]}
    finding = {"target": "app", "purl": purl}
    assert trivy_ignores.entry_matches(entry, finding) is matches
