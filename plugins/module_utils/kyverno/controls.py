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


def _has_path(base: str, *fields: str) -> str:
    """CEL: every field along ``base.f1.f2...`` is set (``has()`` one level at a time)."""
    return " && ".join(f"has({base}.{'.'.join(fields[:i])})" for i in range(1, len(fields) + 1))


def _unset_or(base: str, fields, condition: str) -> str:
    """CEL: ``base.<fields>`` is unset, or its value (``{v}`` in ``condition``) meets it."""
    path = f"{base}.{'.'.join(fields)}"
    return f"(!({_has_path(base, *fields)}) || {condition.format(v=path)})"


def _pod_and_containers(fields, condition: str) -> str:
    """CEL: ``<fields>`` under the pod's securityContext and every container's meets
    ``condition`` where set (PSS: spec.securityContext.X, spec.containers[*].securityContext.X,
    init and ephemeral containers)."""
    return (_unset_or(_PS, ("securityContext", *fields), condition) + " && "
            + _each_container(_unset_or("c", ("securityContext", *fields), condition)))


# Allowed values from the Pod Security Standards, as Kubernetes enforces them in
# k8s.io/pod-security-admission/policy (check_*.go, staging/src/k8s.io/pod-security-admission in
# kubernetes/kubernetes) and documents at
# https://kubernetes.io/docs/concepts/security/pod-security-standards/ (all versions up to v1.34).
# check_capabilities_baseline.go: capabilities a baseline container may add.
BASELINE_CAPABILITIES = ("AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL",
                         "MKNOD", "NET_BIND_SERVICE", "SETFCAP", "SETGID", "SETPCAP", "SETUID",
                         "SYS_CHROOT")
# check_seLinuxOptions.go: allowed types ("" = unset); container_engine_t since v1.31 (the
# SELinux row of kubernetes/website content/en/docs/concepts/security/pod-security-standards.md:
# "container_engine_t (since Kubernetes 1.31)"). kyverno/policies' disallow-selinux
# (pod-security-vpol/baseline, b9c4317c) still allows only the first three:
# SELINUX_TYPE_LISTS["kyverno_policies"].
SELINUX_TYPES = ("", "container_t", "container_init_t", "container_kvm_t", "container_engine_t")
SELINUX_TYPE_LISTS = {"pod_security_standards": SELINUX_TYPES,
                      "kyverno_policies": SELINUX_TYPES[:4]}
# check_appArmorProfile.go (v1.30+ fields) and the annotations before them: allowed values.
APPARMOR_TYPES = ("RuntimeDefault", "Localhost")
APPARMOR_ANNOTATION_PREFIX = "container.apparmor.security.beta.kubernetes.io/"
# check_sysctls.go: the safe set of v1.0, + ip_local_reserved_ports (v1.27), + the four TCP
# keepalive / fin_timeout names (v1.29), + tcp_rmem / tcp_wmem (v1.32).
SAFE_SYSCTLS = ("kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range",
                "net.ipv4.ip_unprivileged_port_start", "net.ipv4.tcp_syncookies",
                "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
                "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout",
                "net.ipv4.tcp_keepalive_intvl", "net.ipv4.tcp_keepalive_probes",
                "net.ipv4.tcp_rmem", "net.ipv4.tcp_wmem")
# check_restrictedVolumes.go: the only volume sources a restricted pod may use.
RESTRICTED_VOLUME_SOURCES = ("configMap", "csi", "downwardAPI", "emptyDir", "ephemeral",
                             "persistentVolumeClaim", "projected", "secret")
# check_seccompProfile_baseline.go: baseline forbids only Unconfined (unset is allowed).
BASELINE_SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
_POD_SECCOMP_SET = f"(has({_PSC}) && has({_PSC}.seccompProfile))"


def _seccomp_expression(params) -> str:
    allowed = _cel_list(params["seccomp_types"])
    return (f"(!{_POD_SECCOMP_SET} || {_PSC}.seccompProfile.type in {allowed}) && "
            + _set_here_else_pod("seccompProfile", f"{_SC}.seccompProfile.type in {allowed}",
                                 _POD_SECCOMP_SET))


