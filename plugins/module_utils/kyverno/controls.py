# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Pod security controls: one ValidatingPolicy each, as CEL validations over the pod spec.
"""
from __future__ import annotations

_PS = "variables.podSpec"
_PSC = f"{_PS}.securityContext"
_SC = "c.securityContext"


def _flag_true(path: str, attr: str) -> str:
    return f"(has({path}.{attr}) && {path}.{attr} == true)"


def _cel_list(values) -> str:
    return "[" + ", ".join("'" + v + "'" for v in values) + "]"


def _control_validations(control: str, allowed_capabilities, seccomp_types) -> list[dict]:
    """The CEL validations of one control (``has()`` only; see the module docstring)."""
    if control == "disallow_host_namespaces":
        expr = " && ".join(f"!{_flag_true(_PS, f)}" for f in ("hostNetwork", "hostIPC", "hostPID"))
        return [{"expression": expr,
                 "message": "Sharing the host namespaces is disallowed: hostNetwork, hostIPC and "
                            "hostPID must be unset or false."}]
    if control == "disallow_privileged_containers":
        return [{"expression": f"variables.containers.all(c, !(has({_SC}) && "
                               f"{_flag_true(_SC, 'privileged')}))",
                 "message": "Privileged containers are disallowed: securityContext.privileged must "
                            "be unset or false in every container."}]
    if control == "disallow_privilege_escalation":
        return [{"expression": f"variables.containers.all(c, has({_SC}) && "
                               f"has({_SC}.allowPrivilegeEscalation) && "
                               f"{_SC}.allowPrivilegeEscalation == false)",
                 "message": "Privilege escalation is disallowed: every container must set "
                            "securityContext.allowPrivilegeEscalation to false."}]
    caps = f"{_SC}.capabilities"
    if control == "require_drop_all_capabilities":
        return [{"expression": f"variables.containers.all(c, has({_SC}) && has({caps}) && "
                               f"has({caps}.drop) && 'ALL' in {caps}.drop)",
                 "message": "Every container must drop ALL capabilities "
                            "(securityContext.capabilities.drop: [ALL])."}]
    if control == "restrict_added_capabilities":
        return [{"expression": f"variables.containers.all(c, !(has({_SC}) && has({caps}) && "
                               f"has({caps}.add)) || {caps}.add.all(cap, cap in "
                               f"{_cel_list(allowed_capabilities)}))",
                 "message": "Containers may add back only these capabilities: "
                            + (", ".join(allowed_capabilities) or "none") + "."}]
    if control == "require_run_as_non_root":
        pod_true = f"(has({_PSC}) && {_flag_true(_PSC, 'runAsNonRoot')})"
        pod_false = (f"(has({_PSC}) && has({_PSC}.runAsNonRoot) && "
                     f"{_PSC}.runAsNonRoot == false)")
        return [{"expression": f"!{pod_false} && variables.containers.all(c, "
                               f"(has({_SC}) && has({_SC}.runAsNonRoot)) ? "
                               f"{_SC}.runAsNonRoot == true : {pod_true})",
                 "message": "Containers must run as non-root: set securityContext.runAsNonRoot to "
                            "true on the pod, or on every container, and never to false."}]
    if control == "restrict_seccomp":
        allowed = _cel_list(seccomp_types)
        pod_set = f"(has({_PSC}) && has({_PSC}.seccompProfile))"
        return [{"expression": f"(!{pod_set} || {_PSC}.seccompProfile.type in {allowed}) && "
                               f"variables.containers.all(c, (has({_SC}) && "
                               f"has({_SC}.seccompProfile)) ? "
                               f"{_SC}.seccompProfile.type in {allowed} : {pod_set})",
                 "message": "A seccomp profile of type " + " or ".join(seccomp_types)
                            + " must be set on the pod or on every container; Unconfined and "
                              "no profile are disallowed."}]
    if control == "require_read_only_root_filesystem":
        return [{"expression": f"variables.containers.all(c, has({_SC}) && "
                               f"{_flag_true(_SC, 'readOnlyRootFilesystem')})",
                 "message": "Every container must set securityContext.readOnlyRootFilesystem to "
                            "true (Pod Security Admission 'restricted' does not require it)."}]
    raise KeyError(control)


# control key -> (policy name suffix, title, PSS level it comes from)
POD_SECURITY_CONTROLS = {
    "require_run_as_non_root": ("require-run-as-non-root", "Require run as non-root", "restricted"),
    "disallow_privilege_escalation": ("disallow-privilege-escalation",
                                      "Disallow privilege escalation", "restricted"),
    "require_drop_all_capabilities": ("require-drop-all-capabilities",
                                      "Drop ALL capabilities", "restricted"),
    "restrict_added_capabilities": ("restrict-added-capabilities",
                                    "Add back only allowed capabilities", "restricted"),
    "restrict_seccomp": ("restrict-seccomp", "Restrict seccomp profiles", "restricted"),
    "require_read_only_root_filesystem": ("require-read-only-root-filesystem",
                                          "Require a read-only root filesystem", "bulwark"),
    "disallow_privileged_containers": ("disallow-privileged-containers",
                                       "Disallow privileged containers", "baseline"),
    "disallow_host_namespaces": ("disallow-host-namespaces", "Disallow host namespaces",
                                 "baseline"),
}

POD_SPEC_VARIABLES = (
    {"name": "podSpec",
     "expression": "object.kind == 'Pod' ? object.spec : (object.kind == 'CronJob' ? "
                   "object.spec.jobTemplate.spec.template.spec : object.spec.template.spec)"},
    {"name": "containers",
     "expression": f"{_PS}.containers + "
                   f"(has({_PS}.initContainers) ? {_PS}.initContainers : []) + "
                   f"(has({_PS}.ephemeralContainers) ? {_PS}.ephemeralContainers : [])"},
)
