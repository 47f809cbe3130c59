"""Shared pytest fixtures: the collection on sys.path, upstream test data, and the lab.

Lab fixtures start what they need and stop it at the end of the session. A missing tool or
fixture is a failure that names it, never a skip: the only skips allowed are the ones a user
can act on (`skip_actionable`), and the run ends with their count ("actionable skips: N").
Any other skip is reported as a failure.
"""
from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

# cel-python's google-re2 must load before regopy, which carries its own RE2: loaded after it,
# re2 aborts the process on its first regex. The root conftest loads first in every run, so
# the order holds whatever tests a run selects (tests/properties import regopy early).
import celpy  # noqa: F401  pylint: disable=unused-import
import pytest
from ansible.module_utils.testing import patch_module_args

ROOT = Path(__file__).resolve().parent.parent
COLLECTIONS = ROOT / ".collections"
LINK = COLLECTIONS / "ansible_collections" / "bulwark" / "container_security"
if not LINK.exists():
    LINK.parent.mkdir(parents=True, exist_ok=True)
    LINK.symlink_to(ROOT)
# lab/ (the lab CLI), pulumi/ (the program, for its unit tests) and tests/unit/support (helpers
# shared by unit tests in several folders). One conftest.py outside packages: a second one would
# shadow this one for `from conftest import ...`.
for p in (str(COLLECTIONS), str(ROOT / "lab"), str(ROOT / "pulumi"),
          str(ROOT / "tests" / "unit" / "support")):
    if p not in sys.path:
        sys.path.insert(0, p)

import fleet  # noqa: E402  (lab/fleet.py)

import lab  # noqa: E402  (lab/lab.py)

play_recap = fleet.play_recap  # tests import it from here

# Upstream data copied unchanged, with its provenance (tests/fixtures/PROVENANCE.md).
FIXTURES = ROOT / "tests" / "fixtures"
ACTIONABLE = "[actionable]"


def skip_actionable(reason: str) -> None:
    """Skip for a reason the user can act on (say how); counted at the end of the run."""
    pytest.skip(f"{ACTIONABLE} {reason}")


def require_tool(binary: str, how: str = "make setup installs it") -> str:
    """The path of `binary`, or a failure naming it and how to get it."""
    path = shutil.which(binary)
    if not path:
        pytest.fail(f"{binary} is not installed ({how})", pytrace=False)
    return path


def pytest_configure(config):
    config.addinivalue_line(
        "markers", "requires_tool(binary, how): fail (never skip) when `binary` is not on PATH")
    config.addinivalue_line(
        "markers", "fleet: stands on the lab fleet's nodes (set from the fixtures it asks for)")


# Fixtures that stand on the lab fleet's nodes: a test asking for one, and every test of
# tests/integration/fleet, runs in `make test`'s fleet lane (lab/run-tests.sh selects
# `-m fleet`; the suite lane runs `-m "not fleet"`).
FLEET_FIXTURES = {"fresh_fleet", "converged_fleet", "reliab_node"}
FLEET_DIR = ROOT / "tests" / "integration" / "fleet"


def pytest_collection_modifyitems(items):
    for item in items:
        if (FLEET_FIXTURES & set(getattr(item, "fixturenames", ()))
                or FLEET_DIR in Path(str(item.path)).parents):
            item.add_marker(pytest.mark.fleet)


def pytest_runtest_setup(item):
    for mark in item.iter_markers("requires_tool"):
        require_tool(*mark.args, **mark.kwargs)


