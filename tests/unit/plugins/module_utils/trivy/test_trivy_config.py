"""trivy.yaml and .trivyignore.yaml logic (plugins/module_utils/trivy/config.py, trivy/ignores.py).

The schema is upstream's own (aquasecurity/trivy schema/trivy-config.json), read from the
copy the role ships and compared to the copy in tests/fixtures so the two cannot drift apart.
"""
import datetime
import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    config as trivy_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    ignores as trivy_ignores,
)

ROOT = Path(__file__).resolve().parents[5]
SCHEMA_PATH = ROOT / "roles" / "trivy" / "files" / "trivy-config.schema.json"


@pytest.fixture(scope="module")
def schema():
    return json.loads(SCHEMA_PATH.read_text())


def good_settings(**over):
    settings = {
        "timeout": "5m", "severity": ["HIGH", "CRITICAL"], "exit_code": 1,
        "cache_dir": "/var/cache/trivy", "cache_backend": "fs",
        "db_repositories": ["mirror.example/aquasecurity/trivy-db:2"],
        "java_db_repositories": ["mirror.example/aquasecurity/trivy-java-db:1"],
        "skip_db_update": False, "scanners": ["vuln", "secret"], "offline_scan": False,
        "skip_version_check": True, "disable_telemetry": True, "ignore_unfixed": False,
        "ignore_status": ["will_not_fix"], "server_addr": "http://trivy.example:4954",
    }
    settings.update(over)
    return settings


def test_role_schema_is_the_upstream_copy(shared_fixtures):
    upstream = shared_fixtures / "trivy" / "trivy-config.schema.json"
    assert SCHEMA_PATH.read_bytes() == upstream.read_bytes()


def test_typed_settings_map_to_trivy_keys(schema):
    doc = trivy_config.build_config(good_settings(severity=["high", "critical"]))
    assert doc["severity"] == ["HIGH", "CRITICAL"]
    assert doc["exit-code"] == 1
    assert doc["cache"] == {"dir": "/var/cache/trivy", "backend": "fs"}
    assert doc["db"]["repository"] == ["mirror.example/aquasecurity/trivy-db:2"]
    assert doc["db"]["java-repository"] == ["mirror.example/aquasecurity/trivy-java-db:1"]
    assert doc["db"]["skip-update"] is False
    assert doc["scan"]["scanners"] == ["vuln", "secret"]
    assert doc["scan"]["skip-version-check"] is True
    assert doc["scan"]["disable-telemetry"] is True
    assert doc["vulnerability"] == {"ignore-unfixed": False, "ignore-status": ["will_not_fix"]}
    assert doc["server"] == {"addr": "http://trivy.example:4954"}
    assert trivy_config.validate_config(doc, schema) == []


def test_empty_settings_leave_trivy_defaults():
    doc = trivy_config.build_config({"db_repositories": [], "server_addr": "", "timeout": None})
    assert doc == {}


def test_unknown_setting_name_is_an_error():
    with pytest.raises(trivy_config.TrivyConfigError, match="severities"):
        trivy_config.build_config({"severities": ["HIGH"]})


@pytest.mark.parametrize("severity", [["SEVERE"], ["HIGH", "critical"], "HIGH"])
def test_bad_severity_rejected(schema, severity):
    doc = trivy_config.build_config(good_settings())
    doc["severity"] = severity
    errors = trivy_config.validate_config(doc, schema)
    assert errors and all(e.startswith("trivy.yaml severity") for e in errors)


@pytest.mark.parametrize("timeout", ["-5m", "-1s", "5 minutes", "5", "1d"])
def test_bad_or_negative_timeout_rejected(schema, timeout):
    document = trivy_config.build_config(good_settings(timeout=timeout))
    errors = trivy_config.validate_config(document, schema)
    assert len(errors) == 1 and "non-negative Go duration" in errors[0], errors


@pytest.mark.parametrize("timeout", ["5m", "90s", "1h30m", "0", "1.5h", "300ms"])
def test_go_durations_accepted(schema, timeout):
    assert trivy_config.validate_config(trivy_config.build_config(good_settings(timeout=timeout)),
                                        schema) == []


@pytest.mark.parametrize("extra, where", [
    ({"severities": ["HIGH"]}, "(top level)"),
    ({"scan": {"offlne": True}}, "scan"),
    ({"db": {"repositories": ["x"]}}, "db"),
])
def test_unknown_key_rejected(schema, extra, where):
    errors = trivy_config.validate_config(trivy_config.build_config(good_settings(), extra=extra),
                                          schema)
    assert len(errors) == 1
    assert errors[0].startswith(f"trivy.yaml {where}:") and "was unexpected" in errors[0]


def test_upstream_schema_alone_would_accept_what_strict_refuses(schema):
    """Why strict_schema exists: upstream's schema lets these through."""
    import jsonschema

    doc = {"timeout": "-5m", "severities": ["HIGH"], "exit-code": -1}
    assert jsonschema.Draft202012Validator(schema).is_valid(doc)
    assert len(trivy_config.validate_config(doc, schema)) == 3


