# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Bad inputs, counted: each row is one bad value, where it goes, and the message that must
refuse it before anything happens.

- role rows: every row is one include_role in a block/rescue of ONE ansible-playbook run
  against the suite's lab node; the rescue records the failure message. The node's watched
  paths (tests/conftest.py NODE_PATHS) are listed and hashed before and after the run:
  nothing may change.
- module rows: the module's main() in-process; no process may be started (the probe of the
  tool's --help is allowed only where a row says so) and the message must name the option.
- Pulumi rows: the stack config through settings.from_mapping / the policy settings.
- CLI rows: bin/*.py, pulumi/render.py and lab/lab.py as subprocesses, no node.

A row that is not refused cleanly is a finding: fix it in the product, not with an xfail here.
"""
from __future__ import annotations

import contextlib
import importlib
import io
import json
import subprocess
import sys
from pathlib import Path

# (see run_module_watched)
import ansible.utils.display  # noqa: F401  pylint: disable=unused-import
import pytest
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    settings as kyverno_settings,
)
from conftest import changed_paths, node_fingerprint, run_playbook

from .support import ROOT

DIGEST = "@sha256:" + "a" * 64
IMG = "127.0.0.1:15000/reliab/app" + DIGEST

# ---------------------------------------------------------------------------- role variables
# (row id, role, variables, fragments the failure message must contain)
ROLE_ROWS = [
    # release_artifact
    ("release_artifact-tool-unknown", "release_artifact",
     {"release_artifact_tool": "kubectl", "release_artifact_version": "1.0.0"},
     ["release_artifact_tool", "cosign, syft, notation, trivy, kyverno, falco"]),
    ("release_artifact-timeout-type", "release_artifact",
     {"release_artifact_tool": "syft", "release_artifact_version": "1.18.1",
      "release_artifact_timeout": "soon"}, ["release_artifact_timeout", "int"]),
    ("release_artifact-validate_certs-type", "release_artifact",
     {"release_artifact_tool": "syft", "release_artifact_version": "1.18.1",
      "release_artifact_validate_certs": "maybe"}, ["release_artifact_validate_certs", "bool"]),
    ("release_artifact-denylist-type", "release_artifact",
     {"release_artifact_tool": "syft", "release_artifact_version": "1.18.1",
      "release_artifact_denylist": ["1.18.1"]}, ["release_artifact_denylist", "dict"]),
    ("release_artifact-version-shell", "release_artifact",
     {"release_artifact_tool": "syft", "release_artifact_version": "1.18.1;rm -rf /"},
     ["syft_version '1.18.1;rm -rf /' is not an exact version like 1.2.3"]),
    ("release_artifact-version-dotdot", "release_artifact",
     {"release_artifact_tool": "syft", "release_artifact_version": "../../etc"},
     ["syft_version '../../etc' is not an exact version like 1.2.3"]),
    ("release_artifact-version-missing", "release_artifact",
     {"release_artifact_tool": "syft"}, ["syft_version '' is not an exact version like 1.2.3"]),
    ("release_artifact-architecture-unknown", "release_artifact",
     {"release_artifact_tool": "cosign", "release_artifact_version": "3.1.1",
      "release_artifact_architecture": "s390x"}, ["'s390x' is not supported for cosign",
                                                  "aarch64, x86_64"]),
    ("release_artifact-sha256-malformed", "release_artifact",
     {"release_artifact_tool": "syft", "release_artifact_version": "1.18.1",
      "release_artifact_sha256": "not-a-sha"}, ["syft sha256 'not-a-sha' is not 64 hex digits"]),
    ("release_artifact-mirror-scheme", "release_artifact",
     {"release_artifact_tool": "syft", "release_artifact_version": "1.18.1",
      "release_artifact_mirror_url": "file:///etc"},
     ["release_artifact_mirror_url 'file:///etc' must be an http:// or https:// URL"]),
    ("cosign-signer_key_ref-shell", "cosign", {"cosign_signer": True,
                                               "cosign_signer_key_ref": "awskms://$(id)/alias"},
     ["cosign_signer_key_ref 'awskms://$(id)/alias' is not a KMS key reference"]),
    ("cosign-install_method-choice", "cosign", {"cosign_install_method": "brew"},
     ["cosign_install_method", "release, package"]),
    ("cosign-enabled-type", "cosign", {"cosign_enabled": "sometimes"}, ["cosign_enabled", "bool"]),
    ("cosign-trusted_keys-type", "cosign", {"cosign_trusted_keys": 42},
     ["Elements value for option 'cosign_trusted_keys'", "unable to convert to dict"]),
    ("cosign-trusted_key-name-dotdot", "cosign",
     {"cosign_trusted_keys": [{"name": "../../etc/evil", "src": "/dev/null"}]},
     ["cosign_trusted_keys entry ../../etc/evil is not valid", "letters, digits"]),
    ("cosign-trusted_key-name-shell", "cosign",
     {"cosign_trusted_keys": [{"name": "k;rm -rf /", "src": "/dev/null"}]},
     ["cosign_trusted_keys entry k;rm -rf / is not valid", "letters, digits"]),
    ("cosign-trusted_key-name-oversized", "cosign",
     {"cosign_trusted_keys": [{"name": "k" * 300, "src": "/dev/null"}]},
     ["cosign_trusted_keys entry", "letters, digits"]),
    ("cosign-trusted_key-pem-not-a-key", "cosign",
     {"cosign_trusted_keys": [{"name": "k", "pem": "hello"}]},
     ["cosign_trusted_keys entry k is not valid", "-----BEGIN PUBLIC KEY-----"]),
    ("cosign-trusted_key-both-sources", "cosign",
     {"cosign_trusted_keys": [{"name": "k", "pem": "x", "src": "/dev/null"}]},
     ["cosign_trusted_keys entry k is not valid", "exactly one of pem"]),
    ("cosign-signer-without-password", "cosign", {"cosign_signer": True},
     ["cosign_key_password", "Ansible Vault"]),
    ("cosign-policy_default-choice", "cosign", {"cosign_policy_default": "accept"},
     ["cosign_policy_default", "insecureAcceptAnything, reject"]),
    ("cosign-policy_requirements-type", "cosign", {"cosign_policy_requirements": "all"},
     ["Elements value for option 'cosign_policy_requirements'", "unable to convert to dict"]),
    # seccomp_profiles
    ("seccomp-builtin-unknown", "seccomp_profiles", {"seccomp_profiles_builtin": ["docker"]},
     ["seccomp_profiles_builtin", "baseline, strict-example"]),
    ("seccomp-extra-name-dotdot", "seccomp_profiles",
     {"seccomp_profiles_builtin": [], "seccomp_profiles_extra": [
         {"name": "../../etc/cron.d/x", "content": {"defaultAction": "SCMP_ACT_ERRNO"}}]},
     ["seccomp_profiles_extra entry", "letters, digits"]),
    ("seccomp-extra-name-shell", "seccomp_profiles",
     {"seccomp_profiles_builtin": [], "seccomp_profiles_extra": [
         {"name": "x`id`", "content": {"defaultAction": "SCMP_ACT_ERRNO"}}]},
     ["seccomp_profiles_extra entry", "letters, digits"]),
    ("seccomp-extra-type", "seccomp_profiles", {"seccomp_profiles_extra": "strict"},
     ["Elements value for option 'seccomp_profiles_extra'", "unable to convert to dict"]),
    ("seccomp-validate-type", "seccomp_profiles", {"seccomp_profiles_validate": "perhaps"},
     ["seccomp_profiles_validate", "bool"]),
    # falco (install method none: nothing to download here)
    ("falco-priority-choice", "falco", {"falco_install_method": "none", "falco_priority": "loud"},
     ["falco_priority", "emergency, alert"]),
    ("falco-driver-choice", "falco", {"falco_install_method": "none", "falco_driver": "ebpf"},
     ["falco_driver", "modern_ebpf, kmod"]),
    ("falco-install_method-choice", "falco", {"falco_install_method": "snap"},
     ["falco_install_method", "apt, yum, tarball, none"]),
    ("falco-alerts-type", "falco", {"falco_install_method": "none", "falco_alerts": "on"},
     ["falco_alerts", "dict"]),
    ("falco-rules_extra-type", "falco", {"falco_install_method": "none",
                                         "falco_rules_extra": "- rule: x"},
     ["Elements value for option 'falco_rules_extra'", "unable to convert to dict"]),
    ("falco-webserver-unknown-key", "falco", {"falco_install_method": "none",
                                              "falco_webserver": {"enabled": True, "prot": 1}},
     ["webserver: Additional properties are not allowed ('prot' was unexpected)",
      "Nothing was written"]),
    # trivy
    ("trivy-exit_code-type", "trivy", {"trivy_install_method": "none", "trivy_exit_code": "one"},
     ["trivy_exit_code", "int"]),
    ("trivy-install_method-choice", "trivy", {"trivy_install_method": "docker"},
     ["trivy_install_method", "release, package, none"]),
    ("trivy-severity-unknown", "trivy", {"trivy_install_method": "none",
                                         "trivy_severity": ["APOCALYPTIC"]},
     ["trivy.yaml was not written", "APOCALYPTIC"]),
    ("trivy-scanners-unknown", "trivy", {"trivy_install_method": "none",
                                         "trivy_scanners": ["rce"]},
     ["trivy.yaml was not written", "rce"]),
    ("trivy-timeout-not-duration", "trivy", {"trivy_install_method": "none",
                                             "trivy_timeout": "forever"},
     ["trivy.yaml was not written", "forever"]),
    ("trivy-server_listen-no-port", "trivy", {"trivy_install_method": "none",
                                              "trivy_server_enabled": True,
                                              "trivy_server_listen": "0.0.0.0"},
     ["trivy_server_listen 0.0.0.0 must be host:port"]),
    ("trivy-rescan_runtimes-choice", "trivy", {"trivy_install_method": "none",
                                               "trivy_rescan_runtimes": ["lxc"]},
     ["trivy_rescan_runtimes", "crictl, ctr, podman, docker"]),
    ("trivy-rescan_history-type", "trivy", {"trivy_install_method": "none",
                                            "trivy_rescan_history": "two weeks"},
     ["trivy_rescan_history", "int"]),
    ("trivy-ignore_status-with-ignore_unfixed", "trivy", {
        "trivy_install_method": "none", "trivy_ignore_unfixed": True,
        "trivy_ignore_status": ["will_not_fix"]},
     ["trivy.yaml was not written", "ignore-unfixed true with ignore-status [will_not_fix]"]),
    ("trivy-server-shares-the-fs-cache", "trivy", {
        "trivy_install_method": "none", "trivy_server_enabled": True,
        "trivy_server_cache_dir": "/var/cache/trivy"},
     ["trivy_server_cache_dir and trivy_cache_dir are both /var/cache/trivy"]),
    ("trivy-config_extra-unknown-key", "trivy", {"trivy_install_method": "none",
                                                 "trivy_config_extra": {"no_such_key": 1}},
     ["trivy.yaml was not written", "no_such_key"]),
    ("trivy-ignore-entry-without-statement", "trivy", {
        "trivy_install_method": "none", "trivy_ignore_entries": [{"id": "CVE-2024-0001"}]},
     [".trivyignore.yaml was not written", "statement"]),
    # (these were tests/integration/trivy_role; on the converged fleet node they also prove
    # the existing trivy.yaml and .trivyignore.yaml stay byte for byte)
    ("trivy-severity-one-unknown", "trivy", {"trivy_install_method": "none",
                                             "trivy_severity": ["HIGH", "SEVERE"]},
     ["trivy.yaml was not written", "trivy.yaml severity.1: 'SEVERE' is not one of"]),
    ("trivy-timeout-negative", "trivy", {"trivy_install_method": "none", "trivy_timeout": "-5m"},
     ["trivy.yaml was not written", "trivy.yaml timeout: '-5m' is not a non-negative Go duration"]),
    ("trivy-config_extra-nested-unknown-key", "trivy", {
        "trivy_install_method": "none", "trivy_config_extra": {"scan": {"offlne": True}}},
     ["trivy.yaml was not written", "('offlne' was unexpected)"]),
    ("trivy-config_extra-plural-key", "trivy", {
        "trivy_install_method": "none", "trivy_config_extra": {"severities": ["LOW"]}},
     ["trivy.yaml was not written", "('severities' was unexpected)"]),
    ("trivy-ignore-entry-expiry-without-statement", "trivy", {
        "trivy_install_method": "none", "trivy_severity": ["LOW"],
        "trivy_ignore_entries": [{"id": "CVE-2020-1", "expired_at": "2027-01-01"}]},
     [".trivyignore.yaml was not written", "is required: say why this finding is accepted"]),
    # a compromised release is refused before any download (nothing listens on the mirror's
    # port; the recorded no-request proof of the same check: tests/integration/installer)
    ("trivy-version-compromised", "trivy", {
        "trivy_install_method": "release", "trivy_version": "0.69.4",
        "trivy_mirror_url": "http://127.0.0.1:9", "release_artifact_allow_insecure_mirror": True,
        "release_artifact_pins": {}},
     ["trivy 0.69.4 is refused: CVE-2026-33634"]),
    ("trivy-version-compromised-v-prefix", "trivy", {
        "trivy_install_method": "release", "trivy_version": "v0.69.6",
        "trivy_mirror_url": "http://127.0.0.1:9", "release_artifact_allow_insecure_mirror": True,
        "release_artifact_pins": {}},
     ["trivy 0.69.6 is refused: CVE-2026-33634"]),
    # kyverno
    ("kyverno-apply-type", "kyverno", {"kyverno_cli_install": False, "kyverno_apply": "yes please"},
     ["kyverno_apply", "bool"]),
    ("kyverno-policy_settings-unknown-key", "kyverno", {
        "kyverno_cli_install": False, "kyverno_policy_settings": {"pod_securty": {}}},
     ["pod_securty"]),
    ("kyverno-policy_settings-type", "kyverno", {"kyverno_cli_install": False,
                                                 "kyverno_policy_settings": "restricted"},
     ["kyverno_policy_settings", "dict"]),
    ("kyverno-namespace-injection", "kyverno", {
        "kyverno_cli_install": False,
        "kyverno_policy_settings": {"namespaces": [{"name": "prod;kubectl delete ns"}]}},
     ["namespaces[0].name"]),
]


def _role_playbook(path, results, hosts):
    """One play: each row an include_role in a block whose rescue records the message."""
    tasks = [{"name": "Start with no results", "ansible.builtin.set_fact": {"reliab_results": {}}}]
    for row_id, role, variables, _fragments in ROLE_ROWS:
        tasks.append({"name": f"Row {row_id}", "vars": {"reliab_row": row_id}, "block": [
            {"ansible.builtin.include_role": {"name": f"bulwark.container_security.{role}"},
             "vars": variables},
            {"ansible.builtin.set_fact": {"reliab_results": (
                "{{ reliab_results | combine({reliab_row: {'msg': 'NOT REFUSED'}}) }}")}},
        ], "rescue": [
            {"ansible.builtin.set_fact": {"reliab_results": (
                "{{ reliab_results | combine({reliab_row: {'msg': ([ansible_failed_result.msg "
                "| default('')] + ansible_failed_result.results | default([]) "
                "| map(attribute='msg', default='') | list) | join(' '), "
                "'task': ansible_failed_task.name | default('')}}) }}")}},
        ]})
    tasks.append({"name": "Write the results on the controller",
                  "ansible.builtin.copy": {"content": "{{ reliab_results | to_json }}",
                                           "dest": str(results)},
                  "delegate_to": "localhost",
                  "vars": {"ansible_connection": "local",
                           "ansible_python_interpreter": sys.executable}})
    path.write_text(json.dumps([{"name": "Bad inputs to every role, one row per block",
                                 "hosts": hosts, "gather_facts": True, "tasks": tasks}]))


@pytest.fixture(scope="module")
def role_run(reliab_node, tmp_path_factory):
    """All role rows in one ansible-playbook run; (results by row id, changed paths)."""
    node, inventory = reliab_node
    work = tmp_path_factory.mktemp("bad-inputs")
    playbook, results = work / "rows.yml", work / "results.json"
    _role_playbook(playbook, results, node)
    before = node_fingerprint(node)
    res = run_playbook(["-i", str(inventory), str(playbook)], timeout=900)
    after = node_fingerprint(node)
    (work / "ansible-playbook.out").write_text(res.stdout + res.stderr)
    assert results.is_file(), res.stdout[-3000:] + res.stderr[-2000:]
    return json.loads(results.read_text()), changed_paths(before, after)


@pytest.mark.parametrize(("row_id", "role", "variables", "fragments"), ROLE_ROWS,
                         ids=[r[0] for r in ROLE_ROWS])
def test_bad_inputs_row_role(role_run, row_id, role, variables, fragments):
    results, changed = role_run
    result = results[row_id]
    msg = " ".join(result["msg"].split())
    assert msg != "NOT REFUSED", f"{role} accepted {variables}"
    for fragment in fragments:
        assert fragment in msg, f"{row_id}: {fragment!r} not in {msg!r} (task {result['task']!r})"
    assert changed == [], f"the node changed during the bad-input run: {changed[:20]}"


# ---------------------------------------------------------------------------- module options
# (row id, module, options, fragments). {tmp} is a directory of bad files (see bad_files);
# a row that names cosign_path may run the module's `cosign sign --help` feature probe, and
# nothing else.
# The gate recognises a report before it judges it: a valid header with no results, so that
# each row below is refused for the option it names.
EMPTY_TRIVY_REPORT = {"SchemaVersion": 2, "ArtifactName": "x", "ArtifactType": "filesystem",
                      "Results": []}
MODULE_ROWS = [
    ("cosign_sign-parallel-type", "cosign_sign",
     {"image": IMG, "key": "{tmp}/k", "parallel": "many"},
     ["argument 'parallel' is of type str", "int"]),
    ("cosign_sign-signature_format-choice", "cosign_sign",
     {"image": IMG, "key": "{tmp}/k", "signature_format": "v3"},
     ["value of signature_format must be one of: legacy, bundle, got: v3"]),
    ("cosign_sign-unknown-option", "cosign_sign", {"image": IMG, "key": "{tmp}/k", "bogus": 1},
     ["Unsupported parameters", "bogus", "Supported parameters include"]),
    ("cosign_sign-image-and-images", "cosign_sign",
     {"image": IMG, "images": [IMG], "key": "{tmp}/k"},
     ["parameters are mutually exclusive: image|images"]),
    ("cosign_sign-force-type", "cosign_sign", {"image": IMG, "key": "{tmp}/k", "force": "perhaps"},
     ["argument 'force'", "Valid booleans include"]),
    ("cosign_sign-image-shell-semicolon", "cosign_sign",
     {"image": "127.0.0.1:15000/x:v1;rm -rf /", "key": "{tmp}/k", "cosign_path": "{cosign}"},
     ["image reference '127.0.0.1:15000/x:v1;rm -rf /' is not a reference",
      "registry/repository[:tag][@sha256:<64 hex>]"]),
    ("cosign_sign-image-command-substitution", "cosign_sign",
     {"image": "$(touch /tmp/pwn)", "key": "{tmp}/k", "cosign_path": "{cosign}"},
     ["image reference '$(touch /tmp/pwn)' is not a reference"]),
    ("cosign_sign-image-option-injection", "cosign_sign",
     {"image": "--key=/etc/shadow", "key": "{tmp}/k", "cosign_path": "{cosign}"},
     ["image: image reference '--key=/etc/shadow' is not a reference",
      "registry/repository[:tag][@sha256:<64 hex>]"]),
    ("cosign_sign-image-oversized", "cosign_sign",
     {"image": "127.0.0.1:15000/" + "a" * 5000 + DIGEST, "key": "{tmp}/k",
      "cosign_path": "{cosign}"},
     ["image: image reference", "its name has 5016 characters, at most 255 are accepted"]),
    ("cosign_sign-images-entry-shell", "cosign_sign",
     {"images": [IMG, "127.0.0.1:15000/x:`id`"], "key": "{tmp}/k", "cosign_path": "{cosign}"},
     ["images[1]: image reference '127.0.0.1:15000/x:`id`' is not a reference"]),
    ("cosign_sign-parallel-zero", "cosign_sign",
     {"image": IMG, "key": "{tmp}/k", "parallel": 0, "cosign_path": "{cosign}"},
     ["parallel=0 is out of range; accepted: 1 to 32"]),
    ("cosign_sign-parallel-huge", "cosign_sign",
     {"images": [IMG], "key": "{tmp}/k", "parallel": 10000, "cosign_path": "{cosign}"},
     ["parallel=10000 is out of range; accepted: 1 to 32"]),
    ("cosign_sign-image-short-digest", "cosign_sign",
     {"image": "127.0.0.1:15000/x@sha256:abc", "key": "{tmp}/k", "cosign_path": "{cosign}"},
     ["has a malformed digest (expected sha256:<64 lowercase hex>)"]),
    ("cosign_verify-key_match-choice", "cosign_verify",
     {"image": IMG, "public_keys": ["{tmp}/k"], "key_match": "some"},
     ["value of key_match must be one of: any, all, got: some"]),
    ("cosign_verify-no-key", "cosign_verify", {"image": IMG},
     ["one of the following is required: public_keys, certificate_identity"]),
    ("cosign_verify-expected_digest-md5", "cosign_verify",
     {"image": IMG, "public_keys": ["{tmp}/k"], "expected_digest": "md5:abc"},
     ["expected_digest='md5:abc' is not a digest; accepted: sha256:<64 lowercase hex>"]),
    ("cosign_verify-image-newline", "cosign_verify",
     {"image": "127.0.0.1:15000/x\n" + DIGEST, "public_keys": ["{tmp}/k"]},
     ["is not a reference (expected registry/repository"]),
    ("cosign_verify-signature_format-choice", "cosign_verify",
     {"image": IMG, "public_keys": ["{tmp}/k"], "signature_format": "x"},
     ["value of signature_format must be one of: auto, legacy, bundle"]),
    ("cosign_verify_attestation-image-spaces", "cosign_verify_attestation",
     {"image": "a b c", "public_keys": ["{tmp}/k"]},
     ["image reference 'a b c' is not a reference"]),
    ("cosign_attest-predicate-truncated-json", "cosign_attest",
     {"image": IMG, "key": "{tmp}/k", "predicate": "{tmp}/truncated.json"},
     ["predicate '", "truncated.json' is not a readable JSON file"]),
    ("cosign_attest-predicate-not-utf8", "cosign_attest",
     {"image": IMG, "key": "{tmp}/k", "predicate": "{tmp}/not-utf8.json"},
     ["not-utf8.json' is not a readable JSON file"]),
    ("falco_rules_lint-fail_on_warnings-type", "falco_rules_lint",
     {"paths": ["{tmp}/truncated.yaml"], "fail_on_warnings": "sometimes"},
     ["argument 'fail_on_warnings'", "Valid booleans include"]),
    ("falco_rules_lint-truncated-yaml", "falco_rules_lint", {"paths": ["{tmp}/truncated.yaml"]},
     ["truncated.yaml", "invalid YAML"]),
    ("falco_rules_lint-paths-empty", "falco_rules_lint", {"paths": []},
     ["paths is empty: give at least one rules file or directory"]),
    ("falco_rules_lint-not-utf8", "falco_rules_lint", {"paths": ["{tmp}/not-utf8.yaml"]},
     ["not-utf8.yaml", "not UTF-8 text", "a rules file must be UTF-8"]),
    ("falco_rules_lint-schema-missing", "falco_rules_lint",
     {"paths": ["{tmp}/truncated.yaml"], "schema": "{tmp}/missing.json"},
     ["schema=", "missing.json", "cannot read Falco's rules JSON schema: No such file"]),
    ("seccomp_profile_validate-no-source", "seccomp_profile_validate", {},
     ["one of the following is required: path, profile"]),
    ("seccomp_profile_validate-two-sources", "seccomp_profile_validate",
     {"path": "{tmp}/k", "profile": {}}, ["parameters are mutually exclusive: path|profile"]),
    ("seccomp_profile_validate-action-unknown", "seccomp_profile_validate",
     {"profile": {"defaultAction": "SCMP_ACT_MAYBE"}},
     ["defaultAction 'SCMP_ACT_MAYBE' is not a seccomp action", "accepted: SCMP_ACT_ALLOW"]),
    ("seccomp_profile_validate-truncated-json", "seccomp_profile_validate",
     {"profile": '{"defaultAction": "SCMP_'}, ["profile", "not valid JSON"]),
    ("trivy_gate-no-report", "trivy_gate", {}, ["one of the following is required: path, report"]),
    ("trivy_gate-report_format-choice", "trivy_gate", {"report": {}, "report_format": "snyk"},
     ["value of report_format must be one of: auto, trivy, grype, got: snyk"]),
    ("trivy_gate-report-not-utf8", "trivy_gate", {"path": "{tmp}/not-utf8.json"},
     ["cannot read the report", "is not UTF-8 text"]),
    ("trivy_gate-report-truncated-json", "trivy_gate", {"path": "{tmp}/truncated.json"},
     ["cannot read the report", "Unterminated string"]),
    ("trivy_gate-inline-report-truncated", "trivy_gate", {"report": '{"Results": ['},
     ["cannot read the report"]),
    ("trivy_gate-severity-unknown", "trivy_gate",
     {"report": EMPTY_TRIVY_REPORT, "severity": "APOCALYPTIC"},
     ["severity='APOCALYPTIC'; accepted: UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL"]),
    ("trivy_gate-budget-negative", "trivy_gate",
     {"report": EMPTY_TRIVY_REPORT, "budgets": {"CRITICAL": -1}},
     ["budgets: CRITICAL=-1 must be an integer >= 0"]),
    ("trivy_gate-budgets-type", "trivy_gate", {"report": EMPTY_TRIVY_REPORT, "budgets": "lots"},
     ["argument 'budgets' is of type str", "dict"]),
    ("trivy_gate-today-not-a-date", "trivy_gate",
     {"report": EMPTY_TRIVY_REPORT, "today": "yesterday"},
     ["'yesterday' is not a date; use YYYY-MM-DD"]),
    ("trivy_gate-ignore-without-statement", "trivy_gate",
     {"report": EMPTY_TRIVY_REPORT, "ignores": [{"id": "CVE-2024-0001"}]},
     ["ignores[0] (CVE-2024-0001): 'statement' is required"]),
    ("trivy_scan-kind-choice", "trivy_scan", {"target": "alpine:3", "kind": "vm"},
     ["value of kind must be one of: image, fs, rootfs, sbom, got: vm"]),
    ("trivy_scan-token-without-server", "trivy_scan",
     {"target": "alpine:3", "token": "reliab-token-without-server"},
     ["missing parameter(s) required by 'token': server"]),
    ("trivy_scan-server-scheme", "trivy_scan",
     {"target": "alpine:3", "server": "ftp://x", "trivy_path": "/bin/false"},
     ["server='ftp://x' must be a URL such as http://trivy.internal:4954"]),
    ("trivy_scan-cache_backend-unknown", "trivy_scan",
     {"target": "alpine:3", "cache_backend": "mongodb://x", "trivy_path": "/bin/false"},
     ["cache_backend='mongodb://x'; accepted: fs, memory, redis://"]),
    ("trivy_scan-target-shell", "trivy_scan", {"target": "alpine;id", "trivy_path": "/bin/false"},
     ["target: image reference 'alpine;id' is not a reference",
      "registry/repository[:tag][@sha256:<64 hex>]"]),
    ("trivy_scan-target-option-injection", "trivy_scan",
     {"target": "--server=http://evil.example", "trivy_path": "/bin/false"},
     ["target='--server=http://evil.example' is not accepted", "must not be empty or start "
      "with '-'"]),
    ("trivy_scan-fs-target-substitution", "trivy_scan",
     {"target": "/srv/app$(id)", "kind": "fs", "trivy_path": "/bin/false"},
     ["target='/srv/app$(id)' is not a safe fs path", "whitespace and shell characters"]),
    ("trivy_scan-timeout-not-duration", "trivy_scan",
     {"target": "alpine:3", "timeout": "forever", "trivy_path": "/bin/false"},
     ["timeout='forever' is not a Go duration; accepted: 5m0s, 300s"]),
    ("trivy_scan-scanners-unknown", "trivy_scan",
     {"target": "alpine:3", "scanners": ["vuln", "rce"], "trivy_path": "/bin/false"},
     ["value of scanners must be one or more of: vuln, misconfig, secret, license",
      "Got no match for: rce"]),
    ("trivy_scan-report_path-dotdot", "trivy_scan",
     {"target": "alpine:3", "report_path": "../../etc/passwd", "trivy_path": "/bin/false"},
     ["report_path='../../etc/passwd' has a '..' component"]),
    ("trivy_scan-sbom-secret-scanner", "trivy_scan",
     {"target": "/tmp/app.cdx.json", "kind": "sbom", "scanners": ["vuln", "secret"],
      "trivy_path": "/bin/false"},
     ["trivy sbom accepts only vuln, license (not secret)"]),
    ("trivy_scan-config_file-truncated", "trivy_scan",
     {"target": "alpine:3", "config_file": "{tmp}/truncated.yaml", "trivy_path": "/bin/false"},
     ["cannot read config_file"]),
    ("trivy_scan-config_file-ignore-pair", "trivy_scan",
     {"target": "alpine:3", "config_file": "{tmp}/ignore-pair.yaml", "trivy_path": "/bin/false"},
     ["ignore-unfixed true with ignore-status [affected]"]),
]


@pytest.fixture(scope="module")
def bad_files(tmp_path_factory, lab_tools):
    """The bad files the rows name: truncated JSON/YAML, a non-UTF-8 report, a key stand-in."""
    d = tmp_path_factory.mktemp("bad-files")
    (d / "k").write_text("not a key\n")
    (d / "truncated.json").write_text('{"SchemaVersion": 2, "Results": [{"Target": "a", "Vuln')
    (d / "not-utf8.json").write_bytes(b'{"Results": [{"Target": "\xff\xfe"}]}')
    (d / "truncated.yaml").write_text('- rule: x\n  condition: "evt.type = open\n')
    (d / "not-utf8.yaml").write_bytes(b"\xff\xfe- rule: x\n")
    (d / "ignore-pair.yaml").write_text("vulnerability:\n  ignore-unfixed: true\n"
                                        "  ignore-status: [affected]\n")
    return {"tmp": str(d), "cosign": lab_tools["cosign"]}


def _fill(value, names):
    """The row's options with {tmp} and {cosign} filled in."""
    if isinstance(value, str):
        return value.format(**names) if "{tmp}" in value or "{cosign}" in value else value
    if isinstance(value, list):
        return [_fill(v, names) for v in value]
    if isinstance(value, dict):
        return {k: _fill(v, names) for k, v in value.items()}
    return value


def run_module_watched(name, options, monkeypatch):
    """main() of a module in-process; (result, argv of every process it started).

    ansible.utils.display is imported at the top of this file: in a pytest process that has
    loaded the controller (ansible._internal), a module's first exit/fail_json pulls the
    controller's JSON serializers, which import display.py, whose ctypes.util.find_library
    runs `ldconfig -p`. That is the test harness running a module in a controller process
    (a module on a node has no controller), so it happens at import time here, not in a row."""
    module = importlib.import_module(f"ansible_collections.bulwark.container_security.plugins."
                                     f"modules.{name}")
    started = []
    real_init = subprocess.Popen.__init__

    def recording_init(self, args, *a, **kw):
        started.append([x.decode() if isinstance(x, bytes) else str(x) for x in args])
        real_init(self, args, *a, **kw)

    monkeypatch.setattr(subprocess.Popen, "__init__", recording_init)
    out = io.StringIO()
    with patch_module_args(options), contextlib.redirect_stdout(out), \
            pytest.raises(SystemExit) as exc:
        module.main()
    monkeypatch.undo()
    result = json.loads(out.getvalue())
    result["_rc"] = exc.value.code
    return result, started


@pytest.mark.parametrize(("row_id", "module", "options", "fragments"), MODULE_ROWS,
                         ids=[r[0] for r in MODULE_ROWS])
def test_bad_inputs_row_module(bad_files, monkeypatch, row_id, module, options, fragments):
    result, started = run_module_watched(module, _fill(options, bad_files), monkeypatch)
    probes = [argv for argv in started if argv[1:] == ["sign", "--help"]]
    assert started == probes, f"{module} started a process before refusing: {started}"
    assert result["_rc"] == 1 and result.get("failed") is True, result
    msg = result["msg"]
    for fragment in fragments:
        assert fragment in msg, f"{row_id}: {fragment!r} not in {msg!r}"


# ---------------------------------------------------------------------------- Pulumi stack config
# (row id, stack config mapping, fragments): settings.from_mapping, what the program reads once.
PULUMI_ROWS = [
    ("pulumi-unknown-key", {"bulwark:kyvernoNamespce": "kyverno"},
     ["bulwark:kyvernoNamespce is not a setting of this project; allowed: falcoChartRepository"]),
    ("pulumi-chart-version-latest", {"bulwark:kyvernoChartVersion": "latest"},
     ["bulwark:kyvernoChartVersion: 'latest' is not an exact chart version like 3.9.0"]),
    ("pulumi-namespace-uppercase", {"bulwark:kyvernoNamespace": "Kyverno_NS"},
     ["bulwark:kyvernoNamespace: 'Kyverno_NS' is not a Kubernetes namespace name"]),
    ("pulumi-namespace-shell", {"bulwark:falcoNamespace": "falco;rm -rf /"},
     ["bulwark:falcoNamespace: 'falco;rm -rf /' is not a Kubernetes namespace name",
      "at most 63 characters"]),
    ("pulumi-namespace-oversized", {"bulwark:kyvernoNamespace": "a" * 300},
     ["bulwark:kyvernoNamespace:", "at most 63 characters"]),
    ("pulumi-repository-http", {"bulwark:falcoChartRepository": "http://charts.example"},
     ["bulwark:falcoChartRepository: 'http://charts.example' must be an https:// or oci:// URL"]),
    ("pulumi-boolean-type", {"bulwark:falcoEnabled": "maybe"},
     ["bulwark:falcoEnabled: 'maybe' is not valid boolean JSON"]),
    ("pulumi-values-truncated-json", {"bulwark:kyvernoValues": '{"replicas": '},
     ["bulwark:kyvernoValues:", "is not valid object JSON"]),
    ("pulumi-rules-files-type", {"bulwark:falcoRulesFiles": "rules.yaml"},
     ["bulwark:falcoRulesFiles: 'rules.yaml' is not valid array JSON"]),
    ("pulumi-rules-file-dotdot-missing", {"bulwark:falcoRulesFiles": ["roles/../missing.yaml"]},
     ["bulwark:falcoRulesFiles[0]: 'roles/../missing.yaml' does not exist"]),
    ("pulumi-rules-file-escapes-repo", {"bulwark:falcoRulesFiles": ["../../../../../etc/passwd"]},
     ["bulwark:falcoRulesFiles[0]: '../../../../../etc/passwd' leaves the repository"]),
    ("pulumi-falco-library-type", {"bulwark:falcoLibrary": "falco_shell_binaries: [sh]"},
     ["bulwark:falcoLibrary: 'falco_shell_binaries: [sh]' is not valid object JSON"]),
    ("pulumi-falco-library-splitting-name", {"bulwark:falcoLibrary": {
        "falco_trusted_images": ["shop/api,proc.name"]}},
     ["bulwark:falcoLibrary: falco_trusted_images[0]: 'shop/api,proc.name' is not one "
      "Falco value"]),
    ("pulumi-shared-namespace", {"bulwark:falcoNamespace": "kyverno"},
     ["bulwark:falcoNamespace: 'kyverno' is also bulwark:kyvernoNamespace"]),
    ("pulumi-policy-action", {"bulwark:policy": {"pod_security": {"default_action": "Block"}}},
     ["pod_security.default_action: 'Block' is not valid; expected Audit, Warn or Deny"]),
    ("pulumi-policy-not-a-key", {"bulwark:policy": {"image_verification": {
        "public_keys": ["not a key"], "image_globs": ["*"]}}},
     ["image_verification.public_keys[0]", "expected one PEM public key per item"]),
    ("pulumi-policy-namespace-dotdot", {"bulwark:policy": {"namespaces": [{"name": "../x"}]}},
     ["namespaces[0].name: '../x' is not valid; expected a DNS-1123 label"]),
    ("pulumi-policy-capabilities-type", {"bulwark:policy": {
        "pod_security": {"allowed_capabilities": "ALL"}}},
     ["pod_security.allowed_capabilities: 'ALL' is not valid"]),
]


@pytest.mark.parametrize(("row_id", "mapping", "fragments"), PULUMI_ROWS,
                         ids=[r[0] for r in PULUMI_ROWS])
def test_bad_inputs_row_pulumi(row_id, mapping, fragments):
    from bulwark_platform import settings  # pulumi/ (put on sys.path by tests/conftest.py)

    with pytest.raises((settings.StackConfigError, kyverno_settings.SettingsError)) as err:
        platform = settings.from_mapping(mapping)
        kyverno_settings.Settings.from_dict(platform.policy)  # what the program builds from
    msg = str(err.value)
    for fragment in fragments:
        assert fragment in msg, f"{row_id}: {fragment!r} not in {msg!r}"


# ---------------------------------------------------------------------------- CLIs
# (row id, argv after the interpreter, fragments of stderr/stdout). No node, no lab service.
CLI_ROWS = [
    ("falco_rules_lint-cli-truncated-yaml", ["bin/falco_rules_lint.py", "{tmp}/truncated.yaml"],
     ["truncated.yaml", "invalid YAML"]),
    ("falco_rules_lint-cli-no-files", ["bin/falco_rules_lint.py"],
     ["the following arguments are required: files"]),
    ("falco_rules_lint-cli-unknown-option", ["bin/falco_rules_lint.py", "--bogus", "x"],
     ["unrecognized arguments: --bogus"]),
    ("falco_rules_lint-cli-not-utf8", ["bin/falco_rules_lint.py", "{tmp}/not-utf8.yaml"],
     ["not-utf8.yaml", "not UTF-8 text"]),
    ("falco_rules_lint-cli-schema-missing",
     ["bin/falco_rules_lint.py", "--schema", "{tmp}/../missing.json", "{tmp}/truncated.yaml"],
     ["falco rules lint: schema=", "missing.json", "No such file or directory"]),
    ("render-cli-unknown-stack-key", ["pulumi/render.py", "--stack", "{tmp}/Pulumi.bad.yaml",
                                      "--out", "{tmp}/rendered"],
     ["bulwark:falcoEnabeld is not a setting of this project; allowed:"]),
    ("render-cli-no-out", ["pulumi/render.py"], ["the following arguments are required: --out"]),
    ("lab-cli-mirror-action", ["lab/lab.py", "mirror", "explode"],
     ["invalid choice: 'explode' (choose from 'start', 'stop', 'build')"]),
    ("lab-cli-fleet-action", ["lab/lab.py", "fleet", "rm -rf"],
     ["invalid choice: 'rm -rf' (choose from 'up', 'down', 'status', 'start', 'stop')"]),
    ("lab-cli-trivy-db-action", ["lab/lab.py", "trivy-db", "drop"],
     ["invalid choice: 'drop' (choose from 'build', 'push', 'demo-images')"]),
    ("lab-cli-images-unknown-dist", ["lab/lab.py", "images", "sid"],
     ["unknown dist(s) 'sid'; accepted: bookworm, trixie"]),
    ("role_readme-cli-unknown-option", ["tools/role_readme.py", "--write-everything"],
     ["unrecognized arguments: --write-everything"]),
]


@pytest.mark.parametrize(("row_id", "argv", "fragments"), CLI_ROWS, ids=[r[0] for r in CLI_ROWS])
def test_bad_inputs_row_cli(bad_files, row_id, argv, fragments):
    tmp = bad_files["tmp"]
    Path(tmp, "Pulumi.bad.yaml").write_text(
        "config:\n  bulwark:falcoEnabeld: true\n")
    res = subprocess.run([sys.executable, *[a.format(tmp=tmp) for a in argv]], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=False)
    out = res.stdout + res.stderr
    assert res.returncode != 0, out
    assert "Traceback" not in out, out[-2000:]
    for fragment in fragments:
        assert fragment in out, f"{row_id}: {fragment!r} not in {out[-1500:]!r}"
    assert not Path(tmp, "rendered").exists()
