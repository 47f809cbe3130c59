# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Property of issue 23, "each part answers for itself": for any valid policy settings, the
posture report, the Pulumi stack outputs, the CrossGuard pack and the offline admission check
say the same actions for every policy (all read kyverno/actions.policy_actions), those are the
actions the settings asked for, and engine kyverno and engine native give the same answer."""
from __future__ import annotations

import sys
from pathlib import Path
from types import SimpleNamespace

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    admission,
    builders,
    crossguard,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    POD_SECURITY_CONTROLS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.settings import (
    Settings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.posture.cluster import (
    cluster_summary,
)
from hypothesis import given
from hypothesis import strategies as st

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT / "pulumi") not in sys.path:
    sys.path.insert(0, str(ROOT / "pulumi"))

import bulwark_platform  # noqa: E402  (pulumi/: the program's stack outputs)

# The valid action sets (the settings refuse Deny with Warn, as the API does), in any order.
ACTIONS = st.sampled_from([["Audit"], ["Warn"], ["Deny"], ["Audit", "Warn"], ["Warn", "Audit"],
                           ["Audit", "Deny"], ["Deny", "Audit"], "Audit", "Warn", "Deny"])
CONTROLS = sorted(POD_SECURITY_CONTROLS)
PEM = "-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----"
IMAGES = st.none() | st.fixed_dictionaries({
    "public_keys": st.just([PEM]), "image_globs": st.just(["registry.example.com/*"]),
    "action": ACTIONS, "legacy_cluster_policy": st.booleans()})
SETTINGS = st.fixed_dictionaries({
    "default_action": ACTIONS,
    "actions": st.dictionaries(st.sampled_from(CONTROLS), ACTIONS, max_size=6),
    "disabled_controls": st.lists(st.sampled_from(CONTROLS), unique=True, max_size=4),
}).flatmap(lambda pod_security: IMAGES.map(lambda images: (pod_security, images)))
# A pod every pod security policy matches (not in an excluded namespace) and most fail.
POD = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": "payments"},
       "spec": {"hostNetwork": True, "containers": [
           {"name": "c", "image": "registry.example.com/app:1",
            "securityContext": {"privileged": True}}]}}


def _settings(pod_security, images, engine):
    data = {"engine": engine, "pod_security": pod_security,
            "namespaces": [{"name": "payments"}]}
    if images is not None:
        data["image_verification"] = images
    return data


def _views(data):
    """{part: {policy: actions}} as posture, Pulumi, the pack and the admission check see it."""
    bundle = builders.build_bundle(data)
    posture = {p["name"]: tuple(p["actions"]) for p in cluster_summary(bundle)["policies"]}
    platform = SimpleNamespace(manifests=bundle, kyverno=None,
                               settings=SimpleNamespace(kyverno=None, falco=None))
    pulumi = {k: tuple(v) for k, v in bulwark_platform.stack_outputs(platform)["policies"].items()}
    (resource,) = admission.evaluate(bundle, [POD])["resources"]
    checked = {p["policy"]: tuple(p["actions"]) for p in resource["policies"]}
    # the CrossGuard pack: the enforcement levels of the policy pack config render.py writes
    mandatory = {name: config["enforcementLevel"] == "mandatory"
                 for name, config in crossguard.pack_config(data).items()
                 if config["enforcementLevel"] != "disabled"}
    return bundle, posture, pulumi, checked, mandatory


@given(SETTINGS)
def test_every_part_reads_the_same_actions_under_both_engines(generated):
    """Invariant: for each engine, posture's and Pulumi's actions per policy are equal; the
    admission check reports the same actions for every pod security policy (it evaluates them
    all on a pod they match; image policies need registries); the pack's mandatory controls
    are the Deny ones; each pod security policy has the actions its settings give; and engine
    native gives exactly engine kyverno's answer."""
    pod_security, images = generated
    seen = {}
    for engine in ("kyverno", "native"):
        data = _settings(pod_security, images, engine)
        settings = Settings.from_dict(data)
        bundle, posture, pulumi, checked, mandatory = _views(data)
        assert posture == pulumi, engine
        controls = {settings.policy_name(c): c for c in settings.pod_security.controls()}
        assert set(checked) == set(controls), engine
        assert checked == {name: posture[name] for name in controls}, engine
        assert mandatory == {name: "Deny" in posture[name] for name in controls}, engine
        for name, control in controls.items():
            assert posture[name] == settings.pod_security.actions_for(control), (engine, name)
        if images is not None:
            iv = settings.image_verification
            asked = iv.actions
            if iv.legacy_cluster_policy:    # the legacy kind says Enforce, or Audit (+ warn)
                asked = ("Deny",) if "Deny" in asked else (
                    ("Audit", "Warn") if "Warn" in asked else ("Audit",))
            assert posture[settings.policy_name("image_verification")] == asked
        assert set(posture) == set(controls) | (
            {settings.policy_name("image_verification")} if images is not None else set())
        seen[engine] = posture
    assert seen["native"] == seen["kyverno"]
