# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What a node really holds, read from its files and binaries: nothing is written.

Plain Python, no Ansible imports: the `bulwark_posture_facts` module calls `collect()` on the
node; tests call each reader on crafted directories. Every reader returns plain data and
records what it could not read instead of raising, so one broken part never hides the others.

No path here is a role's choice: every role passes its own (its defaults, or what the inventory
set) through its `tasks/posture.yml`, and asks only for its own part. The cosign role's
enforcement guard reads the same `ship` part (sigstore support, key files of a policy.json)
and fails on its verdict, so the probe exists once.
"""

from __future__ import annotations

import datetime
import glob
import hashlib
import mmap
import os
import re
import shutil
import subprocess

from ansible_collections.bulwark.container_security.plugins.module_utils.posture.checks import (
    parse_time,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.release_artifacts import (
    CATALOG,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.safe_input import (
    MAX_CONFIG_BYTES,
    InputError,
    load_json_file,
    read_bytes,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.seccomp_profiles import (
    syscall_names,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.gate import (
    iter_findings,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    RANK,
)

# Debian 12 patches sigstore verification out of containers/image; the message is compiled
# into the binary, so finding it is exact (roles/cosign/tasks/enforce.yml refuses enforcement
# on this module's verdict).
SIGSTORE_DISABLED_MARKER = b"Debian-local change: sigstore disabled"
POLICY_READERS = ("/usr/bin/skopeo", "/usr/bin/podman", "/usr/bin/buildah", "/usr/bin/crio")
# Releases whose containers/image packages are all built with sigstore disabled: on such a
# node without skopeo/podman installed, installing them would not help either.
SIGSTORE_DISABLED_RELEASES = {("debian", "12"): "Debian 12's skopeo and podman packages"}
# The system's own binary directories, searched after the role's bin_dir (and before PATH).
SEARCH_PATH = ("/usr/local/bin", "/usr/bin", "/usr/sbin", "/bin", "/sbin")
_VERSION_RE = re.compile(r"v?(\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)?)")


def now_iso():
    return datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0).isoformat()


def sha256_file(path):
    """The SHA-256 of a regular file; "" for what is not one (a FIFO, a device) or cannot be
    read, never a read that blocks (the report then fails that node's facts)."""
    try:
        return hashlib.sha256(read_bytes(path, "file", MAX_CONFIG_BYTES)).hexdigest()
    except InputError:
        return ""


def mtime_iso(path):
    stamp = os.stat(path).st_mtime
    return datetime.datetime.fromtimestamp(int(stamp), datetime.timezone.utc).isoformat()


def _run(argv, timeout=20):
    try:
        done = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, check=False)
    except (OSError, subprocess.TimeoutExpired) as exc:
        return 127, "", str(exc)
    return done.returncode, done.stdout, done.stderr


def find_binary(name, search_path=SEARCH_PATH):
    for directory in search_path:
        path = os.path.join(directory, name)
        if os.path.isfile(path) and os.access(path, os.X_OK):
            return path
    return shutil.which(name)


def tool_fact(spec, runner=_run):
    """One tool: where it is, what it answers, and whether that is the pinned version.

    `spec`: {name, pinned, pattern, expected, bin_dir, version_command}. `pattern` (a regex
    the version output must match) replaces the exact comparison, as the installer's
    `<tool>_version_pattern` does for builds that answer 'devel'. `bin_dir` (the role's
    `<tool>_bin_dir`) is searched before the system's directories.
    """
    name = spec["name"]
    command = (
        spec.get("version_command") or CATALOG.get(name, {}).get("version_command") or ["--version"]
    )
    fact = {
        "name": name,
        "installed": False,
        "path": None,
        "real_path": None,
        "version": None,
        "answer": "",
        "pinned": spec.get("pinned") or None,
        "pattern": spec.get("pattern") or None,
        "expected": bool(spec.get("expected", True)),
        "matches": None,
    }
    bin_dir = spec.get("bin_dir")
    path = find_binary(name, ((bin_dir,) if bin_dir else ()) + SEARCH_PATH)
    if not path:
        return fact
    fact.update(installed=True, path=path, real_path=os.path.realpath(path))
    rc, out, err = runner([path] + list(command))
    answer = (out + err).strip()
    fact["answer"] = answer.splitlines()[0][:200] if answer else f"(no output, rc={rc})"
    found = _VERSION_RE.search(answer) if rc == 0 else None
    fact["version"] = found.group(1) if found else None
    if fact["pattern"]:
        fact["matches"] = rc == 0 and re.search(fact["pattern"], answer) is not None
    elif fact["pinned"]:
        fact["matches"] = fact["version"] == str(fact["pinned"]).lstrip("v")
    return fact


