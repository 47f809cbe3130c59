#!/usr/bin/env python3
"""Rescan the container images present on this node with Trivy (installed by bulwark's trivy role).

Lists images through whichever runtimes exist (crictl or ctr for containerd, podman, docker),
scans each one (through the Trivy server when TRIVY_RESCAN_SERVER is set) with a cache
directory of its own, so parallel or leftover scans never wait on one cache lock; each own
cache links the shared DB (db/) and Java DB (java-db/), downloaded once per run before the
scans (a client looks an image's jars up in its own Java DB, through a server too),
writes one JSON report per image plus summary.json into a new run directory, points `latest`
at it and keeps the newest TRIVY_RESCAN_HISTORY runs. Gating is not done here: the reports
are Trivy's own JSON, whole (trivy.yaml's severity, ignore-unfixed, ignore-status and
ignorefile are switched off, as trivy_scan does), ready for the collection's trivy_gate.

Settings come from the environment (see rescan.env written by the role). Exit status: 0 when
every listed image was scanned, 1 when at least one scan failed, 2 on bad settings.
"""
import datetime
import json
import os
import re
import shutil
import subprocess
import sys

SEVERITIES = ("CRITICAL", "HIGH", "MEDIUM", "LOW", "UNKNOWN")
# As the collection's trivy_scan (plugins/module_utils/trivy/scan.py WHOLE_REPORT_FLAGS): the
# report holds every finding whatever trivy.yaml filters; explicit flags outrank the file.
WHOLE_REPORT = ("--severity", "UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL",
                "--ignore-unfixed=false", "--ignore-status=", "--ignorefile=")
# A run directory's whole name (fullmatch, ASCII digits): only these are ever pruned, never a
# "20261207T000000Z\n" or other look-alike someone put beside them.
RUN_NAME = re.compile(r"[0-9]{8}T[0-9]{6}Z")


def env(name, default=""):
    return os.environ.get(name, default).strip()


def run(argv, timeout=600, extra_env=None):
    environment = dict(os.environ, **(extra_env or {}))
    return subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False,
                          env=environment)


def list_crictl():
    out = run(["crictl", "images", "-o", "json"])
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    images = []
    for image in json.loads(out.stdout or "{}").get("images") or []:
        names = (image.get("repoTags") or []) + (image.get("repoDigests") or [])
        if names:
            images.append(names[0])
    return images


def list_ctr():
    namespace = env("TRIVY_RESCAN_CONTAINERD_NAMESPACE", "k8s.io")
    out = run(["ctr", "-n", namespace, "images", "ls", "-q"])
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    return [line.strip() for line in out.stdout.splitlines()
            if line.strip() and not line.startswith("sha256:")]


def list_podman():
    out = run(["podman", "images", "--format", "json"])
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    images = []
    for image in json.loads(out.stdout or "[]") or []:
        names = [n for n in (image.get("Names") or []) if "<none>" not in n]
        if names:
            images.append(names[0])
    return images


def list_docker():
    out = run(["docker", "image", "ls", "--format", "{{json .}}"])
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip())
    images = []
    for line in out.stdout.splitlines():
        if not line.strip():
            continue
        row = json.loads(line)
        if row.get("Repository", "<none>") != "<none>" and row.get("Tag", "<none>") != "<none>":
            images.append(f"{row['Repository']}:{row['Tag']}")
    return images


# runtime -> (lister, trivy --image-src, containerd family)
RUNTIMES = {
    "crictl": (list_crictl, "containerd", "containerd"),
    "ctr": (list_ctr, "containerd", "containerd"),
    "podman": (list_podman, "podman", "podman"),
    "docker": (list_docker, "docker", "docker"),
}


def slug(image):
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", image).strip("_")[:200] or "image"


def counts(report):
    found = dict.fromkeys(SEVERITIES, 0)
    for result in report.get("Results") or []:
        for vuln in result.get("Vulnerabilities") or []:
            severity = vuln.get("Severity", "UNKNOWN")
            found[severity if severity in found else "UNKNOWN"] += 1
    return found


def link_shared_db(shared, own):
    """Give a per-image cache the shared DB (read-only use) so it is downloaded once."""
    os.makedirs(own, exist_ok=True)
    for name in ("db", "java-db"):
        target, link = os.path.join(shared, name), os.path.join(own, name)
        if os.path.isdir(target) and not os.path.lexists(link):
            os.symlink(target, link)


def prune(reports_dir, keep):
    runs = sorted(d for d in os.listdir(reports_dir)
                  if RUN_NAME.fullmatch(d) and os.path.isdir(os.path.join(reports_dir, d)))
    for old in runs[:-keep] if keep > 0 else []:
        shutil.rmtree(os.path.join(reports_dir, old), ignore_errors=True)


