# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Regression rows, exact checks (issue 22, "Fail closed"): names, durations, versions and
URLs that passed a validating pattern because "$" (Python's and Jinja's `match`) accepts a
trailing newline, "\\d" any Unicode digit, or a prefix test anything after the prefix. Each row
was accepted before (but the two marked "guard", exact already) and is refused now with a
message naming what and where."""
from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys

import pytest
import yaml
from ansible.errors import AnsibleFilterError
from ansible.parsing.dataloader import DataLoader
from ansible.template import Templar, trust_as_template
from ansible_collections.bulwark.container_security.plugins.filter.seccomp_profiles import (
    seccomp_profile_destination,
    seccomp_profile_directory,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    policy_json as containers_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    field_lookup as falco_fields,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    grammar as falco_grammar,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    library as falco_library,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.engine import (
    required_engine_version_problem,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.notation import (
    trust_policy as notation_policy,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
    ArtifactError,
    plan,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan import sarif
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    references,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.params import (
    check_image_options,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.config import (
    validate_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.scan import (
    check_scan_options,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    check_budgets,
)

from .support import ROOT

SECRET = "S3cr3tPassw0rd"
DIR = "/var/lib/kubelet/seccomp"
RESCAN = ROOT / "roles/trivy/files/trivy-rescan.py"


def statement(**over):
    return {"name": "prod", "registry_scopes": ["reg.example/app"], "trust_stores": ["ca:prod"],
            "trusted_identities": ["x509.subject: CN=signer"], **over}


CONTAINERS_POLICY = [
    ("key-name-trailing-newline", lambda: containers_policy.check_name("release\n"),
     "name 'release\\n' is not a valid name"),
    ("scope-trailing-newline", lambda: containers_policy.check_scope("registry.example/app\n"),
     "scope 'registry.example/app\\n' is not a registry or repository scope"),
]


@pytest.mark.parametrize(("call", "message"), [r[1:] for r in CONTAINERS_POLICY],
                         ids=[r[0] for r in CONTAINERS_POLICY])
def test_fail_open_row_containers_policy(call, message):
    with pytest.raises(containers_policy.PolicyError) as info:
        call()
    assert message in str(info.value)


def test_fail_open_row_containers_policy_kms_reference():
    assert "is not a KMS key reference" in containers_policy.kms_ref_error("awskms://alias/x\n")
    assert containers_policy.kms_ref_error("awskms://alias/x") == ""


NOTATION = [
    ("statement-name-trailing-newline", [statement(name="prod\n")], "needs a name of letters"),
    ("statement-name-not-a-string", [statement(name=5)], "needs a name of letters"),
    ("store-name-trailing-newline", [statement(trust_stores=["ca:prod\n"])],
     "trust store 'ca:prod\\n'; expected <type>:<name>"),
    ("scope-not-a-string", [statement(registry_scopes=[5])],
     "registry_scopes [5]; expected a list of strings"),
    ("scope-with-newline", [statement(registry_scopes=["reg.example/app\n"])],
     "registry_scopes ['reg.example/app\\n']; expected a list of strings without line breaks"),
    ("identity-with-newline", [statement(trusted_identities=["x509.subject: CN=a\nO=b"])],
     "trusted_identities ['x509.subject: CN=a\\nO=b']; expected a list of strings"),
]


@pytest.mark.parametrize(("statements", "message"), [r[1:] for r in NOTATION],
                         ids=[r[0] for r in NOTATION])
def test_fail_open_row_notation_trust_policy(statements, message):
    with pytest.raises(notation_policy.TrustPolicyError) as info:
        notation_policy.trust_policy(statements)
    assert message in str(info.value)
    assert "\n" not in str(info.value)


def test_fail_open_row_trivy_duration():
    schema = json.loads((ROOT / "roles/trivy/files/trivy-config.schema.json").read_text())
    assert validate_config({"timeout": "5m"}, schema) == []
    errors = validate_config({"timeout": "5m\n"}, schema)
    assert errors == ["trivy.yaml timeout: '5m\\n' is not a non-negative Go duration like 5m, "
                      "90s or 1h30m"]


RELEASE = [
    ("version-unicode-digits", "\uff11.\uff12.\uff13", "is not an exact version like 1.2.3"),
    ("version-arabic-indic-digits", "\u0661.\u0662.\u0663", "is not an exact version"),
    ("version-double-v", "vv0.69.3", "trivy_version 'v0.69.3' is not an exact version"),
    ("version-trailing-newline", "0.69.3\n", "is not an exact version"),  # exact already: guard
]


@pytest.mark.parametrize(("version", "message"), [r[1:] for r in RELEASE],
                         ids=[r[0] for r in RELEASE])
def test_fail_open_row_release_artifact_version(version, message):
    with pytest.raises(ArtifactError) as info:
        plan("trivy", version, "x86_64", sha256="a" * 64)
    assert message in str(info.value)


@pytest.mark.parametrize("output", ["Version: 0.69.30", "Version: 10.69.3",
                                    "Version: 0.69.3.1", "Version: 0.69"],
                         ids=["longer-patch", "longer-major", "fourth-part", "shorter"])
def test_fail_open_row_release_artifact_installed_version(output):
    """The role's "is the right version installed" test: a search for the escaped version
    found 0.69.3 in 0.69.30, so a wrong binary counted as installed and stayed."""
    pattern = plan("trivy", "0.69.3", "x86_64", sha256="a" * 64)["version_pattern"]
    assert re.search(pattern, "Version: 0.69.3\nVulnerability DB:")
    assert re.search(pattern, "GitVersion:    v0.69.3")
    assert re.search(pattern, "Falco version: 0.69.3 (x86_64)")
    assert not re.search(pattern, output)
    tasks = yaml.safe_load((ROOT / "roles/release_artifact/tasks/main.yml").read_text())
    (paths,) = [t for t in tasks if t.get("name") == "Set the install paths"]
    (install,) = [t for t in tasks if t.get("name") == "Install the artifact"]
    variables = {"release_artifact_version_pattern": "",
                 "release_artifact_plan": {"version_pattern": pattern},
                 "release_artifact_present": {"stat": {"exists": True}}}
    expected = Templar(loader=DataLoader(), variables=variables).template(
        trust_as_template(paths["ansible.builtin.set_fact"]["release_artifact_expected"]))
    for shown, reinstall in ((output, True), ("Version: 0.69.3", False)):
        assert holds(install["when"], **variables, release_artifact_expected=expected,
                     release_artifact_present_version={"rc": 0, "stdout": shown,
                                                       "stderr": ""}) is reinstall


STACK = [
    ("chart-version-trailing-newline", {"bulwark:kyvernoChartVersion": "3.3.4\n"},
     "bulwark:kyvernoChartVersion: '3.3.4\\n' is not an exact chart version"),
    ("chart-version-unicode-digits", {"bulwark:kyvernoChartVersion": "\u0663.3.4"},
     "is not an exact chart version"),
    ("namespace-trailing-newline", {"bulwark:kyvernoNamespace": "kyverno\n"},  # guard
     "bulwark:kyvernoNamespace: 'kyverno\\n' is not a Kubernetes namespace name"),
    ("repository-trailing-newline", {"bulwark:kyvernoChartRepository": "https://kyverno.io\n"},
     "bulwark:kyvernoChartRepository holds whitespace or a control character"),
    ("repository-without-host", {"bulwark:kyvernoChartRepository": "oci://"},
     "bulwark:kyvernoChartRepository: 'oci://' must be an https:// or oci:// URL with a host"),
    ("repository-with-credentials",
     {"bulwark:kyvernoChartRepository": f"https://ci:{SECRET}@charts.example"},
     "bulwark:kyvernoChartRepository carries credentials in the URL"),
]


@pytest.mark.parametrize(("raw", "message"), [r[1:] for r in STACK], ids=[r[0] for r in STACK])
def test_fail_open_row_pulumi_stack_config(raw, message):
    from bulwark_platform import settings as stack  # pulumi/ (put on sys.path by tests/conftest.py)
    with pytest.raises(stack.StackConfigError) as info:
        stack.from_mapping(raw)
    assert message in str(info.value)
    assert SECRET not in str(info.value)


@pytest.mark.parametrize("target", ["/srv/app\x00", "/srv/\x1bapp", "/srv/app\x7f",
                                    "/srv/app\x9b"],
                         ids=["nul", "escape", "delete", "c1-csi"])
def test_fail_open_row_trivy_scan_target_path(target):
    """A NUL reached subprocess as a traceback; ESC, DEL and C1 characters reached trivy."""
    with pytest.raises(ValueError) as info:
        check_scan_options({"target": target, "kind": "fs"})
    assert "is not a safe fs path" in str(info.value) and "control characters" in str(info.value)


@pytest.mark.parametrize("raw", ["\u0663", "0.\u0663\u0661.0"],
                         ids=["integer-arabic-indic-digit", "semver-arabic-indic-digits"])
def test_fail_open_row_falco_required_engine_version(raw):
    """The linter read Unicode digits as an engine version Falco's own parser refuses."""
    assert "unable to parse engine version" in required_engine_version_problem(raw)
    assert required_engine_version_problem("0.31.0") is None


