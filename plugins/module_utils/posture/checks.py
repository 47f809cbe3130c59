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

import datetime
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)

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

# What fixes a vulnerable image, in the order to try it: an ignore entry only accepts a risk.
REBUILD = ("rebuild the image on a patched base image, or upgrade each package of the CVE table "
           "to its fixed version, then rescan; an expiring trivy_ignore_entries entry only for "
           "a risk you accept")

# systemd OnCalendar shorthands (systemd.time(7)) and their period in seconds.
# Every control: (practice, layer, NIST key, the variable that fixes it). Checks about one
# subject (a tool, a policy, a namespace, an image) append it to the id of their control.
CONTROLS = {
    "ship.tool": ("sign", "ship", "host_components", "{name}_version"),
    "build.tool": ("scan", "build", "host_components", "{name}_version"),
    "run.tool": ("run", "run", "host_components", "{name}_version"),
    "ship.trust_store": ("sign", "ship", "untrusted_images", "cosign_trusted_keys"),
    "ship.sigstore_capable": ("sign", "ship", "untrusted_images", "cosign_enforce"),
    "ship.signature_enforcement": ("sign", "ship", "untrusted_images", "cosign_enforce"),
    "ship.policy_default": ("sign", "ship", "untrusted_images", "cosign_policy_default"),
    "run.falco_installed": ("run", "run", "app_vulnerabilities", "falco_install_method"),
    "run.falco_service": ("run", "run", "app_vulnerabilities", "falco_service_manage"),
    "run.falco_rules": ("run", "run", "app_vulnerabilities", "falco_rules_extra"),
    "run.seccomp_profiles": ("run", "run", "runtime_config", "seccomp_profiles_extra"),
    "build.rescan": ("scan", "build", "image_vulnerabilities", "trivy_rescan_enabled"),
    "build.image_vulnerabilities": ("scan", "build", "image_vulnerabilities", REBUILD),
    "node.reachable": ("run", "run", None, "ansible_host"),
    "admit.policy": ("admit", "admit", "runtime_config",
                     "kyverno_policy_settings.pod_security.actions.{name}"),
    "admit.image_policy": ("admit", "admit", "untrusted_images",
                           "kyverno_policy_settings.image_verification"),
    "admit.image_signatures": ("admit", "admit", "untrusted_images",
                               "kyverno_policy_settings.image_verification"),
    "admit.namespace.pod_security": ("admit", "admit", "workload_sensitivity",
                                     "kyverno_policy_settings.namespaces[{name}].pod_security"),
    "admit.namespace.network": ("admit", "admit", "network_separation",
                                "kyverno_policy_settings.namespaces[{name}].network"),
    # the live cluster (playbooks/tasks/posture_cluster_live.yml, posture_kubeconfig)
    "admit.violations": ("admit", "admit", "runtime_config",
                         "fix the resources the PolicyReports name, or set the policy to Deny"),
    "admit.exception": ("admit", "admit", "workload_sensitivity",
                        "delete or renew it through kyverno_policy_settings.exceptions"),
    "admit.drift": ("admit", "admit", "runtime_config",
                    "apply the bundle (playbooks/cluster_policies.yml or the Pulumi program)"),
    "admit.live": ("admit", "admit", None, "posture_kubeconfig"),
    "sign.image": ("sign", "ship", "untrusted_images", "posture_public_keys"),
    "scan.image": ("scan", "build", "image_vulnerabilities", "posture_attestation_max_age_hours"),
}
CALENDAR_PERIODS = {"minutely": 60, "hourly": 3600, "daily": 86400, "weekly": 7 * 86400,
                    "monthly": 31 * 86400, "quarterly": 92 * 86400, "semiannually": 184 * 86400,
                    "yearly": 366 * 86400, "annually": 366 * 86400}
DEFAULT_PERIOD = 86400