def main():
    trivy = env("TRIVY_RESCAN_TRIVY", "trivy")
    config = env("TRIVY_RESCAN_CONFIG", "/etc/trivy/trivy.yaml")
    reports_dir = env("TRIVY_RESCAN_REPORTS", "/var/lib/trivy/reports")
    shared_cache = env("TRIVY_RESCAN_SHARED_CACHE", "/var/cache/trivy")
    own_cache = env("TRIVY_RESCAN_CACHE", "/var/cache/trivy/rescan")
    server = env("TRIVY_RESCAN_SERVER")
    runtimes = env("TRIVY_RESCAN_RUNTIMES", "crictl ctr podman docker").replace(",", " ").split()
    update_db = env("TRIVY_RESCAN_UPDATE_DB", "true").lower() == "true"
    update_java_db = env("TRIVY_RESCAN_UPDATE_JAVA_DB", "true").lower() == "true"
    history = env("TRIVY_RESCAN_HISTORY", "14")
    if not re.fullmatch(r"[0-9]{1,6}", history):   # int() would take "\u0661\u0664" or "-3"
        print(f"TRIVY_RESCAN_HISTORY {history!r} must be a number of runs (0: keep all)",
              file=sys.stderr)
        return 2
    keep = int(history)
    unknown = [r for r in runtimes if r not in RUNTIMES]
    if unknown:
        print(f"unknown runtime(s) {unknown}; known: {sorted(RUNTIMES)}", file=sys.stderr)
        return 2

    started = datetime.datetime.now(datetime.timezone.utc)
    run_dir = os.path.join(reports_dir, started.strftime("%Y%m%dT%H%M%SZ"))
    os.makedirs(run_dir, exist_ok=True)
    summary = {"started": started.isoformat(), "server": server or None, "runtimes": [],
               "images": [], "totals": dict.fromkeys(SEVERITIES, 0), "failed": 0}

    targets, families = [], set()
    for name in runtimes:
        lister, source, family = RUNTIMES[name]
        if family in families or not shutil.which(name):
            continue
        families.add(family)
        try:
            images = lister()
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
            summary["runtimes"].append({"runtime": name, "error": str(exc)[:500]})
            summary["failed"] += 1
            continue
        summary["runtimes"].append({"runtime": name, "images": len(images)})
        targets.extend((name, source, image) for image in dict.fromkeys(images))

    # The server answers for the vulnerability DB; the Java DB is the client's own.
    for wanted, key, flag in ((update_db and not server, "db_update", "--download-db-only"),
                              (update_java_db, "java_db_update", "--download-java-db-only")):
        if targets and wanted:
            db = run([trivy, "image", "--config", config, "--cache-dir", shared_cache, flag,
                      "--no-progress"], timeout=1800)
            summary[key] = {"exit_code": db.returncode, "stderr": db.stderr[-500:]}

    for runtime, source, image in targets:
        name = f"{runtime}-{slug(image)}"
        report_path = os.path.join(run_dir, f"{name}.json")
        argv = [trivy, "image", "--config", config, "--format", "json", "--output", report_path,
                "--exit-code", "0", *WHOLE_REPORT, "--no-progress", "--image-src", source]
        if server:
            argv += ["--server", server]
        cache = os.path.join(own_cache, name)
        link_shared_db(shared_cache, cache)
        argv += ["--cache-dir", cache, "--skip-db-update", "--skip-java-db-update"]
        entry = {"image": image, "runtime": runtime, "report": os.path.basename(report_path)}
        # Trivy reads containerd's images in CONTAINERD_NAMESPACE; Kubernetes keeps them in k8s.io.
        namespace = {"CONTAINERD_NAMESPACE": os.environ.get(
            "CONTAINERD_NAMESPACE", env("TRIVY_RESCAN_CONTAINERD_NAMESPACE", "k8s.io"))}
        try:
            result = run(argv + [image], timeout=1800,
                         extra_env=namespace if source == "containerd" else None)
            entry["exit_code"] = result.returncode
            if result.returncode != 0:
                raise RuntimeError(result.stderr.strip()[-500:])
            with open(report_path, encoding="utf-8") as handle:
                entry["counts"] = counts(json.load(handle))
            for severity, number in entry["counts"].items():
                summary["totals"][severity] += number
        except (RuntimeError, ValueError, OSError, subprocess.TimeoutExpired) as exc:
            entry["error"] = str(exc)
            summary["failed"] += 1
        summary["images"].append(entry)

    summary["finished"] = datetime.datetime.now(datetime.timezone.utc).isoformat()
    with open(os.path.join(run_dir, "summary.json"), "w", encoding="utf-8") as handle:
        json.dump(summary, handle, indent=2, sort_keys=True)
        handle.write("\n")
    latest = os.path.join(reports_dir, "latest")
    tmp_link = latest + ".new"
    if os.path.lexists(tmp_link):
        os.unlink(tmp_link)
    os.symlink(os.path.basename(run_dir), tmp_link)
    os.replace(tmp_link, latest)
    prune(reports_dir, keep)
    print(json.dumps({"images": len(summary["images"]), "failed": summary["failed"],
                      "totals": summary["totals"], "run": run_dir}))
    return 1 if summary["failed"] else 0


if __name__ == "__main__":
    sys.exit(main())