UNICODE_DIGITS = [
    ("falco-allowlist-port", lambda: falco_library.allowlist_errors(
        {"registry.example/app": ["\u0668\u0660"]}, "falco_listen_allowed_by_image", "port"),
     "'\u0668\u0660' is not a port number 1-65535"),
    ("falco-evt-arg-position", lambda: falco_fields.lookup_field("evt.arg", "\u0661")[2],
     "the argument in brackets must be a number"),
    ("falco-proc-aname-depth", lambda: falco_fields.lookup_field("proc.aname", "\u0661")[2],
     "takes a numeric argument"),
    ("falco-port-value", lambda: falco_grammar._value_problem("PORT", "=", "\u0668\u0660"),
     "unrecognized protocol"),
]


@pytest.mark.parametrize(("call", "message"), [r[1:] for r in UNICODE_DIGITS],
                         ids=[r[0] for r in UNICODE_DIGITS])
def test_fail_open_row_falco_numbers_are_ascii(call, message):
    """str.isdigit() took Arabic-Indic digits as a port or argument Falco's parser refuses."""
    assert message in str(call())


@pytest.mark.parametrize("budget", ["5_0", "\u0665", "0x5", 2.0],
                         ids=["underscore", "arabic-indic-digit", "hex-guard", "float-guard"])