def _skip_reason(report) -> str:
    longrepr = report.longrepr
    return str(longrepr[2] if isinstance(longrepr, tuple) else longrepr)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip that is not `skip_actionable` (importorskip, skipif, an empty parameter set…)
    is reported as a failure: missing data or tools must not pass unnoticed."""
    outcome = yield
    report = outcome.get_result()
    reason = _skip_reason(report) if report.skipped else ""
    if report.skipped and not hasattr(report, "wasxfail") and ACTIONABLE not in reason:
        report.outcome = "failed"
        report.longrepr = f"skipped without a reason the user can act on: {reason}"


def pytest_terminal_summary(terminalreporter):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if not hasattr(r, "wasxfail")]
    terminalreporter.write_sep("-", f"actionable skips: {len(skipped)}")
    for report in skipped:
        reason = _skip_reason(report).replace("Skipped: ", "").replace(ACTIONABLE, "").strip()
        terminalreporter.write_line(f"{report.nodeid}: {reason}")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def shared_fixtures() -> Path:
    """tests/fixtures: the upstream data the tests share (name kept from when it lived in
    ../shared; nothing outside the checkout is read)."""
    if not (FIXTURES / "PROVENANCE.md").is_file():
        pytest.fail(f"upstream test data missing: {FIXTURES} (restore it from git)", pytrace=False)
    return FIXTURES


@pytest.fixture(scope="session")
def lab_tools() -> dict:
    """Real binaries: cosign (3.1.1), cosign-2.5.0, crane, notation, oras, syft, trivy."""
    require_tool("apt-get")
    return {k: str(v) for k, v in lab.tools().items()}


@pytest.fixture(scope="session")
def bbolt_checker() -> Path:
    """Go's bbolt (Debian's golang-github-coreos-bbolt-dev) as a checker binary: opens a file
    read-only, runs Tx.Check() and dumps it (lab/trivy_db/gocheck.py); built once."""
    require_tool("go", "apt-get install -y golang-go golang-github-coreos-bbolt-dev")
    from trivy_db import gocheck  # lab/trivy_db/
    try:
        return gocheck.build(lab.STATE / "tools" / "go")
    except (RuntimeError, subprocess.CalledProcessError) as err:
        pytest.fail(f"cannot build the bbolt checker: {err} {getattr(err, 'stderr', '')}",
                    pytrace=False)


@pytest.fixture(scope="session")
def lab_registry(lab_tools) -> str:
    """A real OCI registry (CNCF Distribution) on 127.0.0.1; yields host:port."""
    require_tool("docker-registry")
    was_up = lab.port_open(lab.REGISTRY_PORT)
    lab.registry_start()
    yield lab.registry_host()
    if not was_up:
        lab.stop_daemon("registry")


@pytest.fixture(scope="session")
def lab_mirror(lab_tools) -> str:
    """The artifact mirror on 127.0.0.1; yields its base URL."""
    was_up = lab.port_open(lab.MIRROR_PORT)
    lab.mirror_start()
    yield f"http://127.0.0.1:{lab.MIRROR_PORT}"
    if not was_up:
        lab.stop_daemon("mirror")


def lab_mirror_trust(pins_path: str | Path | None = None, pins: dict | None = None) -> dict:
    """The installer variables a test passes with a plain-HTTP mirror on loopback (the lab's
    or its own): the explicit opt-in release_artifact_allow_insecure_mirror, and the sha256
    pins (release_artifact_pins) from this side, never from the mirror. `pins` given: those
    (a test's own mirror: `lab.mirror_pins(root)` of the files it serves, see
    tests/integration/installer/installer_helpers.py RecordingServer.trust); otherwise read
    from `pins_path`, by default the file the lab wrote from its mirror's files
    (lab.env_vars()["BULWARK_LAB_PINS"], .lab/mirror-pins.json; the `lab_mirror` fixture
    builds it). The same two variables the lab inventories and molecule config set."""
    if pins is None:
        path = Path(pins_path or lab.env_vars()["BULWARK_LAB_PINS"])
        if not path.is_file():
            pytest.fail(f"the lab mirror's pins {path} are missing (the lab_mirror fixture or "
                        f"python3 lab/lab.py mirror build writes them)", pytrace=False)
        pins = json.loads(path.read_text())
    return {"release_artifact_allow_insecure_mirror": True, "release_artifact_pins": pins}


@pytest.fixture(scope="session")
def lab_registry_tls(lab_tools) -> str:
    """The lab's second registry: TLS from a lab CA and htpasswd basic auth
    (lab/registry_tls.py, credentials from registry_tls.credentials()); yields host:port."""
    import registry_tls  # lab/registry_tls.py
    was_up = lab.port_open(registry_tls.PORT)
    registry_tls.start()
    yield registry_tls.host()
    if not was_up:
        lab.stop_daemon("registry-tls")


@pytest.fixture(scope="session")
def lab_image_factory(lab_registry):
    """push(repo:tag, content) -> 'host:port/repo@sha256:...' of a fresh one-layer image."""
    def push(ref: str, content: str | None = None) -> str:
        return lab.push_image(ref, content)
    return push


@contextlib.contextmanager
def lab_nodes(prefix: str, images: dict[str, str], tmp_dir: Path):
    """Boot one systemd node per inventory group from the lab images ({group: image}), each
    reached over SSH like the lab fleet (lab/fleet.py: sshd on a free loopback port, root with
    the lab key; one round trip per task where the podman connection made three or four podman
    calls). Yields (inventory path, {group: container name}); removes the nodes afterwards."""
    require_tool("podman")
    suffix = os.urandom(3).hex()
    names = {group: f"{prefix}-{group}-{suffix}" for group in images}
    try:
        for group, image in images.items():
            if lab.podman("image", "exists", image, check=False).returncode != 0:
                pytest.fail(f"lab image {image} is missing (python3 lab/lab.py images builds it)")
            lab.podman("run", "-d", "--name", names[group], "--hostname", names[group],
                       "--systemd=always", "--network", "host", image, "/sbin/init",
                       stdout=subprocess.DEVNULL)
        children = {}
        for group, name in names.items():
            fleet.wait_booted(name)
            port = lab.free_port()
            fleet.enable_sshd(name, port)
            children[group] = {"hosts": {name: fleet.ssh_host_vars(port)}}
        inventory = tmp_dir / f"{prefix}-inventory.json"
        inventory.write_text(json.dumps({"all": {"children": children}}))
        yield inventory, names
    finally:
        for name in names.values():
            lab.podman("rm", "-f", "-t", "0", name, check=False, capture_output=True)


# What a role may write on a node: listed and hashed before and after a run that must not
# change the node (check mode, refused input).
NODE_PATHS = ("/etc", "/opt", "/usr/local", "/var/lib/kubelet", "/var/lib/bulwark",
              "/var/lib/trivy", "/var/cache/bulwark", "/var/cache/trivy")
# written by systemd itself while a fresh node boots (ConditionNeedsUpdate), not by a role
BOOT_NOISE = {"/etc/.updated"}


# Run by the node's python3: {path: "file <mode> <sha256>" | "link <target>" | "dir <mode>"}.
_FINGERPRINT = r"""
import hashlib, json, os, stat, sys
out = {}
def record(p):
    st = os.lstat(p)
    if stat.S_ISLNK(st.st_mode):
        out[p] = "link " + os.readlink(p)
    elif stat.S_ISDIR(st.st_mode):
        out[p] = "dir %o" % stat.S_IMODE(st.st_mode)
    else:
        with open(p, "rb") as f:
            out[p] = "file %o %s" % (stat.S_IMODE(st.st_mode), hashlib.sha256(f.read()).hexdigest())