def check(check_id, status, reason, practice, layer, nist=None, fix=None, *,  # noqa: PLR0913
          control=None, subject=None, group=None, unread=False):
    """One check. Fact text in the id, the reason or the fix is made one printable line here
    (a file name with a newline must not make the report invalid), blanks in the id `_`.

    `control` (the id without its subject) and `group` (what checks of one kind share, the
    reason without its subject) let the page say one line per kind; `unread` marks a check
    that fails because its input could not be read (its matrix cell reads "unknown")."""
    if status not in STATUSES:
        raise ValueError(f"check {check_id}: status {status!r} is not one of {', '.join(STATUSES)}")
    check_id = re.sub(r"\s", "_", one_line(check_id))
    reason = one_line(reason) or "(no reason given)"
    fix = one_line(fix) if fix is not None else None
    return {"id": check_id, "status": status, "reason": reason, "practice": practice,
            "layer": layer, "nist": NIST[nist] if nist else None, "fix": fix,
            "control": re.sub(r"\s", "_", one_line(control)) if control else check_id,
            "subject": one_line(subject) if subject is not None else None,
            "group": one_line(group) if group else reason, "unread": bool(unread)}


def result(control, status, reason, subject=None, fix=None, group=None, unread=False):
    """A check of `control` (a CONTROLS key), about `subject` when the control has several.

    The id is `<control>.<subject>` for a subject, except that per-namespace controls read
    `admit.namespace.<name>.<what>`. The fix is given only to checks that do not pass.
    `group`: the reason without its subject, for checks the page puts on one line."""
    practice, layer, nist, default_fix = CONTROLS[control]
    check_id = control
    if subject is not None:
        parts = control.rsplit(".", 1)
        check_id = (f"{parts[0]}.{subject}.{parts[1]}" if control.startswith("admit.namespace.")
                    else f"{control}.{subject}")
    if status != "pass":
        fix = fix or default_fix.format(name=subject)
    else:
        fix = None
    return check(check_id, status, reason, practice, layer, nist, fix, control=control,
                 subject=None if subject is None else str(subject), group=group, unread=unread)


def worst(statuses):
    """The worst status of an iterable (fail > warn > pass); None when empty."""
    ranked = [STATUSES.index(s) for s in statuses]
    return STATUSES[max(ranked)] if ranked else None


def parse_time(value):
    """An aware datetime from ISO 8601 text ('Z' accepted, naive read as UTC); None if not one."""
    try:
        stamp = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return stamp if stamp.tzinfo else stamp.replace(tzinfo=datetime.timezone.utc)


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
        control = {"cosign": "ship.tool", "falco": "run.tool"}.get(name, "build.tool")
        answer = tool["version"] or tool["answer"]
        if not tool["installed"]:
            out.append(result(control, "fail" if tool["expected"] else "warn",
                              f"{name} is not installed on the node", name,
                              f"{name}_install_method"))
        elif tool["matches"] is False:
            want = tool["pattern"] and f"pattern {tool['pattern']!r}" or tool["pinned"]
            out.append(result(control, "fail", f"{tool['path']} answers {answer!r}, pinned {want}",
                              name))
        elif tool["matches"] is None:
            out.append(result(control, "warn", f"{tool['path']} answers {answer!r}; no pinned "
                              f"version to compare", name))
        else:
            out.append(result(control, "pass", f"{tool['real_path']} is the pinned {answer}", name))
    return out


def _enforcement(policy, sigstore):
    """(status, reason) of ship.signature_enforcement."""
    enforced = [s for s in policy["scopes"] if "sigstoreSigned" in s["requirements"]]
    scopes = ", ".join(s["scope"] for s in enforced)
    missing = sorted({k for s in enforced for k in s["keys_missing"]})
    if policy["error"]:
        return "fail", f"policy.json unreadable: {policy['error']}"
    if sigstore["capable"] is False:
        if enforced:
            return "fail", f"policy.json requires signatures for {scopes}, but {sigstore['reason']}"
        return "fail", f"signatures cannot be enforced here: {sigstore['reason']}"
    if not policy["present"]:
        return "fail", f"{policy['path']} is absent: images are not checked for signatures"
    if not enforced:
        return "fail", "no scope of policy.json requires a signature (cosign_enforce: false)"
    if missing:
        return "fail", f"policy.json names key files that are absent: {', '.join(missing)}"
    return "pass", f"signatures enforced for {scopes}"


def ship_checks(ship):
    keys, policy, sigstore = ship["trusted_keys"], ship["policy"], ship["sigstore"]
    out = []
    if keys:
        out.append(result("ship.trust_store", "pass", f"{len(keys)} trusted key(s): "
                          + ", ".join(k["name"] for k in keys)))
    else:
        out.append(result("ship.trust_store", "fail", "no trusted public key on the node"))
    capable = {True: "pass", False: "fail", None: "warn"}[sigstore["capable"]]
    out.append(result("ship.sigstore_capable", capable, sigstore["reason"],
                      fix="cosign_enforce_packages" if capable == "warn" else None))
    out.append(result("ship.signature_enforcement", *_enforcement(policy, sigstore)))
    default = policy["default"]
    if default == ["reject"]:
        out.append(result("ship.policy_default", "pass", "images outside the scopes are refused"))
    elif policy["present"] and not policy["error"]:
        out.append(result("ship.policy_default", "warn", f"images outside the scopes are accepted "
                          f"(default {', '.join(default) or 'none'})"))
    return out


