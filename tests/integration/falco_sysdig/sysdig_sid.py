"""A cached Debian sid rootfs with sysdig 0.41.4: the falcosecurity libs' real filter compiler.

sysdig needs sid's glibc, so it runs in a chroot. The rootfs lives under
``.lab/sysdig-sid/<recipe hash>/`` and is rebuilt only when the recipe below changes.
Run as a script to build (or reuse) it and print the build time.
"""
from __future__ import annotations

import fcntl
import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
CACHE = ROOT / ".lab" / "sysdig-sid"
RECIPE = {
    "suite": "sid",
    "mirror": "http://deb.debian.org/debian",
    "variant": "minbase",
    "packages": ["sysdig"],
    "expect_version": "0.41.4",
}
SENTINEL = "/nonexistent.scap"


def log(msg: str) -> None:
    print(f"[sysdig-sid] {msg}", file=sys.stderr, flush=True)


def recipe_hash(recipe: dict | None = None) -> str:
    return hashlib.sha256(json.dumps(recipe or RECIPE, sort_keys=True).encode()).hexdigest()[:12]


def missing_tools() -> list[str]:
    return [t for t in ("debootstrap", "chroot") if not shutil.which(t)]


def rootfs_dir(recipe: dict | None = None) -> Path:
    return CACHE / recipe_hash(recipe) / "rootfs"


def build(recipe: dict | None = None) -> tuple[Path, float]:
    """Return (rootfs, seconds spent building); 0.0 seconds when the cache was reused.

    `recipe` defaults to RECIPE (the tests' sysdig); `make falco-fields` passes one with a
    snapshot date, so that a newer sid sysdig lands in a rootfs of its own.
    A lock file serialises concurrent test runs on one checkout."""
    rootfs = rootfs_dir(recipe)
    rootfs.parent.mkdir(parents=True, exist_ok=True)
    with open(rootfs.parent / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        return _build(rootfs, recipe or RECIPE)


def _build(rootfs: Path, recipe: dict) -> tuple[Path, float]:
    stamp = rootfs.parent / "ready.json"
    if stamp.exists():
        return rootfs, 0.0
    if rootfs.exists():
        shutil.rmtree(rootfs)
    rootfs.mkdir(parents=True)
    start = time.monotonic()
    log(f"step 1/2 debootstrap {recipe['variant']} {recipe['suite']} into {rootfs}")
    subprocess.run(["debootstrap", f"--variant={recipe['variant']}", recipe["suite"], str(rootfs),
                    recipe["mirror"]], check=True, stdout=subprocess.DEVNULL)
    log("step 2/2 apt-get install " + " ".join(recipe["packages"]))
    env = {"DEBIAN_FRONTEND": "noninteractive", "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
           "LC_ALL": "C"}
    subprocess.run(["chroot", str(rootfs), "apt-get", "install", "-y", "-q",
                    "-o", "Dpkg::Use-Pty=0", "--no-install-recommends", *recipe["packages"]],
                   check=True, env=env, stdout=subprocess.DEVNULL)
    subprocess.run(["chroot", str(rootfs), "apt-get", "clean"], check=True, env=env)
    version = sysdig_version(rootfs)
    seconds = time.monotonic() - start
    stamp.write_text(json.dumps({"recipe": recipe, "version": version,
                                 "seconds": round(seconds, 1)}))
    log(f"built in {seconds:.0f} s: sysdig {version}")
    return rootfs, seconds


def sysdig_version(rootfs: Path) -> str:
    out = subprocess.run(["chroot", str(rootfs), "sysdig", "--version"], capture_output=True,
                         text=True, check=True).stdout
    return out.strip().split()[-1]


def check_conditions(rootfs: Path, conditions: list[str], outputs: list[str] | None = None):
    """Compile each condition with sysdig in ONE chroot run; return sysdig's message per condition.

    The (output format, condition) pairs are written NUL-separated into the rootfs; a shell loop
    runs ``sysdig -r /nonexistent.scap [-p FORMAT] COND`` for each and appends its output to a
    result file. A valid condition (and format) gives only the missing-file complaint.
    """
    outputs = outputs or [""] * len(conditions)
    work = Path(tempfile.mkdtemp(prefix="bulwark-conds-", dir=rootfs / "tmp"))  # one per run
    (work / "in").write_bytes(b"".join(o.encode() + b"\0" + c.encode() + b"\0"
                                       for o, c in zip(outputs, conditions, strict=True)))
    script = (
        f'cd /tmp/{work.name}; : > out; '
        'while IFS= read -r -d "" fmt && IFS= read -r -d "" c; do '
        f'  if [ -n "$fmt" ]; then sysdig -r {SENTINEL} -p "$fmt" "$c" >> out 2>&1; '
        f'  else sysdig -r {SENTINEL} "$c" >> out 2>&1; fi; '
        '  printf "\\n\\036\\n" >> out; '
        'done < in'
    )
    try:
        subprocess.run(["chroot", str(rootfs), "/bin/bash", "-c", script], check=True)
        chunks = (work / "out").read_text(errors="replace").split("\n\x1e\n")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return [c.strip() for c in chunks[:len(conditions)]]


ACCEPTED = "No such file or directory"


if __name__ == "__main__":
    if missing_tools():
        sys.exit(f"missing: {', '.join(missing_tools())}")
    fs, secs = build()
    print(json.dumps({"rootfs": str(fs), "build_seconds": round(secs, 1),
                      "stamp": json.loads((fs.parent / "ready.json").read_text())}))
