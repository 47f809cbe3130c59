"""The kyverno role without its CLI: bundle and `kyverno test` suites on disk, nothing stale.

The Kyverno CLI cannot be downloaded in this lab (github.com is unreachable), so the converge
sets kyverno_cli_install: false; test_cli_absent pins that down so nobody mistakes this
scenario for a test of the CLI. The node's files are read in one command per host (a listing
with owner, group, mode and content), not one connection per file.
"""
import json

import pytest
import yaml

DIR = "/srv/ci/kyverno"
PUBLIC_KEY_LINE = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8Q93QHsUUeeOGsadcUnVdzCxDLky"
SNAPSHOT = f"""
import grp, json, os, pwd, stat
out = {{"cli": os.path.exists("/usr/local/bin/kyverno"), "files": {{}}}}
for root, _dirs, files in os.walk("{DIR}"):
    for name in files:
        path = os.path.join(root, name)
        st = os.stat(path)
        out["files"][os.path.relpath(path, "{DIR}")] = {{
            "user": pwd.getpwuid(st.st_uid).pw_name, "group": grp.getgrgid(st.st_gid).gr_name,
            "mode": stat.S_IMODE(st.st_mode), "content": open(path).read()}}
print(json.dumps(out))
"""


@pytest.fixture(scope="module")
def node(host):
    result = host.run("python3 -c %s", SNAPSHOT)     # testinfra quotes the argument
    assert result.rc == 0, result.stderr
    return json.loads(result.stdout)


def docs(text):
    return [d for d in yaml.safe_load_all(text) if d]


def test_cli_absent(node):
    assert node["cli"] is False


def test_bundle_files(node):
    policies = {p.split("/", 1)[1]: f for p, f in node["files"].items()
                if p.startswith("policies/")}
    assert "validatingpolicy-retired.yaml" not in policies     # left by prepare, removed
    kinds = [name.split("-", 1)[0] for name in policies]
    assert kinds.count("validatingpolicy") == 8                # 10 controls disabled (converge)
    assert kinds.count("imagevalidatingpolicy") == 1
    assert kinds.count("policyexception") == 1
    assert kinds.count("namespace") == 1
    assert kinds.count("networkpolicy") == 3                   # deny all, dns, from-gateway
    for name, f in policies.items():
        assert (f["user"], f["group"], f["mode"]) == ("root", "root", 0o644), name
        (doc,) = docs(f["content"])
        assert doc["metadata"]["name"]
        assert name.startswith(doc["kind"].lower() + "-")


def test_bundle_yaml_matches_the_files(node):
    bundle = docs(node["files"]["bundle.yaml"]["content"])
    singles = [docs(f["content"])[0] for p, f in node["files"].items()
               if p.startswith("policies/")]
    assert sorted(map(json.dumps, bundle)) == sorted(map(json.dumps, singles))
    (ivp,) = [d for d in bundle if d["kind"] == "ImageValidatingPolicy"]
    assert PUBLIC_KEY_LINE in yaml.safe_dump(ivp)
    (exc,) = [d for d in bundle if d["kind"] == "PolicyException"]
    assert exc["metadata"]["namespace"] == "payments"
    assert exc["spec"]["expiresAt"].startswith("2027-03-31")


def test_test_suites(node):
    tests = {p.split("/", 1)[1]: f for p, f in node["files"].items() if p.startswith("tests/")}
    suites = sorted({p.split("/", 1)[0] for p in tests})
    assert len(suites) == 8
    for suite in suites:
        (test,) = docs(tests[f"{suite}/kyverno-test.yaml"]["content"])
        assert test["kind"] == "Test"
        assert test["results"]
        for ref in test.get("policies", []) + test.get("resources", []):
            assert f"{suite}/{ref}" in tests