def _selinux_expression(params) -> str:
    return (_pod_and_containers(("seLinuxOptions", "type"),
                                "{v} in " + _cel_list(params["selinux_types"]))
            + " && " + _pod_and_containers(("seLinuxOptions", "user"), "{v} == ''")
            + " && " + _pod_and_containers(("seLinuxOptions", "role"), "{v} == ''"))


_ANNOTATIONS = "variables.podAnnotations"

# control -> (CEL expression, message) of its one validation. The expression is a string, or a
# function of {allowed_capabilities, seccomp_types, selinux_types} -> string where it depends on
# the settings; the message may name {capabilities}, {seccomp_types} and {selinux_types}, filled
# in from the same settings.
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
        lambda params: _each_container(
            f"!(has({_SC}) && has({_CAPS}) && has({_CAPS}.add)) || "
            f"{_CAPS}.add.all(cap, cap in {_cel_list(params['allowed_capabilities'])})"),
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
    "disallow_host_path": (
        f"!has({_PS}.volumes) || {_PS}.volumes.all(v, !has(v.hostPath))",
        "HostPath volumes are disallowed: spec.volumes[*].hostPath must be unset."),
    "disallow_host_ports": (
        _each_container("!has(c.ports) || c.ports.all(p, !has(p.hostPort) || p.hostPort == 0)"),
        "Host ports are disallowed: ports[*].hostPort must be unset or 0 in every container."),
    "disallow_host_process": (
        _pod_and_containers(("windowsOptions", "hostProcess"), "{v} == false"),
        "HostProcess containers are disallowed: securityContext.windowsOptions.hostProcess must "
        "be unset or false on the pod and every container."),
    "disallow_proc_mount": (
        _each_container(_unset_or("c", ("securityContext", "procMount"), "{v} == 'Default'")),
        "Changing the /proc mount is disallowed: securityContext.procMount must be unset or "
        "Default in every container."),
    "disallow_selinux": (
        _selinux_expression,
        "Custom SELinux options are disallowed: seLinuxOptions.type may only be {selinux_types}, "
        "and seLinuxOptions.user and .role must be unset, on the pod and every container."),
    "restrict_apparmor_profiles": (
        _pod_and_containers(("appArmorProfile", "type"), "{v} in " + _cel_list(APPARMOR_TYPES))
        + f" && {_ANNOTATIONS}.all(k, !k.startsWith('{APPARMOR_ANNOTATION_PREFIX}') || "
        f"{_ANNOTATIONS}[k] == 'runtime/default' || {_ANNOTATIONS}[k].startsWith('localhost/'))",
        "Overriding or disabling the default AppArmor profile is disallowed: "
        "appArmorProfile.type must be unset, RuntimeDefault or Localhost on the pod and every "
        f"container, and the {APPARMOR_ANNOTATION_PREFIX}* annotations unset, runtime/default "
        "or localhost/*."),
    "restrict_sysctls": (
        _unset_or(_PS, ("securityContext", "sysctls"),
                  "{v}.all(s, s.name in " + _cel_list(SAFE_SYSCTLS) + ")"),
        "Only safe sysctls are allowed in securityContext.sysctls: " + ", ".join(SAFE_SYSCTLS)
        + "."),
    "disallow_unconfined_seccomp": (
        _pod_and_containers(("seccompProfile", "type"),
                            "{v} in " + _cel_list(BASELINE_SECCOMP_TYPES)),
        "The Unconfined seccomp profile is disallowed: seccompProfile.type must be unset, "
        "RuntimeDefault or Localhost on the pod and every container."),
    "restrict_baseline_capabilities": (
        _each_container(_unset_or("c", ("securityContext", "capabilities", "add"),
                                  "{v}.all(cap, cap in " + _cel_list(BASELINE_CAPABILITIES) + ")")),
        "Containers may add only the baseline capabilities: " + ", ".join(BASELINE_CAPABILITIES)
        + "."),
    "restrict_volume_types": (
        f"!has({_PS}.volumes) || {_PS}.volumes.all(v, "
        + " || ".join(f"has(v.{source})" for source in RESTRICTED_VOLUME_SOURCES) + ")",
        "Only these volume types are allowed: " + ", ".join(RESTRICTED_VOLUME_SOURCES) + "."),
    "require_run_as_non_root_user": (
        _pod_and_containers(("runAsUser",), "{v} != 0"),
        "Running as root is disallowed: securityContext.runAsUser must be unset or non-zero on "
        "the pod and every container."),
}