def test_fail_open_row_trivy_budget_is_a_plain_count(budget):
    """int() read "5_0" as a budget of 50 and "\u0665" as 5."""
    with pytest.raises(ValueError, match="must be an integer >= 0"):
        check_budgets({"HIGH": budget})
    assert check_budgets({"HIGH": " 5 "}) == check_budgets({"HIGH": 5}) == {"HIGH": 5}


@pytest.mark.parametrize("url", ["https://avd.example/CVE-1\njavascript:x",
                                 f"https://ci:{SECRET}@avd.example/CVE-1", "https://", "ftp://x/y"],
                         ids=["newline", "credentials", "no-host", "not-web"])
def test_fail_open_row_sarif_help_uri(url):
    """A report's advisory URL became the SARIF helpUri after a prefix test only."""
    assert sarif._help_uri(url) is None
    assert sarif._help_uri("https://avd.aquasec.com/nvd/cve-2019-1549")


def test_fail_open_row_one_service_url_check():
    """fulcio_url/rekor_url go through http_urls.url_error only (the duplicate is gone)."""
    assert not hasattr(references, "check_service_url")
    with pytest.raises(CosignError, match="rekor_url holds whitespace or a control character"):
        check_image_options({"rekor_url": "https://rekor.example\n"})


def _rescan_module():
    spec = importlib.util.spec_from_file_location("trivy_rescan", RESCAN)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_fail_open_row_rescan_prunes_only_run_directories(tmp_path):
    """A look-alike ("<run>\\n", Unicode digits) beside the runs is never removed."""
    runs = ["20261201T000000Z", "20261202T000000Z"]
    look_alikes = ["20261130T000000Z\n", "\u0662" + "0261130T000000Z"]
    for name in runs + look_alikes:
        (tmp_path / name).mkdir()
    _rescan_module().prune(str(tmp_path), 1)
    assert sorted(os.listdir(tmp_path)) == sorted(["20261202T000000Z", *look_alikes])


@pytest.mark.parametrize("history", ["-3", "\u0661\u0664", "14 runs"],
                         ids=["negative", "arabic-indic-digits", "words"])