def os_release(path="/etc/os-release"):
    """(ID, VERSION_ID) of the node, ('', '') when unknown."""
    values = {}
    try:
        with open(path, encoding="utf-8") as handle:
            for line in handle:
                key, _sep, value = line.strip().partition("=")
                values[key] = value.strip('"')
    except OSError:
        pass
    return values.get("ID", ""), values.get("VERSION_ID", "")


def sigstore_capability(readers=POLICY_READERS, release=None):
    """Which containers/image tools exist and whether their build can verify sigstore."""
    found = []
    for path in readers:
        if not os.path.isfile(path):
            continue
        with open(path, "rb") as handle:
            try:
                with mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ) as data:
                    disabled = data.find(SIGSTORE_DISABLED_MARKER) != -1
            except ValueError:  # empty file
                disabled = False
        found.append({"path": path, "sigstore": not disabled})
    disabled = [r["path"] for r in found if not r["sigstore"]]
    release = os_release() if release is None else release
    if not found and release in SIGSTORE_DISABLED_RELEASES:
        capable = False
        reason = (
            f"no containers/image tool installed, and {SIGSTORE_DISABLED_RELEASES[release]} "
            f'are built with sigstore verification disabled ("{SIGSTORE_DISABLED_MARKER.decode()}")'
        )
    elif not found:
        capable, reason = (
            None,
            "no containers/image tool (skopeo, podman, buildah, CRI-O) on the node",
        )
    elif disabled:
        capable = False
        reason = (
            f"{', '.join(disabled)} built with sigstore verification disabled "
            f'("{SIGSTORE_DISABLED_MARKER.decode()}"): '
            "a sigstoreSigned policy would refuse every image"
        )
    else:
        capable, reason = (
            True,
            f"{', '.join(r['path'] for r in found)} can verify sigstore signatures",
        )
    return {"readers": found, "capable": capable, "reason": reason}


def trusted_keys(key_dir):
    keys = []
    for path in sorted(glob.glob(os.path.join(key_dir, "*.pub"))):
        keys.append(
            {"name": os.path.basename(path)[:-4], "path": path, "sha256": sha256_file(path)}
        )
    return keys


def _requirement_keys(requirements, where):
    """The key files a list of policy.json requirements names; refuses what is not one."""
    if not isinstance(requirements, list):
        raise TypeError(f"{where} is a {type(requirements).__name__}, not a list of requirements")
    keys = []
    for index, requirement in enumerate(requirements):
        if not isinstance(requirement, dict):
            raise TypeError(f"{where}[{index}] is a {type(requirement).__name__}, not a mapping")
        many = requirement.get("keyPaths") or []
        if not isinstance(many, list):
            raise TypeError(f"{where}[{index}].keyPaths is a {type(many).__name__}, not a list")
        keys.extend(str(k) for k in [requirement.get("keyPath")] + many if k)
    return keys


def policy_summary(path, document=None):
    """policy.json's default and, per transport scope, its requirement types and key files;
    `keys_missing`: every key file it names (default and scopes) that is not on the node.

    `document`: a policy not written yet (the cosign role's, before it writes it) to judge
    instead of the file at `path`.
    """
    out = {
        "path": path,
        "present": document is not None or os.path.isfile(path),
        "error": None,
        "default": [],
        "scopes": [],
        "keys_missing": [],
    }
    if not out["present"]:
        return out
    try:
        policy = document if document is not None else load_json_file(
            path, "JSON file", MAX_CONFIG_BYTES)
        if not isinstance(policy, dict):
            raise TypeError(f"the policy is a {type(policy).__name__}, not a mapping")
        default = policy.get("default") or []
        keys = _requirement_keys(default, "default")
        out["default"] = [str(r.get("type")) for r in default]
        transports = policy.get("transports") or {}
        if not isinstance(transports, dict):
            raise TypeError(f"transports is a {type(transports).__name__}, not a mapping")
        for transport, scopes in sorted(transports.items()):
            if not isinstance(scopes, dict):
                raise TypeError(f"transports.{transport} is a {type(scopes).__name__}, "
                                "not a mapping")
            for scope, reqs in sorted(scopes.items()):
                scope_keys = _requirement_keys(reqs, f"transports.{transport}[{scope!r}]")
                keys.extend(scope_keys)
                out["scopes"].append(
                    {
                        "transport": transport,
                        "scope": scope,
                        "requirements": [str(r.get("type")) for r in reqs],
                        "keys": scope_keys,
                        "keys_missing": [k for k in scope_keys if not os.path.isfile(k)],
                    }
                )
        out["keys_missing"] = sorted({k for k in keys if not os.path.isfile(k)})
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        out["error"] = f"{path}: {exc}"
    return out


