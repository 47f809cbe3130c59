"""Signing + verifying 20 images: the cosign modules through ansible-playbook vs raw cosign.

P4: figures measured side by side in one run against the lab registry with the real cosign
3.1.1 (offline key signing, legacy layout), once per network delay (`--delays 0,20`): every
path talks to the registry through the lab's latency proxy (lab/latency_proxy.py), which adds
the delay to every segment each way (0 ms: the proxy alone, 20 ms: a 40 ms round trip).
  1. modules (playbooks/sign.yml + verify.yml in one ansible-playbook run, images one at a
     time) vs the same loop of raw `cosign sign` + `cosign verify` calls -> ratio, goal <= 1.2x
     at 20 ms
  2. parallel paths vs sequential raw CLI                        -> speedup, goal >= 2x at 20 ms
     a. the same playbooks with sign_parallel / verify_parallel workers (`images:` list)
     b. ansible forks (`--forks N`, off by default): one local host per image
Each path gets its own freshly pushed images, so every path really signs.

    python3 lab/lab.py exec -- .venv/bin/python bench/cosign_modules.py [--images 20]
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "lab"))
import latency_proxy  # noqa: E402

import lab  # noqa: E402

PASSWORD = f"bench-{uuid.uuid4().hex}"  # throwaway key of this run only


def env(**extra) -> dict:
    e = dict(os.environ)
    e.update(lab.env_vars())
    e.update({
        "ANSIBLE_COLLECTIONS_PATH": str(ROOT / ".collections"),
        "ANSIBLE_CONFIG": str(ROOT / "ansible.cfg"),
        "ANSIBLE_NOCOLOR": "1",
        "PATH": f"{Path(sys.executable).parent}:{e.get('PATH', '')}",
    })
    e.update(extra)
    return e


def push_images(n: int, tag: str, via: str) -> list[str]:
    """n fresh images pushed straight to the registry, named through the proxy at `via`."""
    run = uuid.uuid4().hex[:8]
    refs = [lab.push_image(f"bulwark-bench/cosign-{run}-{i:02d}:{tag}", f"{run}-{tag}-{i}")
            for i in range(n)]
    return [ref.replace(lab.registry_host(), via, 1) for ref in refs]


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def raw_cli(cosign: str, key: str, pub: str, images: list[str]) -> None:
    e = env(COSIGN_PASSWORD=PASSWORD)
    for img in images:
        subprocess.run([cosign, "sign", "--key", key, "--use-signing-config=false",
                        "--tlog-upload=false", "--new-bundle-format=false",
                        "--allow-insecure-registry", "--yes", img],
                       check=True, env=e, capture_output=True)
        subprocess.run([cosign, "verify", "--key", pub, "--insecure-ignore-tlog=true",
                        "--allow-insecure-registry", img],
                       check=True, env=e, capture_output=True)


def playbook(args: list[str]) -> None:
    exe = Path(sys.executable).parent / "ansible-playbook"
    p = subprocess.run([str(exe), *args], env=env(), capture_output=True, text=True, cwd=ROOT,
                       check=False)
    if p.returncode != 0:
        raise SystemExit(f"ansible-playbook failed:\n{p.stdout[-3000:]}\n{p.stderr[-2000:]}")


def modules_playbooks(work: Path, cosign: str, key: str, pub: str, images: list[str],
                      parallel: int = 1):
    both = work / "sign_and_verify.yml"
    both.write_text(f"- import_playbook: {ROOT}/playbooks/sign.yml\n"
                    f"- import_playbook: {ROOT}/playbooks/verify.yml\n")
    extra = work / f"playbooks-{parallel}.json"
    extra.write_text(json.dumps({
        "sign_parallel": parallel, "verify_parallel": parallel,
        "sign_images": images, "sign_key": key, "sign_key_password": PASSWORD,
        "sign_public_key": pub, "sign_transparency_log": False,
        "sign_insecure_registry": True, "sign_cosign_path": cosign,
        "verify_images": images, "verify_public_keys": [pub],
        "verify_transparency_log": False, "verify_insecure_registry": True,
        "verify_cosign_path": cosign}))
    return lambda: playbook([str(both), "-e", f"@{extra}"])


def modules_forks(work: Path, cosign: str, key: str, pub: str, images: list[str], forks: int):
    inventory = {"all": {"hosts": {f"image{i:02d}": {"ansible_connection": "local",
                                                     "bench_image": img}
                                   for i, img in enumerate(images)}}}
    inv = work / "inventory.json"
    inv.write_text(json.dumps(inventory))
    play = work / "forks.yml"
    common = (f"      transparency_log: false\n      insecure_registry: true\n"
              f"      cosign_path: {cosign}\n")
    play.write_text(
        "- name: Sign and verify one image per host\n  hosts: all\n  gather_facts: false\n"
        "  tasks:\n"
        "  - name: Sign\n    bulwark.container_security.cosign_sign:\n"
        "      image: '{{ bench_image }}'\n"
        f"      key: {key}\n      key_password: '{{{{ bench_password }}}}'\n"
        f"      public_key: {pub}\n{common}"
        "  - name: Verify\n    bulwark.container_security.cosign_verify:\n"
        "      image: '{{ bench_image }}'\n"
        f"      public_keys: [{pub}]\n{common}")
    extra = work / "forks.json"
    extra.write_text(json.dumps({"bench_password": PASSWORD,
                                 "ansible_python_interpreter": sys.executable}))
    return lambda: playbook([str(play), "-i", str(inv), "-f", str(forks), "-e", f"@{extra}"])


def measure(work: Path, cosign: str, key: str, pub: str, a, via: str) -> dict:
    sets = {name: push_images(a.images, name, via) for name in ("raw", "seq", "workers")}
    out = {"raw": timed(lambda: raw_cli(cosign, key, pub, sets["raw"])),
           "seq": timed(modules_playbooks(work, cosign, key, pub, sets["seq"])),
           "workers": timed(modules_playbooks(work, cosign, key, pub, sets["workers"],
                                              a.workers))}
    if a.forks:
        forks = push_images(a.images, "forks", via)
        out["forks"] = timed(modules_forks(work, cosign, key, pub, forks, a.forks))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--images", type=int, default=20)
    ap.add_argument("--forks", type=int, default=0, help="also the forks path (0: off)")
    ap.add_argument("--workers", type=int, default=8)
    ap.add_argument("--delays", default="0,20", help="proxy delays in ms, each way")
    a = ap.parse_args()
    lab.registry_start()
    tools = lab.tools()
    cosign = str(tools["cosign"])
    delays = [float(d) for d in a.delays.split(",")]
    via = latency_proxy.lab_start(lab.free_port(), delays[0])
    results = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bulwark-bench-cosign-") as tmp:
            work = Path(tmp)
            subprocess.run([cosign, "generate-key-pair"], cwd=work, check=True,
                           capture_output=True, env=env(COSIGN_PASSWORD=PASSWORD))
            key, pub = str(work / "cosign.key"), str(work / "cosign.pub")
            for delay in delays:
                latency_proxy.set_control(delay_ms=delay)
                results[delay] = measure(work, cosign, key, pub, a, via)
    finally:
        lab.stop_daemon("proxy")
    n = a.images
    print(f"cosign 3.1.1, {n} images, sign + verify each, lab registry through the latency "
          f"proxy {via}")
    for delay, r in results.items():
        print(f"-- {delay:g} ms each way")
        for label, k in (("raw cosign CLI, sequential     ", "raw"),
                         ("modules via ansible, sequential", "seq")):
            print(f"  {label}   {r[k]:6.1f} s  ({r[k] / n:.2f} s/image)")
        print(f"  modules via ansible, {a.workers} workers   {r['workers']:6.1f} s  "
              f"({r['workers'] / n:.2f} s/image)")
        if "forks" in r:
            print(f"  modules via ansible, {a.forks} forks     {r['forks']:6.1f} s")
        print("  ratio modules/raw, sequential (goal <= 1.2x at 20 ms):   "
              f"{r['seq'] / r['raw']:.2f}x")
        print("  speedup workers vs raw sequential (goal >= 2x at 20 ms): "
              f"{r['raw'] / r['workers']:.2f}x")
        if "forks" in r:
            print(f"  speedup forks vs raw sequential:                         "
                  f"{r['raw'] / r['forks']:.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