def _falco_rules(falco):
    validation, rules = falco["validation"], falco["rules"]
    if validation["result"] == "failed":
        return result("run.falco_rules", "fail",
                      f"last rules validation failed ({validation['time']})")
    if not any(r["managed"] for r in rules):
        return result("run.falco_rules", "fail", "no Bulwark rule file in the rules directory",
                      fix="falco_rules_library")
    if validation["result"] == "passed":
        return result("run.falco_rules", "pass", f"{len(rules)} rule file(s), validated "
                      f"{validation['time']}")
    return result("run.falco_rules", "warn", f"{len(rules)} rule file(s), no validation record",
                  fix="falco_rules_validate_command")


def _seccomp(seccomp):
    profiles = seccomp["profiles"]
    broken = [p["name"] for p in profiles if p["error"]]
    permissive = [p["name"] for p in profiles
                  if p["default_action"] in ("SCMP_ACT_ALLOW", "SCMP_ACT_LOG")]
    if broken:
        return result("run.seccomp_profiles", "fail", f"unreadable profile(s): {', '.join(broken)}")
    if not profiles:
        return result("run.seccomp_profiles", "fail", f"no seccomp profile in {seccomp['dir']}",
                      fix="seccomp_profiles_builtin")
    if permissive:
        return result("run.seccomp_profiles", "warn", f"default action allows every syscall in "
                      f"{', '.join(permissive)}")
    return result("run.seccomp_profiles", "pass", f"{len(profiles)} profile(s): " + ", ".join(
        f"{p['name']} ({p['default_action']}, {p['syscalls']} syscalls)" for p in profiles))


def run_checks(run):
    falco, service = run["falco"], run["falco"]["service"]
    if falco["installed"]:
        installed = result("run.falco_installed", "pass",
                           f"{falco['path']} (driver {falco['driver'] or 'unknown'})")
    else:
        installed = result("run.falco_installed", "fail",
                           "falco is not installed: no runtime detection")
    if service["active"] == "active":
        running = result("run.falco_service", "pass", f"{service['name']} is active")
    else:
        running = result("run.falco_service", "fail", f"{service['name']} is {service['active']} "
                         f"(unit {service['load']})")
    return [installed, running, _falco_rules(falco), _seccomp(run["seccomp"])]


def _rescan(rescan):
    if rescan["error"]:
        return result("build.rescan", "fail", rescan["error"], unread=True)
    if not rescan["summary"]:
        timer = rescan["timer"]
        state = f"timer {timer['enabled']}/{timer['active']}" if timer else "no timer"
        return result("build.rescan", "fail",
                      f"no rescan summary in {rescan['reports_dir']} ({state})")
    age, period = rescan["age_seconds"], schedule_period(rescan.get("schedule", "daily"))
    if age is None or age > 2 * period:
        old = _duration(age) if age is not None else "age unknown"
        return result("build.rescan", "fail", f"newest rescan is stale: {old} old, timer period "
                      f"{_duration(period)}", fix="trivy_rescan_schedule")
    if rescan["failed"]:
        return result("build.rescan", "warn",
                      f"{rescan['failed']} image(s) or runtime(s) failed to scan",
                      fix="trivy_rescan_runtimes")
    return result("build.rescan", "pass", f"{len(rescan['images'])} image(s) scanned "
                  f"{_duration(age)} ago")


def build_checks(build, blocking=("CRITICAL",), warning=("HIGH",)):
    rescan = build["rescan"]
    first = _rescan(rescan)
    if rescan["error"] or not rescan["summary"]:
        return [first]
    totals = rescan["totals"]
    block = {s: totals[s] for s in blocking if totals.get(s)}
    warn = {s: totals[s] for s in warning if totals.get(s)}
    status, counts = ("fail", block) if block else ("warn", warn) if warn else ("pass", {})
    if counts:
        hit = [i for i in rescan["images"] if any(i["counts"].get(s) for s in counts)]
        reason = (", ".join(f"{n} {s}" for s, n in counts.items()) + " in "
                  + ", ".join(i["image"] for i in hit))
        unread = [i["image"] for i in hit if i.get("findings_error")]
        if unread:
            reason += f" (CVE details unreadable for {', '.join(unread)})"
    else:
        reason = "no blocking vulnerability in the node's images"
    return [first, result("build.image_vulnerabilities", status, reason)]


