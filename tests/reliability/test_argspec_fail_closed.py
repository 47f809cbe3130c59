# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Regression rows, argument specs and filters (issue 22, "Fail closed"): each counterexample
the properties of tests/properties/test_argument_specs.py and test_filters.py found, with the
exact message that now refuses it. fail_open rows crashed (a traceback, a TypeError) where a
refusal belonged; leak rows echoed a credential or a raw control character; containment rows
wrote, or would have recursed, outside their place."""
from __future__ import annotations

import contextlib
import importlib
import io
import json

# ansible.utils.display runs `ldconfig -p` when first imported (see test_bad_inputs.py).
import ansible.utils.display  # noqa: F401  pylint: disable=unused-import
import pytest
from ansible.errors import AnsibleError
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_output import (
    OutputError,
    contained_path,
)

SECRET = "S3cr3t-argspecRow0001"
PACKAGE = "ansible_collections.bulwark.container_security.plugins."


def run_module(name, options, tmp_path, monkeypatch):
    """main() of module `name` in-process with PATH empty and cwd in `tmp_path`: the result."""
    module = importlib.import_module(f"{PACKAGE}modules.{name}")
    (tmp_path / "bin").mkdir(exist_ok=True)
    monkeypatch.setenv("PATH", str(tmp_path / "bin"))
    monkeypatch.chdir(tmp_path)
    out = io.StringIO()
    with patch_module_args(options), contextlib.redirect_stdout(out), \
            pytest.raises(SystemExit) as exc:
        module.main()
    result = json.loads(out.getvalue())
    result["_rc"] = exc.value.code
    return result


def refusal(result) -> str:
    assert result["_rc"] == 1 and result.get("failed") is True, result
    assert "exception" not in result, result
    return result["msg"]


def filter_refusal(module, name, *args, **kwargs) -> str:
    """The message of filter `name`'s refusal, of the {'error': ...} it answers with, or the
    one message of the list a validating filter answers with."""
    function = importlib.import_module(f"{PACKAGE}filter.{module}").FilterModule().filters()[name]
    try:
        value = function(*args, **kwargs)
    except (AnsibleError, ValueError) as exc:
        return str(exc)
    if isinstance(value, list) and len(value) == 1 and isinstance(value[0], str):
        return value[0]
    assert isinstance(value, dict) and "error" in value, value
    return value["error"]


# ---------------------------------------------------------------------------- modules
# (row id, module, options ({tmp} is the row's directory), fragment of the refusal)
MODULE_ROWS = [
    ("admission_check-paths-broken-yaml", "admission_check",
     {"paths": ["{tmp}/broken.yml"]}, "manifest file {tmp}/broken.yml is not valid YAML"),
    ("falco_rules_lint-paths-name-too-long", "falco_rules_lint", {"paths": ["y" * 1000]},
     "cannot read the rules paths: [Errno 36] File name too long"),
    ("file_set-path-empty", "file_set", {"path": "", "files": {}},
     "path must name a directory, got an empty string"),
    ("bulwark_posture_facts-part-bool", "bulwark_posture_facts", {"rescan": False},
     "option rescan must be a mapping, got true or false"),
    ("bulwark_posture_facts-path-nul", "bulwark_posture_facts",
     {"ship": {"trusted_keys_dir": "\x00", "policy_path": "/etc/containers/policy.json"}},
     "ship.trusted_keys_dir: '\\\\x00' is not a usable path (a NUL byte"),
    ("notation_verify-binary-missing", "notation_verify",
     {"image": "reg.example/app:1", "notation_path": "{tmp}/bin/notation"},
     "cannot run {tmp}/bin/notation: No such file or directory (install it, or give its path"),
    ("notation_sign-image-null", "notation_sign", {"image": None},
     "image (or images) must name an image; got null"),
    ("cosign_verify-image-null", "cosign_verify", {"image": None, "public_keys": ["k"]},
     "image (or images) must name an image; got null"),
]


def _fill(value, tmp):
    if isinstance(value, str):
        return value.replace("{tmp}", str(tmp))
    if isinstance(value, dict):
        return {k: _fill(v, tmp) for k, v in value.items()}
    if isinstance(value, list):
        return [_fill(v, tmp) for v in value]
    return value


@pytest.mark.parametrize(("row_id", "module", "options", "fragment"), MODULE_ROWS,
                         ids=[r[0] for r in MODULE_ROWS])
def test_fail_open_row_module(tmp_path, monkeypatch, row_id, module, options, fragment):
    (tmp_path / "broken.yml").write_text("a: [b\n  - c: {")
    msg = refusal(run_module(module, _fill(options, tmp_path), tmp_path, monkeypatch))
    assert _fill(fragment, tmp_path) in msg, f"{row_id}: {msg!r}"


# ---------------------------------------------------------------------------- filters
# (row id, filter file, filter, args, kwargs, fragment of the refusal)
FILTER_ROWS = [
    ("containers_policy-requirements-int", "containers_policy", "containers_policy", [1], {},
     "requirements must be a list, got an integer"),
    ("containers_registries_d-entry-string", "containers_policy", "containers_registries_d",
     [["x"]], {}, "requirements[0] must be a mapping, got a string"),
    ("falco_config_errors-schema-number", "falco_config", "falco_config_errors", [{}, "0"], {},
     "the Falco config schema must be a mapping, got an integer"),
    ("falco_gpg_primary_fingerprints-null", "falco_config", "falco_gpg_primary_fingerprints",
     [None], {}, "the gpg colon lines must be a list, got null"),
    ("falco_library_errors-string", "falco_config", "falco_library_errors", [""], {},
     "the library's variables must be a mapping of variable name to value, got str"),
    ("trivy_junit-null", "trivy", "trivy_junit", [None], {},
     "trivy_junit: the results must be a mapping or a list, got null"),
    ("trivy_vuln_predicate-result-not-a-gate-result", "trivy", "trivy_vuln_predicate", [{}],
     {"result": {}}, "result must be a trivy_gate result (with blocking_severities)"),
    ("trivy_gate-budgets-string", "trivy", "trivy_gate", [None], {"budgets": " "},
     "budgets (a mapping of severity to a count) must be a mapping, got a string"),
    ("trivy_gate-severity-number", "trivy", "trivy_gate", [None], {"severity": 1.0},
     "severity must be a string or a list, got a number"),
    ("trivy_config_document-settings-int", "trivy_config", "trivy_config_document", [1], {},
     "trivy_config_document: the settings must be a mapping, got an integer"),
    ("trivy_config_validate-document-null", "trivy_config", "trivy_config_validate",
     [None, []], {}, "trivy_config_validate: the document must be a mapping, got null"),
    ("trivy_ignore_policy-today-number", "trivy_config", "trivy_ignore_policy", [None],
     {"today": 1.0}, "trivy_ignore_policy: today must be a string, got a number"),
    ("seccomp_derived_profiles-entries-null", "seccomp_profiles", "seccomp_derived_profiles",
     [None, "", None], {}, "seccomp_profiles entries must be a list, got null"),
    ("trivy_gate-ignore-key-nul", "trivy", "trivy_gate", [None], {"ignores": [{"\x00": None}]},
     "unknown key(s) \\x00; accepted: id"),
    ("kyverno_prune_plan-bundle-string", "kyverno", "kyverno_prune_plan", [None, " "], {},
     "the bundle must be a list of Kubernetes objects, got a string"),
    ("kyverno_prune_plan-listings-bool", "kyverno", "kyverno_prune_plan", [False, []], {},
     "the listings must be a list of k8s_info results or objects, got true or false"),
    ("kyverno_prune_plan-listing-metadata", "kyverno", "kyverno_prune_plan",
     [[{"apiVersion": "v1", "kind": "Namespace", "metadata": []}], []], {},
     "listings[0] is not a Kubernetes object"),
    ("posture_report-signatures-bool", "posture", "posture_report", [{}], {"signatures": True},
     "posture_report: signatures must be a list"),
    ("posture_render-report-list", "posture", "posture_render", [[], "json"], {},
     "posture_render: the report must be a mapping"),
    ("posture_render-report-unchecked", "posture", "posture_render", [{"x": 1}, "html"], {},
     "posture_render: schema_version: None is not 2"),
    ("build_gate_sarif-finding-string", "build_gate", "build_gate_sarif",
     [{"blocking": ["x"]}], {}, "results[0].blocking[0] must be a mapping, got a string"),
    ("build_gate_sarif-severity-unknown", "build_gate", "build_gate_sarif",
     [{"blocking": [{"id": "CVE-1", "severity": "BAD"}]}], {},
     "results[0].blocking[0].severity must be one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL"),
]


@pytest.mark.parametrize(("row_id", "module", "name", "args", "kwargs", "fragment"),
                         FILTER_ROWS, ids=[r[0] for r in FILTER_ROWS])
def test_fail_open_row_filter(row_id, module, name, args, kwargs, fragment):
    msg = filter_refusal(module, name, *args, **kwargs)
    assert fragment in msg, f"{row_id}: {msg!r}"


# (row id, filter file, filter, args, fragment): a credential given in the wrong place is named
# by its type, never shown; a control character is escaped.
LEAK_ROWS = [
    ("posture_report-generated-mapping", "posture", "posture_report",
     [{}, None, None, None, None, {"password": SECRET}],
     "generated: expected string, got object (value not shown)"),
    ("kyverno_policy_bundle-unknown-key", "kyverno", "kyverno_policy_bundle",
     [{"password": SECRET}], "password: (value not shown) is not valid; expected one of the keys"),
    ("kyverno_policy_bundle-namespaces-mapping", "kyverno", "kyverno_policy_bundle",
     [{"namespaces": {"password": SECRET}}], "(a mapping) is not valid"),
    ("falco_rules_validate_argv-mapping", "falco_config", "falco_rules_validate_argv",
     [{"password": SECRET}], "files must be a list of paths, got a mapping"),
    ("kubernetes_manifest_name-mapping", "kyverno", "kubernetes_manifest_name",
     [{"password": SECRET}], "not a Kubernetes manifest (no metadata): a mapping with keys "
                             "password"),
    ("seccomp_builtin_profiles-mapping", "seccomp_profiles", "seccomp_builtin_profiles",
     [{"password": SECRET}, "/d"],
     "seccomp_profiles_builtin must be a list of profile names, got a mapping"),
    ("seccomp_builtin_profiles-entry-mapping", "seccomp_profiles", "seccomp_builtin_profiles",
     [[{"password": SECRET}], "/d"], "seccomp_profiles_builtin entry must be a profile name"),
    ("trivy_gate-ignores-section-nul", "trivy", "trivy_gate", [None],
     "unknown section(s) \\x00; accepted: vulnerabilities"),
    ("falco_alerts_config-channel-backspace", "falco_config", "falco_alerts_config",
     [{"\x08": {}}], "falco_alerts: unknown channel(s) \\x08; accepted: stdout"),
]


@pytest.mark.parametrize(("row_id", "module", "name", "args", "fragment"), LEAK_ROWS,
                         ids=[r[0] for r in LEAK_ROWS])
def test_leak_row_filter(row_id, module, name, args, fragment):
    kwargs = {"ignores": {"\x00": None}} if row_id == "trivy_gate-ignores-section-nul" else {}
    msg = filter_refusal(module, name, *args, **kwargs)
    assert fragment in msg, f"{row_id}: {msg!r}"
    assert SECRET not in msg and "\x00" not in msg and "\x08" not in msg, msg


@pytest.mark.parametrize(("row_id", "module", "options", "fragment"), [
    ("admission_check-path-control-character", "admission_check", {"paths": ["\x1f"]},
     "cannot read manifest file \\x1f"),
    ("falco_rules_lint-path-control-character", "falco_rules_lint", {"paths": ["\x1f"]},
     "cannot read rules file \\x1f"),
    ("admission_check-settings-key-nul", "admission_check", {"policy_settings": {"\x00": None}},
     "policy_settings: '\\x00': (value not shown) is not valid; expected one of the keys"),
    ("seccomp_profile_validate-path-nul", "seccomp_profile_validate", {"path": "p\x1f\x00"},
     "cannot read seccomp profile p\\x1f\\x00"),
], ids=["admission_check-path-control-character", "falco_rules_lint-path-control-character",
        "admission_check-settings-key-nul", "seccomp_profile_validate-path-nul"])
def test_leak_row_module(tmp_path, monkeypatch, row_id, module, options, fragment):
    msg = refusal(run_module(module, options, tmp_path, monkeypatch))
    assert fragment in msg, f"{row_id}: {msg!r}"
    assert "\x1f" not in msg and "\x00" not in msg, msg


def test_containment_row_file_set_relative_path(tmp_path, monkeypatch):
    """A relative path (which recursed without end at its first component) is created under
    the working directory, and nothing else is written."""
    result = run_module("file_set", {"path": "rel/dir", "files": {"a.txt": "x\n"}}, tmp_path,
                        monkeypatch)
    assert result["_rc"] == 0 and result["written"] == ["a.txt"], result
    assert (tmp_path / "rel" / "dir" / "a.txt").read_text() == "x\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bin", "rel"]


@pytest.mark.parametrize("name", [".", "./."], ids=["dot", "dot-slash-dot"])
def test_containment_row_contained_path_names_no_file(tmp_path, name):
    """A name that designates the directory itself is not a file inside it (found by the
    property test: "." resolved to the root)."""
    with pytest.raises(OutputError, match="is not a relative path inside"):
        contained_path(tmp_path, name)
