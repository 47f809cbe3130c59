"""The profiles landed on the node with the right owner, modes and content.

One remote command per node gathers everything (each testinfra call is an ansible run).
"""
import json

DIR = "/var/lib/kubelet/seccomp/bulwark"
NAMES = ["baseline", "echo-server", "strict-example"]
SCRIPT = f"""
stat -c '%n %U %G %a %F' /var/lib/kubelet/seccomp {DIR} {DIR}/*
python3 -c 'import glob, json, sys; \
  json.dump({{p: json.load(open(p)) for p in glob.glob("{DIR}/*.json")}}, sys.stdout)'
"""
_CACHE = {}


def node(host):
    name = host.backend.hostname
    if name not in _CACHE:
        out = host.check_output(SCRIPT).splitlines()
        stats = {line.split()[0]: line.split()[1:] for line in out[:-1]}
        _CACHE[name] = (stats, json.loads(out[-1]))
    return _CACHE[name]


def test_only_managed_profiles_with_right_modes(host):
    stats, _profiles = node(host)
    assert stats["/var/lib/kubelet/seccomp"][:3] == ["root", "root", "755"]
    assert stats[DIR][:3] == ["root", "root", "755"]
    files = {path: info for path, info in stats.items() if path.endswith(".json")}
    assert sorted(files) == [f"{DIR}/{n}.json" for n in NAMES]
    for path, info in files.items():
        assert info[:3] == ["root", "root", "644"], path


def test_profiles_are_what_was_validated(host):
    _stats, profiles = node(host)
    for name in NAMES:
        profile = profiles[f"{DIR}/{name}.json"]
        assert profile["defaultAction"] in {"SCMP_ACT_ERRNO", "SCMP_ACT_KILL_PROCESS"}
        assert all(rule["names"] for rule in profile["syscalls"])
    baseline = profiles[f"{DIR}/baseline.json"]
    allowed = {n for rule in baseline["syscalls"] if rule["action"] == "SCMP_ACT_ALLOW"
               and not rule.get("args") for n in rule["names"]}
    assert not allowed & {"mount", "unshare", "setns", "bpf", "ptrace", "kexec_load",
                          "init_module", "clone"}
    assert {"execve", "exit_group", "mmap", "openat", "rt_sigreturn"} <= allowed