def _control_validations(control: str, allowed_capabilities, seccomp_types,
                         selinux_types=SELINUX_TYPES) -> list[dict]:
    """The CEL validations of one control (``has()`` only; see the package docstring)."""
    expression, message = _CONTROL_CEL[control]
    if callable(expression):
        expression = expression({"allowed_capabilities": allowed_capabilities,
                                 "seccomp_types": seccomp_types, "selinux_types": selinux_types})
    message = message.format(capabilities=", ".join(allowed_capabilities) or "none",
                             seccomp_types=" or ".join(seccomp_types),
                             selinux_types=", ".join(t for t in selinux_types if t))
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
    "disallow_host_path": ("disallow-host-path", "Disallow hostPath volumes", "baseline"),
    "disallow_host_ports": ("disallow-host-ports", "Disallow host ports", "baseline"),
    "disallow_host_process": ("disallow-host-process", "Disallow HostProcess containers",
                              "baseline"),
    "disallow_proc_mount": ("disallow-proc-mount", "Disallow procMount", "baseline"),
    "disallow_selinux": ("disallow-selinux", "Disallow custom SELinux options", "baseline"),
    "restrict_apparmor_profiles": ("restrict-apparmor-profiles", "Restrict AppArmor profiles",
                                   "baseline"),
    "restrict_sysctls": ("restrict-sysctls", "Restrict sysctls", "baseline"),
    "disallow_unconfined_seccomp": ("disallow-unconfined-seccomp",
                                    "Disallow the Unconfined seccomp profile", "baseline"),
    "restrict_baseline_capabilities": ("restrict-baseline-capabilities",
                                       "Add only baseline capabilities", "baseline"),
    "restrict_volume_types": ("restrict-volume-types", "Restrict volume types", "restricted"),
    "require_run_as_non_root_user": ("require-run-as-non-root-user",
                                     "Require a non-root user ID", "restricted"),
}

# control -> the ValidatingPolicy of Kyverno's own library (kyverno/policies pod-security-vpol)
# that checks the same thing; read_only_root_filesystem is Bulwark's and has none. AppArmor has
# no ValidatingPolicy there: restrict-apparmor-profiles is the ClusterPolicy of pod-security/.
KYVERNO_LIBRARY_EQUIVALENT = {
    "disallow_host_namespaces": "disallow-host-namespaces",
    "disallow_privileged_containers": "disallow-privileged-containers",
    "require_drop_all_capabilities": "disallow-capabilities-strict",
    "restrict_added_capabilities": "adding-capabilities-strict",
    "disallow_privilege_escalation": "disallow-privilege-escalation",
    "require_run_as_non_root": "require-run-as-nonroot",
    "restrict_seccomp": "restrict-seccomp-strict",
    "restrict_baseline_capabilities": "disallow-capabilities",
    "disallow_host_path": "disallow-host-path",
    "disallow_host_ports": "disallow-host-ports",
    "disallow_host_process": "disallow-host-process",
    "disallow_proc_mount": "disallow-proc-mount",
    "disallow_selinux": "disallow-selinux",
    "restrict_apparmor_profiles": "restrict-apparmor-profiles",
    "disallow_unconfined_seccomp": "restrict-seccomp",
    "restrict_sysctls": "restrict-sysctls",
    "require_run_as_non_root_user": "require-run-as-non-root-user",
    "restrict_volume_types": "restrict-volume-types",
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

# Variables a control needs beside POD_SPEC_VARIABLES: the pod's (or pod template's) annotations.
_META = "object.spec.jobTemplate.spec.template.metadata"
_TEMPLATE_META = "object.spec.template.metadata"
CONTROL_VARIABLES = {
    "restrict_apparmor_profiles": (
        {"name": "podAnnotations",
         "expression": "object.kind == 'Pod' ? (has(object.metadata.annotations) ? "
                       "object.metadata.annotations : {}) : (object.kind == 'CronJob' ? "
                       f"((has({_META}) && has({_META}.annotations)) ? {_META}.annotations "
                       ": {}) : "
                       f"((has({_TEMPLATE_META}) && has({_TEMPLATE_META}.annotations)) ? "
                       f"{_TEMPLATE_META}.annotations : {{}}))"},),
}