def remedy(finding, image):
    """What fixes one vulnerability, the fix first: the package upgraded to its fixed version
    (patch the image or rebuild it on a base image that has it); without a fixed version, a
    rebuild without the package or on another base; an ignore only as an accepted risk."""
    if finding["fixed"]:
        return (f"upgrade {finding['package']} to {finding['fixed']} in {image} (patch the "
                f"image or rebuild it on a base image that has it), then rescan")
    return (f"no fixed version of {finding['package']} yet: rebuild {image} without it or on "
            "another base image; until then an expiring trivy_ignore_entries entry with the "
            "reason, if you accept the risk")


def vulnerabilities(facts, blocking=("CRITICAL",)):
    """The CVE table of one node: each CRITICAL/HIGH finding of its newest rescan with the
    image, whether it blocks, and its remedy. Facts of another shape give an empty table (the
    build checks already fail on them)."""
    try:
        images = facts["build"]["rescan"]["images"]
        out = []
        for image in images:
            for f in image.get("findings") or []:
                keys = ("id", "package", "installed", "fixed", "severity", "target")
                row = {k: one_line(f[k]) for k in keys}
                row.update(image=one_line(image["image"]), blocking=row["severity"] in blocking,
                           remedy=remedy(row, one_line(image["image"])))
                out.append(row)
        return out
    except MALFORMED:
        return []


# The facts each group of node checks reads, and where its checks go when they are malformed.
FACT_GROUPS = (("tools", tool_checks, "scan", "build"), ("ship", ship_checks, "sign", "ship"),
               ("run", run_checks, "run", "run"), ("build", build_checks, "scan", "build"))
MALFORMED = (KeyError, IndexError, TypeError, AttributeError, ValueError)


def malformed(where, exc):
    """Why facts could not be checked, without their values: the exception's kind and key."""
    if isinstance(exc, KeyError):
        detail = f"missing key {one_line(exc.args[0] if exc.args else '')[:60]}"
    else:
        detail = f"a value of the wrong type or form ({type(exc).__name__})"
    return f"the node's {where} facts are malformed: {detail}; the check could not run"


def node_checks(facts):
    """Every check of one node. A group whose facts are malformed (missing, wrong-typed) gives
    one failed check with the reason instead of its checks, and the other groups still run."""
    out = []
    for group, checks_of, practice, layer in FACT_GROUPS:
        value = facts.get(group) if isinstance(facts, dict) else None
        try:
            if group == "tools":
                if not isinstance(value, list):
                    raise TypeError(group)
                for index, tool in enumerate(value):
                    try:
                        out.extend(tool_checks([tool]))
                    except MALFORMED as exc:
                        out.append(check(f"{layer}.facts.tools.{index}", "fail",
                                         malformed(f"tools[{index}]", exc), practice, layer,
                                         "host_components", "bulwark_posture_facts",
                                         control=f"{layer}.facts", unread=True))
                continue
            if not isinstance(value, dict):
                raise TypeError(group)
            out.extend(checks_of(value))
        except MALFORMED as exc:
            out.append(check(f"{layer}.facts.{group}", "fail", malformed(group, exc), practice,
                             layer, None, "bulwark_posture_facts", control=f"{layer}.facts",
                             unread=True))
    return out


def verdict(name, checks):
    """One line per node: the worst status, counts, and the first failed check with its reason."""
    status = worst(c["status"] for c in checks) or "pass"
    counts = {s: sum(1 for c in checks if c["status"] == s) for s in STATUSES}
    line = (f"{one_line(name)}: {status.upper()} ({counts['pass']} pass, {counts['warn']} warn, "
            f"{counts['fail']} fail)")
    failed = [c for c in checks if c["status"] == "fail"]
    enforcement = [c for c in failed if c["id"] == "ship.signature_enforcement"]
    shown = enforcement or failed[:1]
    if shown:
        line += f"; {shown[0]['id']}: {shown[0]['reason']}"
    return {"status": status, "counts": counts, "line": line}
