"""The kyverno role without its CLI: bundle and `kyverno test` suites on disk, nothing stale.

The Kyverno CLI cannot be downloaded in this lab (github.com is unreachable), so the converge
sets kyverno_cli_install: false; test_cli_absent pins that down so nobody mistakes this
scenario for a test of the CLI.
"""
import yaml

DIR = "/srv/ci/kyverno"
PUBLIC_KEY_LINE = "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE8Q93QHsUUeeOGsadcUnVdzCxDLky"


def _load_all(host, path):
    return [d for d in yaml.safe_load_all(host.file(path).content_string) if d]


def test_cli_absent(host):
    assert not host.file("/usr/local/bin/kyverno").exists


def test_bundle_files(host):
    listed = sorted(host.run(f"ls {DIR}/policies").stdout.split())
    assert "validatingpolicy-retired.yaml" not in listed      # left by prepare, removed
    kinds = [name.split("-", 1)[0] for name in listed]
    assert kinds.count("validatingpolicy") == 8
    assert kinds.count("imagevalidatingpolicy") == 1
    assert kinds.count("policyexception") == 1
    assert kinds.count("namespace") == 1
    assert kinds.count("networkpolicy") == 3                  # deny all, dns, from-gateway
    for name in listed:
        f = host.file(f"{DIR}/policies/{name}")
        assert (f.user, f.group, f.mode) == ("root", "root", 0o644)
        (doc,) = _load_all(host, f"{DIR}/policies/{name}")
        assert doc["metadata"]["name"]


def test_bundle_yaml_matches_the_files(host):
    docs = _load_all(host, f"{DIR}/bundle.yaml")
    files = host.run(f"ls {DIR}/policies").stdout.split()
    assert len(docs) == len(files)
    ivp = [d for d in docs if d["kind"] == "ImageValidatingPolicy"]
    assert len(ivp) == 1
    assert PUBLIC_KEY_LINE in yaml.safe_dump(ivp[0])
    exc = [d for d in docs if d["kind"] == "PolicyException"][0]
    assert exc["metadata"]["namespace"] == "payments"
    assert exc["spec"]["expiresAt"].startswith("2027-03-31")


def test_test_suites(host):
    suites = sorted(host.run(f"ls {DIR}/tests").stdout.split())
    assert len(suites) == 8
    for suite in suites:
        test = _load_all(host, f"{DIR}/tests/{suite}/kyverno-test.yaml")[0]
        assert test["kind"] == "Test"
        assert test["results"]
        for ref in test.get("policies", []) + test.get("resources", []):
            assert host.file(f"{DIR}/tests/{suite}/{ref}").is_file