for top in sys.argv[1:]:
    if os.path.lexists(top):
        record(top)
    for root, dirs, files in os.walk(top):
        for name in dirs + files:
            record(os.path.join(root, name))
print(json.dumps(out))
"""


def node_fingerprint(node: str, paths=NODE_PATHS) -> dict[str, str]:
    """Every file, link and directory under `paths` on a lab node (a podman container) with
    its mode and sha256 or link target, read in one exec."""
    res = subprocess.run(["podman", "exec", "-i", node, "python3", "-", *paths],
                         input=_FINGERPRINT, env=ansible_env(), capture_output=True, text=True,
                         check=True)
    return json.loads(res.stdout)


def changed_paths(before: dict, after: dict) -> list[str]:
    return sorted(p for p in set(before) | set(after)
                  if before.get(p) != after.get(p) and p not in BOOT_NOISE)


@pytest.fixture(scope="session")
def fresh_fleet(lab_registry, lab_mirror):
    """The lab fleet (lab/fleet.py): four new nodes plus playbooks/lab/fleet_prepare.yml, shared
    by the session and removed at its end. tests/integration/fleet/test_fleet_converge.py
    starts from it fresh and leaves it converged (its fault tests repair what they break),
    recording that in the dict this yields; later tests ask for `converged_fleet`."""
    fleet.down()
    fleet.up()
    prepare = run_playbook(["-i", str(fleet.INVENTORY), "playbooks/lab/fleet_prepare.yml"],
                           timeout=900)
    assert prepare.returncode == 0, (prepare.stdout + prepare.stderr)[-4000:]
    yield {"converged": False}
    fleet.down()


@pytest.fixture(scope="session")
def converged_fleet(fresh_fleet):
    """The lab fleet converged by playbooks/site.yml (converges only when no test did)."""
    if not fresh_fleet["converged"]:
        run = run_playbook(["-i", str(fleet.INVENTORY), "playbooks/site.yml"], timeout=1800)
        assert run.returncode == 0, (run.stdout + run.stderr)[-4000:]
        fresh_fleet["converged"] = True
    return fresh_fleet


def ansible_env(**extra) -> dict:
    """Environment for running ansible-playbook against the collection from the checkout."""
    env = dict(os.environ)
    env.update(lab.env_vars())
    env.update({
        "ANSIBLE_COLLECTIONS_PATH": str(COLLECTIONS),
        "ANSIBLE_ROLES_PATH": str(ROOT / "roles"),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{Path(sys.executable).parent}:{env.get('PATH', '')}",
    })
    env.update(extra)
    return env


def run_playbook(args, **kw) -> subprocess.CompletedProcess:
    """ansible-playbook from the venv with the collection on its path; output captured."""
    exe = Path(sys.executable).parent / "ansible-playbook"
    check = kw.pop("check", False)  # callers assert on returncode and output
    return subprocess.run([str(exe), *args], env=ansible_env(**kw.pop("env", {})),
                          capture_output=True, text=True, cwd=ROOT, check=check, **kw)


def run_module(module, args, capsys) -> dict:
    """A module's main() run in-process with ``args`` (patch_module_args); its JSON result,
    with the exit code under ``_rc``."""
    with patch_module_args(args), pytest.raises(SystemExit) as exc:
        module.main()
    out = json.loads(capsys.readouterr().out)
    out["_rc"] = exc.value.code
    return out


@pytest.fixture
def node_dir(tmp_path):
    """A node laid out on disk as the roles leave it (tests/unit/support/posture_nodes.py)."""
    from posture_nodes import lay_out_node  # pylint: disable=import-outside-toplevel
    return lambda **kw: lay_out_node(tmp_path / "node", **kw)