def test_fail_open_row_rescan_history(history, tmp_path):
    env = dict(os.environ, TRIVY_RESCAN_HISTORY=history, TRIVY_RESCAN_REPORTS=str(tmp_path))
    done = subprocess.run([sys.executable, str(RESCAN)], env=env, capture_output=True,
                          text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "TRIVY_RESCAN_HISTORY" in done.stderr and "must be a number of runs" in done.stderr
    assert os.listdir(tmp_path) == []          # refused before any run directory


def condition(task_file, task_name, index=None):
    """The `that` condition(s) of one assert task of a role, as written."""
    tasks = yaml.safe_load((ROOT / task_file).read_text())
    (task,) = [t for t in tasks if t.get("name") == task_name]
    that = task["ansible.builtin.assert"]["that"]
    return that[index] if index is not None else that


def holds(expression, **variables):
    templar = Templar(loader=DataLoader(), variables=variables)
    return templar.evaluate_conditional(trust_as_template(expression))


ROLE_CHECKS = [
    ("cosign-key-name", ("roles/cosign/tasks/validate.yml", "Check the trusted key entries", 1),
     "item", {"name": "release"}, {"name": "release\n"}),
    ("notation-certificate-name",
     ("roles/notation/tasks/validate.yml", "Check the trusted certificate entries", 1),
     "item", {"name": "prod"}, {"name": "prod\n"}),
    ("notation-store-name",
     ("roles/notation/tasks/validate.yml", "Check the trusted certificate entries", 2),
     "item", {"name": "prod", "store": "prod"}, {"name": "prod", "store": "prod\n"}),
    ("falco-extra-rules-name",
     ("roles/falco/tasks/rules.yml", "Check the extra rule files' names", 0),
     "item", {"name": "local"}, {"name": "local\n"}),
    ("falco-tarball-sha256",
     ("roles/falco/tasks/install_tarball.yml", "Refuse a tarball install without a pinned checksum",
      None), "falco_tarball_sha256", "a" * 64, "a" * 64 + "\n"),
    ("trivy-server-listen",
     ("roles/trivy/tasks/validate.yml", "Check the install method and the server settings", 1),
     "trivy_server_listen", "0.0.0.0:4954", "0.0.0.0:4954\n"),
]


@pytest.mark.parametrize(("where", "variable", "good", "bad"), [r[1:] for r in ROLE_CHECKS],
                         ids=[r[0] for r in ROLE_CHECKS])
def test_fail_open_row_role_assert_matches_whole_value(where, variable, good, bad):
    """The role's assert, evaluated by Ansible's own templar: the value passes, the value with
    a trailing newline does not (Jinja's `match` is re.match: "$" let it through)."""
    expression = condition(*where)
    base = {"trivy_server_enabled": True}
    assert holds(expression, **base, **{variable: good})
    assert not holds(expression, **base, **{variable: bad})


@pytest.mark.parametrize(("call", "message"), [
    (lambda: seccomp_profile_destination("x\n", DIR, "bulwark"), "name 'x\\n' is not a profile"),
    (lambda: seccomp_profile_destination("../x", DIR, "bulwark"), "is not a profile name"),
    (lambda: seccomp_profile_destination("x", DIR, "../.."), "must be a relative path inside"),
    (lambda: seccomp_profile_directory(DIR, "bulwark\n"), "seccomp_profiles_subdir 'bulwark\\n'"),
    (lambda: seccomp_profile_directory("relative", "bulwark"), "must be an absolute path"),
], ids=["name-trailing-newline", "name-dotdot", "subdir-dotdot", "directory-subdir-newline",
        "directory-relative"])
def test_fail_open_row_seccomp_role_paths(call, message):
    """The role's paths come from the containment filters, which refuse (a template error
    that fails the task before it writes)."""
    with pytest.raises(AnsibleFilterError) as info:
        call()
    assert message in str(info.value) and "nothing was written" in str(info.value)


def test_fail_open_row_seccomp_role_joins_no_paths_in_jinja():
    """Every path option of distribute.yml (path, src, dest, paths, the removal list) is built
    by a containment filter, never by joining strings."""
    tasks = yaml.safe_load((ROOT / "roles/seccomp_profiles/tasks/distribute.yml").read_text())
    flat = [t for t in tasks if "block" not in t] + [b for t in tasks for b in t.get("block", [])]
    path_values = []
    for task in flat:
        for module, args in task.items():
            if isinstance(args, dict) and module.startswith("ansible.builtin."):
                path_values += [args[k] for k in ("path", "src", "dest", "paths") if k in args]
        if "ansible.builtin.file" in task and task["ansible.builtin.file"].get("state") == "absent":
            path_values.append(task["loop"])
    joined = [v for v in path_values if isinstance(v, str) and "}}/" in v or "~ '/'" in str(v)]
    assert not joined, joined
    assert sum("seccomp_profile_destination" in str(v) for v in path_values) == 3
    assert sum("seccomp_profile_directory" in str(v) for v in
               path_values + [tasks[0]["loop"]]) == 2