def ship_facts(ship):
    """The cosign role's part: its trust store, policy.json and sigstore support."""
    return {
        "trusted_keys": trusted_keys(ship["trusted_keys_dir"]),
        "policy": policy_summary(ship["policy_path"], ship.get("policy")),
        "sigstore": sigstore_capability(ship.get("policy_readers") or POLICY_READERS),
    }


def systemd_units(units, runner=_run):
    """{unit: {load, active, enabled}} from one `systemctl show` for all units."""
    result = {u: {"load": "unknown", "active": "unknown", "enabled": "unknown"} for u in units}
    if not units or not shutil.which("systemctl"):
        return result
    rc, out, _err = runner(
        ["systemctl", "show", "--property=Id,LoadState,ActiveState,UnitFileState"] + list(units)
    )
    if rc != 0:
        return result
    for unit, block in zip(units, out.strip().split("\n\n")):
        props = dict(line.split("=", 1) for line in block.splitlines() if "=" in line)
        result[unit] = {
            "load": props.get("LoadState", "unknown"),
            "active": props.get("ActiveState", "unknown"),
            "enabled": props.get("UnitFileState") or "unknown",
        }
    return result


def falco_driver(config_dir):
    """engine.kind from the role's drop-in (written by to_nice_yaml: 'engine:' then '  kind: x')."""
    path = os.path.join(config_dir, "bulwark.yaml")
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError:
        return None
    found = re.search(
        r"^engine:\s*\n(?:[ \t]+.*\n)*?[ \t]+kind:\s*([A-Za-z_-]+)", text, re.MULTILINE
    )
    return found.group(1) if found else None


def falco_facts(falco, service):
    """The falco role's part; `falco`: {service, config_dir, rules_dir, validation_record}."""
    rules_dir = falco["rules_dir"]
    rules = []
    for path in sorted(
        glob.glob(os.path.join(rules_dir, "*.yaml")) + glob.glob(os.path.join(rules_dir, "*.yml"))
    ):
        rules.append(
            {
                "path": path,
                "sha256": sha256_file(path),
                "modified": mtime_iso(path),
                "managed": os.path.basename(path).startswith("bulwark_"),
            }
        )
    binary = find_binary("falco")
    validation = {"result": "unknown", "time": None, "source": None}
    record = falco.get("validation_record")
    if record and os.path.isfile(record):
        try:
            data = load_json_file(record, "JSON file", MAX_CONFIG_BYTES)
            validation = {
                "result": "passed" if data.get("rc") == 0 else "failed",
                "time": data.get("time"),
                "source": record,
            }
        except (OSError, ValueError, AttributeError):
            validation = {"result": "unknown", "time": None, "source": f"{record} unreadable"}
    elif any(r["managed"] for r in rules):
        # The falco role swaps rule files in only after the staged set validated, so the
        # newest managed file is the time of the last validation that passed.
        validation = {
            "result": "passed",
            "time": max(r["modified"] for r in rules if r["managed"]),
            "source": "staged rollout (managed rule files are written only after validation)",
        }
    return {
        "installed": binary is not None,
        "path": binary,
        "driver": falco_driver(falco["config_dir"]),
        "service": dict(service, name=falco["service"]),
        "rules": rules,
        "validation": validation,
    }


def seccomp_facts(directory):
    profiles = []
    for path in sorted(glob.glob(os.path.join(directory, "*.json"))):
        entry = {
            "name": os.path.basename(path)[:-5],
            "path": path,
            "default_action": None,
            "syscalls": 0,
            "sha256": sha256_file(path),
            "error": None,
        }
        try:
            profile = load_json_file(path, "JSON file", MAX_CONFIG_BYTES)
            entry["default_action"] = str(profile.get("defaultAction"))
            entry["syscalls"] = len(syscall_names(profile))
        except (OSError, ValueError, AttributeError) as exc:
            entry["error"] = str(exc)[:200]
        profiles.append(entry)
    return {"dir": directory, "present": os.path.isdir(directory), "profiles": profiles}


def newest_summary(reports_dir):
    """Path of the newest rescan summary.json: `latest` first, else the newest run directory."""
    latest = os.path.join(reports_dir, "latest", "summary.json")
    if os.path.isfile(latest):
        return latest
    runs = sorted(
        glob.glob(os.path.join(reports_dir, "[0-9]" * 8 + "T" + "[0-9]" * 6 + "Z", "summary.json"))
    )
    return runs[-1] if runs else None


