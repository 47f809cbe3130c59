# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The CrossGuard pack run by pulumi-policy 1.21 in its own fresh virtualenv (made from
pulumi/policy/requirements.txt alone), and spoken to over its gRPC Analyzer service the way the
Pulumi CLI does (GetAnalyzerInfo, Configure, Analyze; the CLI itself is not installed here, so
this test is the client, with the SDK's own analyzer protocol stubs).

What is checked is what the CLI would receive: every policy with its config schema, the pack's
initial config, and, after a Configure with the policy pack config render.py writes, each
violation at the enforcement level the settings asked for.
"""
from __future__ import annotations

import json
import select
import subprocess

import grpc
import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    crossguard,
)
from google.protobuf import empty_pb2, json_format, struct_pb2
from pulumi.runtime.proto import analyzer_pb2, analyzer_pb2_grpc
from pulumi_harness import PULUMI_DIR
from pulumi_venvs import clean_env, venv

PACK = PULUMI_DIR / "policy"
LEVELS = {analyzer_pb2.ADVISORY: "advisory", analyzer_pb2.MANDATORY: "mandatory",
          analyzer_pb2.DISABLED: "disabled"}
SETTINGS = {"pod_security": {"default_action": "Audit",
                             "actions": {"disallow_host_path": "Deny"},
                             "disabled_controls": ["restrict_sysctls"],
                             "allowed_capabilities": ["NET_BIND_SERVICE", "CHOWN"]},
            "excluded_namespaces": ["legacy"],
            "image_rules": {"allowed_registries": {"action": "Deny",
                                                   "registries": ["registry.example.com"]}}}


@pytest.fixture(scope="module")
def analyzer(tmp_path_factory):
    """The pack's process (``python .`` in pulumi/policy, as a directory runs) and a stub."""
    python = venv(tmp_path_factory.mktemp("pack") / "venv", PACK / "requirements.txt",
                  "pulumi-policy")
    env = {**clean_env(), "PYTHONDONTWRITEBYTECODE": "1"}
    process = subprocess.Popen([python, "-u", "."], cwd=PACK, stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, env=env)
    try:
        ready = select.select([process.stdout], [], [], 120)[0]
        line = process.stdout.readline().decode() if ready else ""
        if not line.strip().isdigit():
            process.kill()
            stderr = process.stderr.read().decode()[-3000:]
            pytest.fail(f"the pack did not start: {line!r} {stderr}")
        channel = grpc.insecure_channel(f"127.0.0.1:{int(line)}")
        yield analyzer_pb2_grpc.AnalyzerStub(channel)
        channel.close()
    finally:
        process.kill()
        process.wait(timeout=30)


def _struct(value: dict) -> struct_pb2.Struct:
    return json_format.ParseDict(value, struct_pb2.Struct())


def _analyze(analyzer, kind: str, token: str, manifest: dict) -> dict[str, tuple[str, str]]:
    request = analyzer_pb2.AnalyzeRequest(type=token, name=manifest["metadata"]["name"],
                                          urn=f"urn:pulumi:test::bulwark::{token}::x",
                                          properties=_struct(manifest))
    response = analyzer.Analyze(request, timeout=60)
    return {d.policyName: (LEVELS[d.enforcementLevel], d.message) for d in response.diagnostics}


def test_the_pack_announces_its_policies_schemas_and_initial_config(analyzer):
    info = analyzer.GetAnalyzerInfo(empty_pb2.Empty(), timeout=60)
    assert info.name == "bulwark-pod-security"
    schemas = {p.name: json_format.MessageToDict(p.configSchema.properties)
               for p in info.policies}
    assert schemas == {crossguard.policy_name(c): crossguard.config_schema(c)["properties"]
                       for c in crossguard.POLICY_KEYS}
    initial = {name: {"enforcementLevel": LEVELS[c.enforcementLevel],
                      **json_format.MessageToDict(c.properties)}
               for name, c in info.initialConfig.items()}
    assert initial == crossguard.pack_config({})


def test_violations_come_at_the_levels_the_settings_ask_for(analyzer):
    config = crossguard.pack_config(SETTINGS)
    analyzer.Configure(analyzer_pb2.ConfigureAnalyzerRequest(policyConfig={
        name: analyzer_pb2.PolicyConfig(
            enforcementLevel={v: k for k, v in LEVELS.items()}[entry["enforcementLevel"]],
            properties=_struct({k: v for k, v in entry.items() if k != "enforcementLevel"}))
        for name, entry in json.loads(json.dumps(config)).items()}), timeout=60)
    deployment = {"apiVersion": "apps/v1", "kind": "Deployment",
                  "metadata": {"name": "web", "namespace": "payments"},
                  "spec": {"selector": {"matchLabels": {"app": "web"}}, "template": {
                      "metadata": {"labels": {"app": "web"}},
                      "spec": {"containers": [{"name": "web", "image": "web:1", "securityContext": {
                          "capabilities": {"drop": ["ALL"], "add": ["CHOWN"]}}}],
                          "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}}}}
    found = _analyze(analyzer, "Deployment", "kubernetes:apps/v1:Deployment", deployment)
    # pulumi-policy puts the policy's description above the message it reported
    assert found["bulwark-disallow-host-path"] == (
        "mandatory", "Disallow hostPath volumes\n"
                     "HostPath volumes are disallowed: spec.volumes[*].hostPath must be unset.")
    assert found["bulwark-require-run-as-non-root"][0] == "advisory"
    assert "bulwark-restrict-added-capabilities" not in found      # CHOWN allowed by the config
    assert "bulwark-restrict-sysctls" not in found
    # web:1 is docker.io/library/web: not from the allowed registry; the tag rules are off
    assert found["bulwark-allowed-registries"] == (
        "mandatory", "Allowed image registries\nImages must come from an allowed registry: "
                     "registry.example.com (docker.io for names without a registry).")
    assert "bulwark-disallow-latest-tag" not in found
    legacy = {**deployment, "metadata": {"name": "old", "namespace": "legacy"}}
    assert _analyze(analyzer, "Deployment", "kubernetes:apps/v1:Deployment", legacy) == {}
    config_map = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}
    assert _analyze(analyzer, "ConfigMap", "kubernetes:core/v1:ConfigMap", config_map) == {}
