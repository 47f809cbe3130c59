# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The CI jobs in docs/ci/ are ready to copy: the GitHub workflow validates against
SchemaStore's workflow schema, the GitLab file uses only documented keywords, and both sign
the image by digest only after the gate passed."""
from __future__ import annotations

import json
import re

import jsonschema
import pytest
import yaml

# GitLab CI keywords as documented at https://docs.gitlab.com/ci/yaml/ (late 2026); global
# keywords deprecated at top level (image, services, cache, before_script...) are left out
# on purpose so the file keeps them inside jobs or `default:`.
GITLAB_GLOBAL = {"default", "include", "stages", "variables", "workflow"}
GITLAB_JOB = {
    "after_script", "allow_failure", "artifacts", "before_script", "cache", "coverage",
    "dast_configuration", "dependencies", "environment", "extends", "hooks", "identity",
    "id_tokens", "image", "inherit", "interruptible", "manual_confirmation", "needs", "pages",
    "parallel", "release", "resource_group", "retry", "rules", "run", "script", "secrets",
    "services", "stage", "tags", "timeout", "trigger", "variables", "when",
}
GITLAB_SUB = {
    "image": {"name", "entrypoint", "docker", "pull_policy", "kubernetes"},
    "artifacts": {"paths", "exclude", "expire_in", "expose_as", "name", "public", "access",
                  "reports", "untracked", "when"},
    "artifacts.reports": {"accessibility", "annotations", "api_fuzzing", "browser_performance",
                          "coverage_report", "codequality", "container_scanning",
                          "coverage_fuzzing", "cyclonedx", "dast", "dependency_scanning",
                          "dotenv", "junit", "load_performance", "metrics", "requirements",
                          "repository_xray", "sast", "secret_detection", "terraform"},
    "needs": {"job", "artifacts", "optional", "pipeline", "project", "ref", "parallel"},
    "rules": {"if", "changes", "exists", "when", "allow_failure", "needs", "variables",
              "interruptible"},
    "id_tokens.*": {"aud"},
}
GITLAB_WHEN = {"on_success", "on_failure", "never", "always", "manual", "delayed"}


class Yaml12Loader(yaml.SafeLoader):
    """YAML as GitHub and GitLab read it: only true/false are booleans (`on:` is a key)."""


Yaml12Loader.yaml_implicit_resolvers = {
    first: [(tag, rx) for tag, rx in resolvers if tag != "tag:yaml.org,2002:bool"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
Yaml12Loader.add_implicit_resolver("tag:yaml.org,2002:bool", re.compile(r"^(?:true|false)$"),
                                   list("tf"))


def load_yaml(path):
    return yaml.load(path.read_text(), Loader=Yaml12Loader)  # noqa: S506 (a SafeLoader)


@pytest.fixture(scope="module")
def docs(repo_root):
    return repo_root / "docs" / "ci"


def test_github_workflow_validates_against_schemastore(shared_fixtures, docs):
    schema = json.loads((shared_fixtures / "ci" / "github-workflow.schema.json").read_text())
    workflow = load_yaml(docs / "github-actions.yml")
    validator = jsonschema.Draft7Validator(schema)
    assert [e.message for e in validator.iter_errors(workflow)] == []
    # The schema can say no: a step with both `uses` and `run` is rejected.
    broken = json.loads(json.dumps(workflow))
    broken["jobs"]["build-scan-gate-sign"]["steps"][0]["run"] = "true"
    assert list(validator.iter_errors(broken))


def test_github_workflow_signs_by_digest_only_after_the_gate(docs):
    workflow = load_yaml(docs / "github-actions.yml")
    steps = workflow["jobs"]["build-scan-gate-sign"]["steps"]
    names = [s["name"] for s in steps]
    gate = next(i for i, s in enumerate(steps) if s.get("id") == "gate")
    sign = next(i for i, s in enumerate(steps) if "cosign sign" in s.get("run", ""))
    assert gate < sign
    assert "steps.gate.outcome == 'success'" in steps[sign]["if"]
    assert '"${IMAGE}@${DIGEST}"' in steps[sign]["run"]
    assert "${IMAGE}:" not in steps[sign]["run"]  # never by tag
    upload = next(s for s in steps if s.get("uses", "").startswith(
        "github/codeql-action/upload-sarif"))
    assert upload["if"].startswith("always()") and upload["with"]["sarif_file"].endswith(".sarif")
    assert "scan_sarif_path" in steps[gate]["run"] and "scan_junit_path" in steps[gate]["run"]
    assert workflow["jobs"]["build-scan-gate-sign"]["permissions"]["security-events"] == "write"
    assert len(names) == len(set(names))


def unknown_gitlab_keys(pipeline):
    bad = sorted(set(k for k in pipeline if k not in GITLAB_GLOBAL and not isinstance(
        pipeline[k], dict)))
    for name, job in pipeline.items():
        if name in GITLAB_GLOBAL:
            continue
        bad += [f"{name}.{k}" for k in job if k not in GITLAB_JOB]
        for key in ("image", "artifacts"):
            if isinstance(job.get(key), dict):
                bad += [f"{name}.{key}.{k}" for k in job[key] if k not in GITLAB_SUB[key]]
        reports = (job.get("artifacts") or {}).get("reports") or {}
        bad += [f"{name}.artifacts.reports.{k}" for k in reports
                if k not in GITLAB_SUB["artifacts.reports"]]
        for key in ("needs", "rules"):
            for item in job.get(key) or ():
                if isinstance(item, dict):
                    bad += [f"{name}.{key}.{k}" for k in item if k not in GITLAB_SUB[key]]
        for token in (job.get("id_tokens") or {}).values():
            bad += [f"{name}.id_tokens.{k}" for k in token if k not in GITLAB_SUB["id_tokens.*"]]
        whens = [job.get("when"), (job.get("artifacts") or {}).get("when")]
        whens += [r.get("when") for r in job.get("rules") or ()]
        bad += [f"{name}.when={w}" for w in whens if w and w not in GITLAB_WHEN | {"always"}]
    return bad


def test_gitlab_file_uses_only_documented_keywords(docs):
    pipeline = load_yaml(docs / "gitlab-ci.yml")
    assert unknown_gitlab_keys(pipeline) == []
    jobs = {k: v for k, v in pipeline.items() if k not in GITLAB_GLOBAL}
    assert set(jobs) == {"build", "scan", "gate", "sign"}
    for name, job in jobs.items():
        assert job["stage"] in pipeline["stages"], name
        assert isinstance(job["script"], list) and job["script"], name
        for need in job.get("needs") or ():
            assert need["job"] in jobs, (name, need)
    # The check can fail: an invented keyword is reported.
    assert unknown_gitlab_keys({"stages": ["a"], "j": {"stage": "a", "scirpt": ["x"]}}) == [
        "j.scirpt"]


def test_gitlab_signs_by_digest_only_after_the_gate(docs):
    pipeline = load_yaml(docs / "gitlab-ci.yml")
    sign, gate = pipeline["sign"], pipeline["gate"]
    assert {n["job"] for n in sign["needs"]} >= {"gate"}
    assert all(r.get("when", "on_success") == "on_success" for r in sign["rules"])
    assert "allow_failure" not in gate and gate["artifacts"]["reports"]["junit"].endswith(".xml")
    script = "\n".join(sign["script"])
    assert re.search(r'cosign sign --yes "\$IMAGE@\$IMAGE_DIGEST"', script)
    assert "-p " not in script and "--password-stdin" in script  # no secret in argv
    assert "scan_sarif_path" in " ".join(gate["script"])


# Commits established with the lab's `fetch` of each repository (the tag dereferenced to its
# commit; snapshots of 2026-02 to 2026-07). A bump changes this table and the workflow together.
ACTION_PINS = {
    "actions/checkout": ("3d3c42e5aac5ba805825da76410c181273ba90b1", "v7.0.1"),
    "docker/login-action": ("4907a6ddec9925e35a0a9e82d7399ccc52663121", "v4.1.0"),
    "docker/build-push-action": ("53b7df96c91f9c12dcc8a07bcb9ccacbed38856a", "v7.3.0"),
    "sigstore/cosign-installer": ("6f9f17788090df1f26f669e9d70d6ae9567deba6", "v4.1.2"),
    "actions/cache": ("27d5ce7f107fe9357f9df03efb73ab90386fccae", "v5.0.5"),
    "github/codeql-action/upload-sarif": ("8aad20d150bbac5944a9f9d289da16a4b0d87c1e", "v4.36.2"),
    "actions/upload-artifact": ("bbbca2ddaa5d8feaa63e36b76fdaad77386f024f", "v7.0.0"),
}


def test_github_actions_are_pinned_by_commit(docs):
    text = (docs / "github-actions.yml").read_text()
    uses = re.findall(r"uses: (\S+)@(\S+)(?: # (\S+))?", text)
    assert {name: (ref, tag) for name, ref, tag in uses} == ACTION_PINS
    assert len(uses) == len(ACTION_PINS)


def role_defaults(repo_root, role):
    return yaml.safe_load((repo_root / "roles" / role / "defaults" / "main.yml").read_text())


def test_ci_files_use_the_collections_trivy_and_cosign_pins(docs, repo_root):
    from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (  # noqa: E501
        CATALOG,
    )
    trivy, cosign = role_defaults(repo_root, "trivy"), role_defaults(repo_root, "cosign")
    version = trivy["trivy_version"]
    sha256 = trivy["trivy_release_checksums"][version]["x86_64"]
    assert CATALOG["trivy"]["sha256"][version]["x86_64"] == sha256
    identity = trivy["trivy_signature_identity"].replace("{{ trivy_version }}",
                                                         "${TRIVY_VERSION}")
    github = load_yaml(docs / "github-actions.yml")
    gitlab = load_yaml(docs / "gitlab-ci.yml")
    for variables in (github["env"], gitlab["variables"]):
        assert variables["TRIVY_VERSION"] == version and variables["TRIVY_SHA256"] == sha256
        assert variables["COSIGN_VERSION"] == f"v{cosign['cosign_version']}"
    assert gitlab["variables"]["COSIGN_SHA256"] == \
        CATALOG["cosign"]["sha256"][cosign["cosign_version"]]["x86_64"]
    steps = github["jobs"]["build-scan-gate-sign"]["steps"]
    scripts = {"github": "\n".join(s.get("run", "") for s in steps),
               "gitlab": "\n".join("\n".join(job.get("before_script", []) + job["script"])
                                   for name, job in gitlab.items() if name not in GITLAB_GLOBAL)}
    for name, script in scripts.items():
        verify = script[script.index("cosign verify-blob"):]
        assert f'--certificate-identity "{identity}"' in verify, name
        assert f"--certificate-oidc-issuer {trivy['trivy_signature_issuer']}" in verify, name
        assert 'sha256sum -c -' in script and "${TRIVY_SHA256}" in script, name
        # the collection from its repository at a commit, never Galaxy (and no Galaxy deps)
        assert 'ansible-galaxy collection install --no-deps "git+${BULWARK_GIT},${BULWARK_REF}"' \
            in script, name
        assert "bulwark.container_security:" not in script, name
    assert "bitnami/" not in (docs / "gitlab-ci.yml").read_text()


def test_trivy_db_is_cached_between_runs(docs):
    github = load_yaml(docs / "github-actions.yml")
    [cache] = [s for s in github["jobs"]["build-scan-gate-sign"]["steps"]
               if s.get("uses", "").startswith("actions/cache@")]
    assert github["env"]["TRIVY_CACHE_DIR"] == "${{ github.workspace }}/" + cache["with"]["path"]
    scan = load_yaml(docs / "gitlab-ci.yml")["scan"]
    assert scan["cache"]["paths"] == [scan["variables"]["TRIVY_CACHE_DIR"]]
