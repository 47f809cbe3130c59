# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The posture checks: facts in, one verdict per control out.

Plain Python, no Ansible imports. Every check has a stable id (`<layer>.<control>`, with the
subject appended for per-policy, per-namespace and per-image checks), a status (pass, warn,
fail), a one-line reason, the practice it serves (scan, sign, admit, run), the NIST SP 800-190
countermeasure it implements where one fits, and the variable that changes the outcome.
"""

from __future__ import annotations

STATUSES = ("pass", "warn", "fail")
PRACTICES = ("scan", "sign", "admit", "run")
LAYERS = ("build", "ship", "admit", "run")

# NIST SP 800-190 (2017), section 4 risks whose countermeasures (same section) a check verifies.
NIST = {
    "image_vulnerabilities": "4.1.1 Image vulnerabilities",
    "untrusted_images": "4.1.5 Use of untrusted images",
    "network_separation": "4.3.3 Poorly separated inter-container network traffic",
    "workload_sensitivity": "4.3.4 Mixing of workload sensitivity levels",
    "runtime_config": "4.4.3 Insecure container runtime configurations",
    "app_vulnerabilities": "4.4.4 App vulnerabilities (runtime defense)",
    "host_components": "4.5.3 Host OS component vulnerabilities",
}

# systemd OnCalendar shorthands (systemd.time(7)) and their period in seconds.
CALENDAR_PERIODS = {
    "minutely": 60,
    "hourly": 3600,
    "daily": 86400,
    "weekly": 7 * 86400,
    "monthly": 31 * 86400,
    "quarterly": 92 * 86400,
    "semiannually": 184 * 86400,
    "yearly": 366 * 86400,
    "annually": 366 * 86400,
}
DEFAULT_PERIOD = 86400


def check(check_id, status, reason, practice, layer, nist=None, fix=None):
    if status not in STATUSES:
        raise ValueError(f"check {check_id}: status {status!r} is not one of {', '.join(STATUSES)}")
    return {
        "id": check_id,
        "status": status,
        "reason": reason,
        "practice": practice,
        "layer": layer,
        "nist": NIST[nist] if nist else None,
        "fix": fix,
    }


def worst(statuses):
    """The worst status of an iterable (fail > warn > pass); None when empty."""
    ranked = [STATUSES.index(s) for s in statuses]
    return STATUSES[max(ranked)] if ranked else None


def schedule_period(schedule):
    """Seconds between two runs of an OnCalendar shorthand; unknown expressions count as daily."""
    return CALENDAR_PERIODS.get(str(schedule).strip().lower(), DEFAULT_PERIOD)


def _duration(seconds):
    if seconds >= 86400:
        return f"{seconds / 86400:.1f} days"
    return f"{seconds / 3600:.1f} h"


# --- per node ---------------------------------------------------------------------------------


def tool_checks(tools):
    out = []
    for tool in tools:
        name = tool["name"]
        cid = (
            f"ship.tool.{name}"
            if name == "cosign"
            else f"{'run' if name == 'falco' else 'build'}.tool.{name}"
        )
        layer = cid.split(".", maxsplit=1)[0]
        practice = {"cosign": "sign", "falco": "run"}.get(name, "scan")
        fix = f"{name}_version"
        if not tool["installed"]:
            status = "fail" if tool["expected"] else "warn"
            out.append(
                check(
                    cid,
                    status,
                    f"{name} is not installed on the node",
                    practice,
                    layer,
                    "host_components",
                    f"{name}_install_method",
                )
            )
        elif tool["matches"] is False:
            want = tool["pattern"] and f"pattern {tool['pattern']!r}" or tool["pinned"]
            out.append(
                check(
                    cid,
                    "fail",
                    f"{tool['path']} answers {tool['version'] or tool['answer']!r}, pinned {want}",
                    practice,
                    layer,
                    "host_components",
                    fix,
                )
            )
        elif tool["matches"] is None:
            out.append(
                check(
                    cid,
                    "warn",
                    f"{tool['path']} answers {tool['version'] or tool['answer']!r}; "
                    f"no pinned version to compare",
                    practice,
                    layer,
                    "host_components",
                    fix,
                )
            )
        else:
            out.append(
                check(
                    cid,
                    "pass",
                    f"{tool['real_path']} is the pinned {tool['version'] or tool['answer']}",
                    practice,
                    layer,
                    "host_components",
                    fix,
                )
            )
    return out


def ship_checks(ship):
    keys, policy, sigstore = ship["trusted_keys"], ship["policy"], ship["sigstore"]
    out = []
    if keys:
        out.append(
            check(
                "ship.trust_store",
                "pass",
                f"{len(keys)} trusted key(s): " + ", ".join(k["name"] for k in keys),
                "sign",
                "ship",
                "untrusted_images",
            )
        )
    else:
        out.append(
            check(
                "ship.trust_store",
                "fail",
                "no trusted public key on the node",
                "sign",
                "ship",
                "untrusted_images",
                "cosign_trusted_keys",
            )
        )
    if sigstore["capable"] is False:
        out.append(
            check(
                "ship.sigstore_capable",
                "fail",
                sigstore["reason"],
                "sign",
                "ship",
                "untrusted_images",
                "cosign_enforce",
            )
        )
    elif sigstore["capable"] is None:
        out.append(
            check(
                "ship.sigstore_capable",
                "warn",
                sigstore["reason"],
                "sign",
                "ship",
                "untrusted_images",
                "cosign_enforce_packages",
            )
        )
    else:
        out.append(
            check(
                "ship.sigstore_capable",
                "pass",
                sigstore["reason"],
                "sign",
                "ship",
                "untrusted_images",
            )
        )
    enforced = [s for s in policy["scopes"] if "sigstoreSigned" in s["requirements"]]
    missing = sorted({k for s in enforced for k in s["keys_missing"]})
    if policy["error"]:
        status, reason = "fail", f"policy.json unreadable: {policy['error']}"
    elif not enforced and sigstore["capable"] is False:
        status, reason = "fail", f"signatures cannot be enforced here: {sigstore['reason']}"
    elif not policy["present"]:
        status, reason = (
            "fail",
            f"{policy['path']} is absent: images are not checked for signatures",
        )
    elif not enforced:
        status, reason = (
            "fail",
            "no scope of policy.json requires a signature (cosign_enforce: false)",
        )
    elif sigstore["capable"] is False:
        status = "fail"
        reason = (
            f"policy.json requires signatures for {', '.join(s['scope'] for s in enforced)}, "
            f"but {sigstore['reason']}"
        )
    elif missing:
        status, reason = (
            "fail",
            f"policy.json names key files that are absent: {', '.join(missing)}",
        )
    else:
        status, reason = (
            "pass",
            "signatures enforced for " + ", ".join(s["scope"] for s in enforced),
        )
    out.append(
        check(
            "ship.signature_enforcement",
            status,
            reason,
            "sign",
            "ship",
            "untrusted_images",
            None if status == "pass" else "cosign_enforce",
        )
    )
    default = policy["default"]
    if default == ["reject"]:
        out.append(
            check(
                "ship.policy_default",
                "pass",
                "images outside the scopes are refused",
                "sign",
                "ship",
                "untrusted_images",
            )
        )
    elif policy["present"] and not policy["error"]:
        out.append(
            check(
                "ship.policy_default",
                "warn",
                f"images outside the scopes are accepted (default {', '.join(default) or 'none'})",
                "sign",
                "ship",
                "untrusted_images",
                "cosign_policy_default",
            )
        )
    return out


def run_checks(run):
    falco, seccomp = run["falco"], run["seccomp"]
    out = []
    if falco["installed"]:
        out.append(
            check(
                "run.falco_installed",
                "pass",
                f"{falco['path']} (driver {falco['driver'] or 'unknown'})",
                "run",
                "run",
                "app_vulnerabilities",
            )
        )
    else:
        out.append(
            check(
                "run.falco_installed",
                "fail",
                "falco is not installed: no runtime detection",
                "run",
                "run",
                "app_vulnerabilities",
                "falco_install_method",
            )
        )
    service = falco["service"]
    if service["active"] == "active":
        out.append(
            check(
                "run.falco_service",
                "pass",
                f"{service['name']} is active",
                "run",
                "run",
                "app_vulnerabilities",
            )
        )
    else:
        out.append(
            check(
                "run.falco_service",
                "fail",
                f"{service['name']} is {service['active']} (unit {service['load']})",
                "run",
                "run",
                "app_vulnerabilities",
                "falco_service_manage",
            )
        )
    validation, managed = falco["validation"], [r for r in falco["rules"] if r["managed"]]
    if validation["result"] == "failed":
        out.append(
            check(
                "run.falco_rules",
                "fail",
                f"last rules validation failed ({validation['time']})",
                "run",
                "run",
                "app_vulnerabilities",
                "falco_rules_extra",
            )
        )
    elif not managed:
        out.append(
            check(
                "run.falco_rules",
                "fail",
                "no Bulwark rule file in the rules directory",
                "run",
                "run",
                "app_vulnerabilities",
                "falco_rules_library",
            )
        )
    elif validation["result"] == "passed":
        out.append(
            check(
                "run.falco_rules",
                "pass",
                f"{len(falco['rules'])} rule file(s), validated {validation['time']}",
                "run",
                "run",
                "app_vulnerabilities",
            )
        )
    else:
        out.append(
            check(
                "run.falco_rules",
                "warn",
                f"{len(falco['rules'])} rule file(s), no validation record",
                "run",
                "run",
                "app_vulnerabilities",
                "falco_rules_validate_command",
            )
        )
    broken = [p["name"] for p in seccomp["profiles"] if p["error"]]
    permissive = [
        p["name"]
        for p in seccomp["profiles"]
        if p["default_action"] in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG")
    ]
    if broken:
        out.append(
            check(
                "run.seccomp_profiles",
                "fail",
                f"unreadable profile(s): {', '.join(broken)}",
                "run",
                "run",
                "runtime_config",
                "seccomp_profiles_extra",
            )
        )
    elif not seccomp["profiles"]:
        out.append(
            check(
                "run.seccomp_profiles",
                "fail",
                f"no seccomp profile in {seccomp['dir']}",
                "run",
                "run",
                "runtime_config",
                "seccomp_profiles_builtin",
            )
        )
    elif permissive:
        out.append(
            check(
                "run.seccomp_profiles",
                "warn",
                f"default action allows every syscall in {', '.join(permissive)}",
                "run",
                "run",
                "runtime_config",
                "seccomp_profiles_extra",
            )
        )
    else:
        out.append(
            check(
                "run.seccomp_profiles",
                "pass",
                f"{len(seccomp['profiles'])} profile(s): "
                + ", ".join(
                    f"{p['name']} ({p['default_action']}, {p['syscalls']} syscalls)"
                    for p in seccomp["profiles"]
                ),
                "run",
                "run",
                "runtime_config",
            )
        )
    return out


def build_checks(build, blocking=("CRITICAL",), warning=("HIGH",)):
    rescan = build["rescan"]
    period = schedule_period(rescan.get("schedule", "daily"))
    out = []
    if rescan["error"]:
        return [
            check(
                "build.rescan",
                "fail",
                rescan["error"],
                "scan",
                "build",
                "image_vulnerabilities",
                "trivy_rescan_enabled",
            )
        ]
    if not rescan["summary"]:
        timer = rescan["timer"]
        state = f"timer {timer['enabled']}/{timer['active']}" if timer else "no timer"
        return [
            check(
                "build.rescan",
                "fail",
                f"no rescan summary in {rescan['reports_dir']} ({state})",
                "scan",
                "build",
                "image_vulnerabilities",
                "trivy_rescan_enabled",
            )
        ]
    age = rescan["age_seconds"]
    if age is None or age > 2 * period:
        out.append(
            check(
                "build.rescan",
                "fail",
                f"newest rescan is stale: {_duration(age) if age is not None else 'age unknown'}"
                f" old, timer period {_duration(period)}",
                "scan",
                "build",
                "image_vulnerabilities",
                "trivy_rescan_schedule",
            )
        )
    elif rescan["failed"]:
        out.append(
            check(
                "build.rescan",
                "warn",
                f"{rescan['failed']} image(s) or runtime(s) failed to scan",
                "scan",
                "build",
                "image_vulnerabilities",
                "trivy_rescan_runtimes",
            )
        )
    else:
        out.append(
            check(
                "build.rescan",
                "pass",
                f"{len(rescan['images'])} image(s) scanned {_duration(age)} ago",
                "scan",
                "build",
                "image_vulnerabilities",
            )
        )
    totals = rescan["totals"]
    block = {s: totals.get(s, 0) for s in blocking if totals.get(s, 0)}
    warn = {s: totals.get(s, 0) for s in warning if totals.get(s, 0)}
    if block:
        status, counts = "fail", block
    elif warn:
        status, counts = "warn", warn
    else:
        status, counts = "pass", {}
    reason = (
        "no blocking vulnerability in the node's images"
        if not counts
        else ", ".join(f"{n} {s}" for s, n in counts.items())
        + " in "
        + ", ".join(i["image"] for i in rescan["images"] if any(i["counts"].get(s) for s in counts))
    )
    out.append(
        check(
            "build.image_vulnerabilities",
            status,
            reason,
            "scan",
            "build",
            "image_vulnerabilities",
            None if status == "pass" else "trivy_ignores",
        )
    )
    return out


def node_checks(facts):
    return (
        tool_checks(facts["tools"])
        + ship_checks(facts["ship"])
        + run_checks(facts["run"])
        + build_checks(facts["build"])
    )


def verdict(name, checks):
    """One line per node: the worst status, counts, and the first failed check with its reason."""
    status = worst(c["status"] for c in checks) or "pass"
    counts = {s: sum(1 for c in checks if c["status"] == s) for s in STATUSES}
    line = (f"{name}: {status.upper()} ({counts['pass']} pass, {counts['warn']} warn, "
            f"{counts['fail']} fail)")
    failed = [c for c in checks if c["status"] == "fail"]
    enforcement = [c for c in failed if c["id"] == "ship.signature_enforcement"]
    shown = enforcement or failed[:1]
    if shown:
        line += f"; {shown[0]['id']}: {shown[0]['reason']}"
    return {"status": status, "counts": counts, "line": line}
