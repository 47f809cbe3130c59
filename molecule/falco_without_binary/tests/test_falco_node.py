"""What the falco role leaves on a node without the Falco binary (falco_install_method=none)."""
import yaml

RULES = "/etc/falco/rules.d/bulwark_10_library.yaml"
DROPIN = "/etc/falco/config.d/bulwark.yaml"
LIBRARY_RULES = {
    "Bulwark shell spawned in container",
    "Bulwark write below protected directory",
    "Bulwark package manager in container",
    "Bulwark read of sensitive file by non-trusted program",
    "Bulwark new executable run in container",
    "Bulwark unexpected outbound connection",
    "Bulwark unexpected listening socket",
}


def test_config_dropin(host):
    assert host.check_output(f"stat -c '%U %G %a' {DROPIN} {RULES}").split() == [
        "root", "root", "600", "root", "root", "644"]
    config = yaml.safe_load(host.file(DROPIN).content_string)
    assert config["engine"] == {"kind": "modern_ebpf"}
    assert config["json_output"] is True
    assert config["priority"] == "notice"
    assert config["http_output"] == {"enabled": True, "url": "http://127.0.0.1:2801/"}
    assert config["stdout_output"] == config["syslog_output"] == {"enabled": True}
    assert config["webserver"]["k8s_healthz_endpoint"] == "/healthz"


def test_rules_library(host):
    items = yaml.safe_load(host.file(RULES).content_string)
    rules = {i["rule"]: i for i in items if "rule" in i}
    assert set(rules) == LIBRARY_RULES
    for rule in rules.values():
        assert any(t.startswith("mitre_") for t in rule["tags"]), rule["rule"]
        assert any(t.startswith(("T1", "TA0")) for t in rule["tags"]), rule["rule"]
        assert rule["exceptions"], rule["rule"]      # tuning is exceptions, not conditions
    lists = {i["list"]: i["items"] for i in items if "list" in i}
    assert lists["bulwark_trusted_images"] == ["registry.example.internal/platform/debug-tools"]
    assert "/etc" in lists["bulwark_protected_dirs"]
    shell = {e["name"]: e for e in rules["Bulwark shell spawned in container"]["exceptions"]}
    assert shell["healthcheck"]["values"] == [["tini", "sh -c /healthcheck.sh"]]
    egress = {e["name"]: e for e in rules["Bulwark unexpected outbound connection"]["exceptions"]}
    assert egress["image_destinations"]["values"] == [
        ["registry.example.internal/shop/api", ["10.20.0.0/16", "192.0.2.10/32"]]]
    protected = rules["Bulwark write below protected directory"]["condition"]
    for needle in ("evt.type in (open, openat, openat2)", "evt.is_open_write = true",
                   "fd.name pmatch (bulwark_protected_dirs)"):
        assert needle in protected


def test_library_passes_the_linter_on_the_node(host):
    cmd = host.run(f"python3 /usr/local/lib/bulwark/falco-lint/falco_rules.py {RULES}")
    assert cmd.rc == 0, cmd.stdout + cmd.stderr


def test_reloaded_once_by_the_converge_and_staging_cleaned(host):
    # converge changed config and rules -> one SIGHUP; the idempotence run sent none
    out = host.check_output("cat /run/bulwark-falco-standin.hups; "
                            "systemctl is-active bulwark-falco-standin; "
                            "test -e /var/lib/bulwark/falco/rules-staging && echo left || true")
    assert out.split() == ["hup", "active"]