def test_exit_code_range(schema):
    assert trivy_config.validate_config({"exit-code": 256}, schema)
    assert trivy_config.validate_config({"exit-code": "1"}, schema)
    assert trivy_config.validate_config({"exit-code": 0}, schema) == []


def test_extra_keys_merge_and_validate(schema):
    extra = {"scan": {"parallel": 2}, "registry": {"mirrors": {"docker.io": ["m"]}}}
    doc = trivy_config.build_config(good_settings(), extra=extra)
    assert doc["scan"]["parallel"] == 2 and doc["scan"]["scanners"] == ["vuln", "secret"]
    assert trivy_config.validate_config(doc, schema) == []


def test_strict_schema_does_not_change_the_input(schema):
    before = json.dumps(schema, sort_keys=True)
    trivy_config.strict_schema(schema)
    assert json.dumps(schema, sort_keys=True) == before


# --- ignore policy ----------------------------------------------------------------------

TODAY = datetime.date(2026, 11, 25)


def test_ignore_policy_groups_by_kind_and_keeps_statement():
    doc, errors, warnings = trivy_ignores.build_ignore_policy([
        {"id": "CVE-2019-14697", "statement": "not reachable", "expired_at": "2027-01-31",
         "paths": ["usr/lib/**"]},
        {"id": "AVD-DS-0002", "kind": "misconfiguration", "statement": "root on purpose",
         "expired_at": datetime.date(2027, 2, 1)},
        {"id": "aws-access-key-id", "kind": "secret", "statement": "test fixture key",
         "expired_at": "2027-03-01", "paths": ["tests/**"]},
    ], today=TODAY)
    assert errors == [] and warnings == []
    assert doc["vulnerabilities"] == [{"id": "CVE-2019-14697", "paths": ["usr/lib/**"],
                                       "statement": "not reachable", "expired_at": "2027-01-31"}]
    assert doc["misconfigurations"][0]["expired_at"] == "2027-02-01"
    assert doc["secrets"][0]["paths"] == ["tests/**"]


@pytest.mark.parametrize("missing", ["id", "statement", "expired_at"])
def test_ignore_entry_without_required_field_rejected(missing):
    entry = {"id": "CVE-1", "statement": "why", "expired_at": "2027-01-01"}
    entry[missing] = "  " if missing != "expired_at" else None
    doc, errors, _warnings = trivy_ignores.build_ignore_policy([entry], today=TODAY)
    assert doc == {}
    assert len(errors) == 1 and f"'{missing}' is required" in errors[0]


@pytest.mark.parametrize("entry, message", [
    ({"id": "CVE-1", "statement": "w", "expired_at": "next year"}, "not a date"),
    ({"id": "CVE-1", "statement": "w", "expired_at": "2027-01-01", "kind": "vuln"}, "kind"),
    ({"id": "CVE-1", "statement": "w", "expired_at": "2027-01-01", "reason": "x"}, "unknown key"),
    ("CVE-1", "must be a mapping"),
])
def test_ignore_entry_shape_errors(entry, message):
    _document, errors, _warnings = trivy_ignores.build_ignore_policy([entry], today=TODAY)
    assert errors and message in errors[0]


def test_expired_entry_is_kept_with_a_warning():
    doc, errors, warnings = trivy_ignores.build_ignore_policy(
        [{"id": "CVE-1", "statement": "w", "expired_at": "2026-11-24"}], today=TODAY)
    assert errors == [] and doc["vulnerabilities"][0]["id"] == "CVE-1"
    assert warnings and "expired on 2026-11-24" in warnings[0]


def test_upstream_example_ignore_file_ids_fit_the_format(shared_fixtures):
    """Entries of Trivy's own example .trivyignore.yaml, given a statement and expiry, pass."""
    import yaml

    example = yaml.safe_load((shared_fixtures / "trivy" / "example.trivyignore.yaml").read_text())
    kinds = {v: k for k, v in trivy_ignores.IGNORE_KINDS.items()}
    entries = [dict(item, kind=kinds[section], statement="reviewed", expired_at="2027-01-01")
               for section, items in example.items() for item in items]
    doc, errors, _warnings = trivy_ignores.build_ignore_policy(entries, today=TODAY)
    assert errors == []
    assert {s: [i["id"] for i in v] for s, v in doc.items()} == \
        {s: [i["id"] for i in v] for s, v in example.items()}


@pytest.mark.parametrize("statuses", [["will_not_fix"], ["affected", "fix_deferred"]])
def test_ignore_status_with_ignore_unfixed_is_refused(schema, statuses):
    """Trivy 0.76 drops ignore-unfixed whenever ignore-status is set (a WARN line only)."""
    doc = trivy_config.build_config(good_settings(ignore_unfixed=True, ignore_status=statuses))
    errors = trivy_config.validate_config(doc, schema)
    assert errors == [trivy_config.ignore_pair_error(doc)]
    assert errors[0].startswith(f"trivy.yaml vulnerability: ignore-unfixed true with "
                                f"ignore-status [{', '.join(statuses)}]")
    for alone in (good_settings(ignore_unfixed=True, ignore_status=[]),
                  good_settings(ignore_unfixed=False, ignore_status=statuses)):
        assert trivy_config.validate_config(trivy_config.build_config(alone), schema) == []
