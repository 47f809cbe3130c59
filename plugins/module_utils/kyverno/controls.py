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


def _each_container(condition: str) -> str:
    """CEL: every container (init and ephemeral ones included) meets ``condition`` (over ``c``)."""
    return f"variables.containers.all(c, {condition})"


def _set_here_else_pod(field: str, container_check: str, pod_check: str) -> str:
    """CEL: a container that sets ``field`` must pass ``container_check``; one that does not
    inherits the pod's setting, which must pass ``pod_check``."""
    return _each_container(f"(has({_SC}) && has({_SC}.{field})) ? {container_check} : {pod_check}")


_CAPS = f"{_SC}.capabilities"
_POD_SECCOMP_SET = f"(has({_PSC}) && has({_PSC}.seccompProfile))"


def _seccomp_expression(_allowed_capabilities, seccomp_types) -> str:
    allowed = _cel_list(seccomp_types)
    return (f"(!{_POD_SECCOMP_SET} || {_PSC}.seccompProfile.type in {allowed}) && "
            + _set_here_else_pod("seccompProfile", f"{_SC}.seccompProfile.type in {allowed}",
                                 _POD_SECCOMP_SET))


# control -> (CEL expression, message) of its one validation. The expression is a string, or a
# function (allowed_capabilities, seccomp_types) -> string where it depends on the settings; the
# message may name {capabilities} and {seccomp_types}, filled in from the same settings.
_CONTROL_CEL = {
    "disallow_host_namespaces": (
        " && ".join(f"!{_flag_true(_PS, f)}" for f in ("hostNetwork", "hostIPC", "hostPID")),
        "Sharing the host namespaces is disallowed: hostNetwork, hostIPC and hostPID must be unset "
        "or false."),
    "disallow_privileged_containers": (
        _each_container(f"!(has({_SC}) && {_flag_true(_SC, 'privileged')})"),
        "Privileged containers are disallowed: securityContext.privileged must be unset or false "
        "in every container."),
    "disallow_privilege_escalation": (
        _each_container(f"has({_SC}) && has({_SC}.allowPrivilegeEscalation) && "
                        f"{_SC}.allowPrivilegeEscalation == false"),
        "Privilege escalation is disallowed: every container must set "
        "securityContext.allowPrivilegeEscalation to false."),
    "require_drop_all_capabilities": (
        _each_container(f"has({_SC}) && has({_CAPS}) && has({_CAPS}.drop) && "
                        f"'ALL' in {_CAPS}.drop"),
        "Every container must drop ALL capabilities (securityContext.capabilities.drop: [ALL])."),
    "restrict_added_capabilities": (
        lambda allowed_capabilities, _seccomp_types: _each_container(
            f"!(has({_SC}) && has({_CAPS}) && has({_CAPS}.add)) || "
            f"{_CAPS}.add.all(cap, cap in {_cel_list(allowed_capabilities)})"),
        "Containers may add back only these capabilities: {capabilities}."),
    "require_run_as_non_root": (
        f"!(has({_PSC}) && has({_PSC}.runAsNonRoot) && {_PSC}.runAsNonRoot == false) && "
        + _set_here_else_pod("runAsNonRoot", f"{_SC}.runAsNonRoot == true",
                             f"(has({_PSC}) && {_flag_true(_PSC, 'runAsNonRoot')})"),
        "Containers must run as non-root: set securityContext.runAsNonRoot to true on the pod, "
        "or on every container, and never to false."),
    "restrict_seccomp": (
        _seccomp_expression,
        "A seccomp profile of type {seccomp_types} must be set on the pod or on every container; "
        "Unconfined and no profile are disallowed."),
    "require_read_only_root_filesystem": (
        _each_container(f"has({_SC}) && {_flag_true(_SC, 'readOnlyRootFilesystem')}"),
        "Every container must set securityContext.readOnlyRootFilesystem to true (Pod Security "
        "Admission 'restricted' does not require it)."),
}


def _control_validations(control: str, allowed_capabilities, seccomp_types) -> list[dict]:
    """The CEL validations of one control (``has()`` only; see the package docstring)."""
    expression, message = _CONTROL_CEL[control]
    if callable(expression):
        expression = expression(allowed_capabilities, seccomp_types)
    message = message.format(capabilities=", ".join(allowed_capabilities) or "none",
                             seccomp_types=" or ".join(seccomp_types))
    return [{"expression": expression, "message": message}]


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