# The vulnerabilities of a rescan kept per image for the report's CVE table: the severities the
# report gates on (blocking CRITICAL, warning HIGH), the worst first, at most this many.
FINDING_SEVERITIES = ("CRITICAL", "HIGH")
MAX_FINDINGS = 100


def image_findings(run_dir, report_name):
    """(findings, total, error) of one rescan image report: each CRITICAL/HIGH vulnerability
    as {id, package, installed, fixed, severity, target}, read through trivy.gate's parser
    (the report is recognised as Trivy JSON first). `report_name` must be a file name in the
    run directory (the rescan writes it so); anything else is refused, not followed."""
    if not isinstance(report_name, str) or not report_name or os.path.basename(report_name) != \
            report_name or report_name in (".", ".."):
        return [], 0, f"report name {one_line(report_name)[:80]!r} is not a file of the run"
    path = os.path.join(run_dir, report_name)
    try:
        found = [f for f in iter_findings(load_json_file(path, "Trivy report"))
                 if f["kind"] == "vulnerability" and f["severity"] in FINDING_SEVERITIES]
    except (InputError, ValueError, TypeError) as exc:
        return [], 0, one_line(exc)[:300]
    unique = {}
    for f in found:
        unique.setdefault((f["id"], f["package"], f["installed"]), f)
    ranked = sorted(unique.values(), key=lambda f: (-RANK[f["severity"]], f["id"], f["package"]))
    return [{"id": f["id"], "package": f["package"], "installed": f["installed"],
             "fixed": f["fixed"], "severity": f["severity"], "target": f["target"]}
            for f in ranked[:MAX_FINDINGS]], len(ranked), None


def rescan_facts(reports_dir, collected, timer):
    out = {
        "reports_dir": reports_dir,
        "summary": None,
        "finished": None,
        "age_seconds": None,
        "images": [],
        "totals": {},
        "failed": 0,
        "error": None,
        "timer": timer,
    }
    path = newest_summary(reports_dir) if os.path.isdir(reports_dir) else None
    if not path:
        return out
    out["summary"] = path
    try:
        summary = load_json_file(path, "JSON file", MAX_CONFIG_BYTES)
        out["finished"] = summary.get("finished") or summary.get("started")
        out["totals"] = {str(k): int(v) for k, v in (summary.get("totals") or {}).items()}
        out["failed"] = int(summary.get("failed") or 0)
        for image in summary.get("images") or []:
            entry = {
                "image": str(image.get("image")),
                "runtime": str(image.get("runtime", "")),
                "counts": {str(k): int(v) for k, v in (image.get("counts") or {}).items()},
                "error": image.get("error"),
                "findings": [],
                "findings_total": 0,
                "findings_error": None,
            }
            if any(entry["counts"].get(s) for s in FINDING_SEVERITIES):
                entry["findings"], entry["findings_total"], entry["findings_error"] = \
                    image_findings(os.path.dirname(path), image.get("report"))
            out["images"].append(entry)
    except (OSError, ValueError, AttributeError, TypeError) as exc:
        out["error"] = f"{path}: {exc}"
    finished, now = parse_time(out["finished"]), parse_time(collected)
    if finished and now:
        out["age_seconds"] = max(0, int((now - finished).total_seconds()))
    return out


def collect(params, runner=_run):
    """The facts of the parts asked for, of one node. `params` are the module's options (see
    DOCUMENTATION): `tools`, and each of `ship`, `falco`, `seccomp`, `rescan` that is set. A part
    not asked is left out of the answer (its role answers for it), never filled with a guess."""
    collected = now_iso()
    falco, seccomp, rescan = params.get("falco"), params.get("seccomp"), params.get("rescan")
    units = [falco["service"] + ".service"] if falco else []
    units += [rescan["timer"]] if rescan else []
    states = systemd_units(units, runner) if units else {}
    out = {
        "collected": collected,
        "tools": [tool_fact(spec, runner) for spec in params.get("tools") or []],
    }
    if params.get("ship"):
        out["ship"] = ship_facts(params["ship"])
    if falco:
        out.setdefault("run", {})["falco"] = falco_facts(falco, states[units[0]])
    if seccomp:
        out.setdefault("run", {})["seccomp"] = seccomp_facts(seccomp["dir"])
    if rescan:
        out["build"] = {
            "rescan": dict(
                rescan_facts(rescan["reports_dir"], collected, states[rescan["timer"]]),
                schedule=rescan["schedule"],
            )
        }
    return out
