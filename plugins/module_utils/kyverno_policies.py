"""Kyverno admission policies, Pod Security labels and NetworkPolicies from one set of settings.

The one policy source of the ADMIT layer: the Pulumi program, the ``kyverno`` role and the
``kyverno_policy_bundle`` filter all call :func:`build_bundle` (and :func:`build_test_suites`),
so a cluster managed with ``pulumi up`` and one managed with Ansible get the same manifests.

Plain Python, no Ansible imports and no imports of other module_utils files: importable as
``ansible_collections.bulwark.container_security.plugins.module_utils.kyverno_policies`` and
standalone with ``plugins/module_utils`` on ``sys.path``.

Choices made here (the issue was silent on them):

* Pod security policies match Pods *and* the pod controllers explicitly and read the pod spec
  through a ``podSpec`` variable (``spec``, ``spec.template.spec`` or
  ``spec.jobTemplate.spec.template.spec``). Because the match has more than the one ``pods``
  resource rule that Kyverno's ``CanAutoGen`` (pkg/cel/autogen) requires, autogen stays off and
  every verdict comes from the expressions written here. The capability control is two
  policies, as in Kyverno's own set: drop ALL, and add back only the allowed capabilities.
* CEL uses ``has()`` instead of optional fields (``a.?b.orValue(x)``): Kubernetes and Kyverno
  accept both, but the Python CEL engines the tests use only parse ``has()``.
* System namespaces are excluded with a ``namespaceSelector`` on
  ``kubernetes.io/metadata.name`` (set by the API server on every Namespace), so Kyverno's webhook
  never even receives their requests.
* ``failurePolicy`` is ``Fail`` when a policy denies and ``Ignore`` while it only audits or warns:
  a rollout in Audit must not make Kyverno's availability a precondition for scheduling pods.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime, timezone

MANAGED_LABELS = {"app.kubernetes.io/managed-by": "bulwark", "app.kubernetes.io/part-of": "bulwark"}
NAMESPACE_NAME_LABEL = "kubernetes.io/metadata.name"
VALIDATION_ACTIONS = ("Audit", "Warn", "Deny")
PSA_LEVELS = ("privileged", "baseline", "restricted")
SECCOMP_TYPES = ("RuntimeDefault", "Localhost")
VULN_PREDICATE_TYPE = "https://cosign.sigstore.dev/attestation/vuln/v1"
DEFAULT_SYSTEM_NAMESPACES = ("kube-system", "kyverno", "falco")
KYVERNO_API = "policies.kyverno.io/v1"
LEGACY_API = "kyverno.io/v1"
NETWORK_PROTOCOLS = ("TCP", "UDP", "SCTP")

# (apiGroup, resources) every pod-level policy matches: Pods and every built-in pod controller.
POD_RESOURCE_RULES = (
    ("", "v1", ("pods",)),
    ("apps", "v1", ("deployments", "statefulsets", "daemonsets", "replicasets")),
    ("batch", "v1", ("jobs", "cronjobs")),
)
POD_KINDS = ("Pod", "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "CronJob")

_DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
_DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
_PSA_VERSION = re.compile(r"^(latest|v1\.[0-9]{1,2})$")
_CAPABILITY = re.compile(r"^[A-Z_]+$")
_LABEL_KEY = re.compile(
    r"^([a-z0-9]([-a-z0-9.]*[a-z0-9])?/)?[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$")
_LABEL_VALUE = re.compile(r"^([A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?)?$")
_CIDR = re.compile(r"^([0-9]{1,3}(\.[0-9]{1,3}){3}/[0-9]{1,2}|[0-9a-fA-F:]+/[0-9]{1,3})$")


class SettingsError(ValueError):
    """Bad settings: the message names the key, the value and what would be accepted."""

    def __init__(self, key: str, value, allowed: str):
        self.key = key
        self.value = value
        self.allowed = allowed
        super().__init__(f"{key}: {value!r} is not valid; expected {allowed}")


# --------------------------------------------------------------------------------------------
# Pod security controls: one ValidatingPolicy each.
# --------------------------------------------------------------------------------------------

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


# --------------------------------------------------------------------------------------------
# Typed settings
# --------------------------------------------------------------------------------------------

def _mapping(value, key: str) -> dict:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise SettingsError(key, value, "a mapping")
    return value


def _unknown(data: dict, known, key: str) -> None:
    extra = sorted(set(data) - set(known))
    if extra:
        where = f"{key}.{extra[0]}" if key else extra[0]
        raise SettingsError(where, data[extra[0]], "one of the keys " + ", ".join(sorted(known)))


def _bool(value, key: str) -> bool:
    if not isinstance(value, bool):
        raise SettingsError(key, value, "true or false")
    return value


def _int(value, key: str, minimum: int = 0, maximum: int | None = None) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum or (
            maximum is not None and value > maximum):
        upper = f" and at most {maximum}" if maximum is not None else ""
        raise SettingsError(key, value, f"an integer of at least {minimum}{upper}")
    return value


def _str_list(value, key: str, pattern: re.Pattern | None = None, what: str = "a string",
              allow_empty: bool = True) -> tuple[str, ...]:
    if value is None:
        value = []
    if isinstance(value, str) or not isinstance(value, (list, tuple)):
        raise SettingsError(key, value, f"a list of {what}s")
    out = []
    for i, item in enumerate(value):
        if not isinstance(item, str) or not item or (pattern and not pattern.match(item)):
            raise SettingsError(f"{key}[{i}]", item, what)
        out.append(item)
    if not allow_empty and not out:
        raise SettingsError(key, value, f"a non-empty list of {what}s")
    return tuple(out)


def _name(value, key: str, pattern: re.Pattern = _DNS_LABEL) -> str:
    what = ("a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)"
            if pattern is _DNS_LABEL else "a DNS-1123 subdomain (lowercase, digits, '-', '.')")
    if not isinstance(value, str) or not pattern.match(value):
        raise SettingsError(key, value, what)
    return value


def _labels(value, key: str) -> dict[str, str]:
    data = _mapping(value, key)
    for k, v in data.items():
        if not isinstance(k, str) or not _LABEL_KEY.match(k):
            raise SettingsError(f"{key}.{k}", k, "a Kubernetes label key ([prefix/]name)")
        if not isinstance(v, str) or not _LABEL_VALUE.match(v):
            raise SettingsError(f"{key}.{k}", v,
                                "a label value (string of at most 63 alphanumerics, '-', '_', '.')")
    return dict(data)


def _actions(value, key: str) -> tuple[str, ...]:
    """``Audit`` / ``Warn`` / ``Deny`` or a list; Deny with Warn is refused as the API does."""
    items = [value] if isinstance(value, str) else value
    allowed = "Audit, Warn or Deny, or a list of them (Deny and Warn cannot be combined)"
    if not isinstance(items, (list, tuple)) or not items:
        raise SettingsError(key, value, allowed)
    out = []
    for item in items:
        if item not in VALIDATION_ACTIONS:
            raise SettingsError(key, value, allowed)
        if item not in out:
            out.append(item)
    if "Deny" in out and "Warn" in out:
        raise SettingsError(key, value, allowed)
    return tuple(a for a in VALIDATION_ACTIONS if a in out)


def _timestamp(value, key: str) -> str:
    allowed = "an RFC 3339 timestamp such as 2027-01-31T00:00:00Z"
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            raise SettingsError(key, value, allowed) from None
    else:
        raise SettingsError(key, value, allowed)
    if moment.tzinfo is None:
        raise SettingsError(key, value, allowed + " (with a time zone)")
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class PodSecuritySettings:
    enabled: bool = True
    default_actions: tuple[str, ...] = ("Audit",)
    actions: dict = field(default_factory=dict)          # control -> tuple of actions
    disabled_controls: tuple[str, ...] = ()
    allowed_capabilities: tuple[str, ...] = ("NET_BIND_SERVICE",)
    seccomp_profile_types: tuple[str, ...] = SECCOMP_TYPES

    KEYS = ("enabled", "default_action", "actions", "disabled_controls",
            "allowed_capabilities", "seccomp_profile_types")

    @classmethod
    def from_dict(cls, data, key: str = "pod_security") -> PodSecuritySettings:
        data = _mapping(data, key)
        _unknown(data, cls.KEYS, key)
        controls = "one of " + ", ".join(POD_SECURITY_CONTROLS)
        default = _actions(data.get("default_action", "Audit"), f"{key}.default_action")
        actions = {}
        for control, value in _mapping(data.get("actions"), f"{key}.actions").items():
            if control not in POD_SECURITY_CONTROLS:
                raise SettingsError(f"{key}.actions.{control}", control, controls)
            actions[control] = _actions(value, f"{key}.actions.{control}")
        disabled = _str_list(data.get("disabled_controls"), f"{key}.disabled_controls",
                             what="control name")
        for i, control in enumerate(disabled):
            if control not in POD_SECURITY_CONTROLS:
                raise SettingsError(f"{key}.disabled_controls[{i}]", control, controls)
        caps = _str_list(data.get("allowed_capabilities", ["NET_BIND_SERVICE"]),
                         f"{key}.allowed_capabilities", _CAPABILITY,
                         "capability name in upper case without CAP_ (e.g. NET_BIND_SERVICE)")
        for i, cap in enumerate(caps):
            if cap == "ALL" or cap.startswith("CAP_"):
                raise SettingsError(f"{key}.allowed_capabilities[{i}]", cap,
                                    "a single capability name without CAP_ (ALL is refused)")
        seccomp = _str_list(data.get("seccomp_profile_types", list(SECCOMP_TYPES)),
                            f"{key}.seccomp_profile_types", what="seccomp type",
                            allow_empty=False)
        for i, item in enumerate(seccomp):
            if item not in SECCOMP_TYPES:
                raise SettingsError(f"{key}.seccomp_profile_types[{i}]", item,
                                    "RuntimeDefault or Localhost (Unconfined is never allowed)")
        return cls(enabled=_bool(data.get("enabled", True), f"{key}.enabled"),
                   default_actions=default, actions=actions, disabled_controls=disabled,
                   allowed_capabilities=caps, seccomp_profile_types=seccomp)

    def actions_for(self, control: str) -> tuple[str, ...]:
        return self.actions.get(control, self.default_actions)

    def controls(self) -> list[str]:
        if not self.enabled:
            return []
        return [c for c in POD_SECURITY_CONTROLS if c not in self.disabled_controls]


@dataclass(frozen=True)
class ImageVerificationSettings:
    enabled: bool = False
    actions: tuple[str, ...] = ("Audit",)
    public_keys: tuple[str, ...] = ()
    image_globs: tuple[str, ...] = ()
    require_vulnerability_attestation: bool = False
    vulnerability_max_age_hours: int = 168
    ignore_transparency_log: bool = False
    legacy_cluster_policy: bool = False

    KEYS = ("enabled", "action", "public_keys", "image_globs",
            "require_vulnerability_attestation", "vulnerability_max_age_hours",
            "ignore_transparency_log", "legacy_cluster_policy")

    @classmethod
    def from_dict(cls, data, key: str = "image_verification") -> ImageVerificationSettings:
        data = _mapping(data, key)
        _unknown(data, cls.KEYS, key)
        enabled = _bool(data.get("enabled", bool(data.get("public_keys"))), f"{key}.enabled")
        keys = _str_list(data.get("public_keys"), f"{key}.public_keys",
                         what="PEM public key (-----BEGIN PUBLIC KEY-----)")
        for i, pem in enumerate(keys):
            text = pem.strip()
            if not (text.startswith("-----BEGIN PUBLIC KEY-----")
                    and text.endswith("-----END PUBLIC KEY-----")) or text.count("BEGIN") != 1:
                raise SettingsError(f"{key}.public_keys[{i}]", pem[:40] + "...",
                                    "one PEM public key per item (-----BEGIN PUBLIC KEY----- ... "
                                    "-----END PUBLIC KEY-----); never a private key")
        globs = _str_list(data.get("image_globs"), f"{key}.image_globs", what="image glob")
        for i, glob in enumerate(globs):
            if any(ch.isspace() for ch in glob):
                raise SettingsError(f"{key}.image_globs[{i}]", glob, "an image glob without "
                                    "spaces (e.g. registry.example.com/team/*)")
        if enabled and not keys:
            raise SettingsError(f"{key}.public_keys", list(keys),
                                "at least one PEM public key when image verification is enabled")
        if enabled and not globs:
            raise SettingsError(f"{key}.image_globs", list(globs),
                                "at least one image glob when image verification is enabled")
        return cls(
            enabled=enabled,
            actions=_actions(data.get("action", "Audit"), f"{key}.action"),
            public_keys=tuple(k.strip() + "\n" for k in keys),
            image_globs=globs,
            require_vulnerability_attestation=_bool(
                data.get("require_vulnerability_attestation", False),
                f"{key}.require_vulnerability_attestation"),
            vulnerability_max_age_hours=_int(data.get("vulnerability_max_age_hours", 168),
                                             f"{key}.vulnerability_max_age_hours", 1),
            ignore_transparency_log=_bool(data.get("ignore_transparency_log", False),
                                          f"{key}.ignore_transparency_log"),
            legacy_cluster_policy=_bool(data.get("legacy_cluster_policy", False),
                                        f"{key}.legacy_cluster_policy"),
        )


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str = ""            # '' = any kind of pod or pod controller with this name

    @classmethod
    def from_dict(cls, data, key: str) -> Workload:
        if isinstance(data, str):
            data = {"name": data}
        data = _mapping(data, key)
        _unknown(data, ("name", "kind"), key)
        kind = data.get("kind", "")
        if kind and kind not in POD_KINDS:
            raise SettingsError(f"{key}.kind", kind, "one of " + ", ".join(POD_KINDS))
        return cls(name=_name(data.get("name"), f"{key}.name", _DNS_SUBDOMAIN), kind=kind)


@dataclass(frozen=True)
class ExceptionSettings:
    name: str
    namespace: str
    policies: tuple[str, ...]      # control keys, or "image_verification"
    workloads: tuple[Workload, ...]
    expires_at: str
    reason: str = ""

    KEYS = ("name", "namespace", "policies", "workloads", "expires_at", "reason")

    @classmethod
    def from_dict(cls, data, key: str) -> ExceptionSettings:
        data = _mapping(data, key)
        _unknown(data, cls.KEYS, key)
        allowed = (*POD_SECURITY_CONTROLS, "image_verification")
        policies = _str_list(data.get("policies"), f"{key}.policies", what="policy key",
                             allow_empty=False)
        for i, item in enumerate(policies):
            if item not in allowed:
                raise SettingsError(f"{key}.policies[{i}]", item, "one of " + ", ".join(allowed))
        workloads = data.get("workloads")
        if not isinstance(workloads, list) or not workloads:
            raise SettingsError(f"{key}.workloads", workloads,
                                "a non-empty list of workloads ({name, kind})")
        if "expires_at" not in data:
            raise SettingsError(f"{key}.expires_at", None,
                                "an RFC 3339 timestamp: every exception must expire")
        reason = data.get("reason", "")
        if not isinstance(reason, str):
            raise SettingsError(f"{key}.reason", reason, "a string")
        return cls(
            name=_name(data.get("name"), f"{key}.name", _DNS_SUBDOMAIN),
            namespace=_name(data.get("namespace"), f"{key}.namespace"),
            policies=policies,
            workloads=tuple(Workload.from_dict(w, f"{key}.workloads[{i}]")
                            for i, w in enumerate(workloads)),
            expires_at=_timestamp(data["expires_at"], f"{key}.expires_at"),
            reason=reason,
        )


@dataclass(frozen=True)
class PortSettings:
    port: int | str
    protocol: str = "TCP"
    end_port: int | None = None

    @classmethod
    def from_dict(cls, data, key: str) -> PortSettings:
        if isinstance(data, (int, str)) and not isinstance(data, bool):
            data = {"port": data}
        data = _mapping(data, key)
        _unknown(data, ("port", "protocol", "end_port"), key)
        port = data.get("port")
        if isinstance(port, str):
            if not _DNS_LABEL.match(port) or len(port) > 15:
                raise SettingsError(f"{key}.port", port, "a port number 1-65535 or a named port")
        else:
            port = _int(port, f"{key}.port", 1, 65535)
        protocol = data.get("protocol", "TCP")
        if protocol not in NETWORK_PROTOCOLS:
            raise SettingsError(f"{key}.protocol", protocol, "TCP, UDP or SCTP")
        end_port = data.get("end_port")
        if end_port is not None:
            end_port = _int(end_port, f"{key}.end_port", 1, 65535)
            if isinstance(port, str) or end_port < port:
                raise SettingsError(f"{key}.end_port", end_port,
                                    "a number not below a numeric port")
        return cls(port=port, protocol=protocol, end_port=end_port)


@dataclass(frozen=True)
class CidrSettings:
    cidr: str
    except_cidrs: tuple[str, ...] = ()

    @classmethod
    def from_dict(cls, data, key: str) -> CidrSettings:
        if isinstance(data, str):
            data = {"cidr": data}
        data = _mapping(data, key)
        _unknown(data, ("cidr", "except"), key)
        cidr = data.get("cidr")
        if not isinstance(cidr, str) or not _CIDR.match(cidr):
            raise SettingsError(f"{key}.cidr", cidr, "a CIDR such as 10.0.0.0/8 or fd00::/8")
        return cls(cidr=cidr, except_cidrs=_str_list(data.get("except"), f"{key}.except",
                                                     _CIDR, "CIDR"))


@dataclass(frozen=True)
class TrafficRule:
    """One allowlist entry: pods selected by ``pod_selector`` may talk to/from the peers."""
    name: str
    pod_selector: dict
    namespaces: tuple[str, ...]
    pods: dict | None
    cidrs: tuple[CidrSettings, ...]
    ports: tuple[PortSettings, ...]

    KEYS = ("name", "pod_selector", "namespaces", "pods", "cidrs", "ports")

    @classmethod
    def from_dict(cls, data, key: str) -> TrafficRule:
        data = _mapping(data, key)
        _unknown(data, cls.KEYS, key)
        namespaces = tuple(_name(n, f"{key}.namespaces[{i}]")
                           for i, n in enumerate(data.get("namespaces") or []))
        pods = _labels(data["pods"], f"{key}.pods") if data.get("pods") is not None else None
        cidrs = data.get("cidrs") or []
        ports = data.get("ports") or []
        if not isinstance(cidrs, list):
            raise SettingsError(f"{key}.cidrs", cidrs, "a list of CIDRs")
        if not isinstance(ports, list):
            raise SettingsError(f"{key}.ports", ports, "a list of ports")
        if not namespaces and pods is None and not cidrs:
            raise SettingsError(key, data, "at least one of namespaces, pods or cidrs "
                                           "(an allowlist entry must name its peers)")
        if cidrs and (namespaces or pods is not None):
            raise SettingsError(f"{key}.cidrs", cidrs, "a separate entry: CIDRs cannot be "
                                                       "combined with namespaces or pods")
        return cls(name=_name(data.get("name"), f"{key}.name"),
                   pod_selector=_labels(data.get("pod_selector"), f"{key}.pod_selector"),
                   namespaces=namespaces, pods=pods,
                   cidrs=tuple(CidrSettings.from_dict(c, f"{key}.cidrs[{i}]")
                               for i, c in enumerate(cidrs)),
                   ports=tuple(PortSettings.from_dict(p, f"{key}.ports[{i}]")
                               for i, p in enumerate(ports)))


@dataclass(frozen=True)
class PodSecurityLabels:
    enforce: str = "restricted"
    audit: str = "restricted"
    warn: str = "restricted"
    version: str = "v1.33"

    @classmethod
    def from_dict(cls, data, key: str, default_version: str) -> PodSecurityLabels:
        data = _mapping(data, key)
        _unknown(data, ("enforce", "audit", "warn", "version"), key)
        levels = {}
        for mode in ("enforce", "audit", "warn"):
            level = data.get(mode, "restricted")
            if level not in PSA_LEVELS:
                raise SettingsError(f"{key}.{mode}", level, "privileged, baseline or restricted")
            levels[mode] = level
        version = data.get("version", default_version)
        if not isinstance(version, str) or not _PSA_VERSION.match(version):
            raise SettingsError(f"{key}.version", version,
                                "a pinned Kubernetes minor such as v1.33 (or 'latest')")
        return cls(version=version, **levels)


@dataclass(frozen=True)
class NamespaceSettings:
    name: str
    existing: bool = False          # True: patch the labels of a namespace someone else owns
    labels: dict = field(default_factory=dict)
    pod_security: PodSecurityLabels = field(default_factory=PodSecurityLabels)
    default_deny: bool = True
    allow_dns: bool = True
    ingress: tuple[TrafficRule, ...] = ()
    egress: tuple[TrafficRule, ...] = ()

    KEYS = ("name", "existing", "labels", "pod_security", "default_deny", "allow_dns",
            "ingress", "egress")

    @classmethod
    def from_dict(cls, data, key: str, default_version: str) -> NamespaceSettings:
        if isinstance(data, str):
            data = {"name": data}
        data = _mapping(data, key)
        _unknown(data, cls.KEYS, key)
        rules = {}
        for direction in ("ingress", "egress"):
            items = data.get(direction) or []
            if not isinstance(items, list):
                raise SettingsError(f"{key}.{direction}", items, "a list of allowlist entries")
            rules[direction] = tuple(TrafficRule.from_dict(r, f"{key}.{direction}[{i}]")
                                     for i, r in enumerate(items))
            names = [r.name for r in rules[direction]]
            for name in names:
                if names.count(name) > 1:
                    raise SettingsError(f"{key}.{direction}", name,
                                        "allowlist entries with unique names")
        labels = _labels(data.get("labels"), f"{key}.labels")
        for label in labels:
            if label.startswith("pod-security.kubernetes.io/"):
                raise SettingsError(f"{key}.labels.{label}", labels[label],
                                    f"no pod-security.kubernetes.io/ labels here: use "
                                    f"{key}.pod_security")
        return cls(name=_name(data.get("name"), f"{key}.name"),
                   existing=_bool(data.get("existing", False), f"{key}.existing"),
                   labels=labels,
                   pod_security=PodSecurityLabels.from_dict(data.get("pod_security"),
                                                            f"{key}.pod_security",
                                                            default_version),
                   default_deny=_bool(data.get("default_deny", True), f"{key}.default_deny"),
                   allow_dns=_bool(data.get("allow_dns", True), f"{key}.allow_dns"),
                   ingress=rules["ingress"], egress=rules["egress"])


@dataclass(frozen=True)
class DnsSettings:
    namespace: str = "kube-system"
    pod_labels: dict = field(default_factory=lambda: {"k8s-app": "kube-dns"})
    port: int = 53

    @classmethod
    def from_dict(cls, data, key: str = "dns") -> DnsSettings:
        data = _mapping(data, key)
        _unknown(data, ("namespace", "pod_labels", "port"), key)
        labels = _labels(data.get("pod_labels", {"k8s-app": "kube-dns"}), f"{key}.pod_labels")
        return cls(namespace=_name(data.get("namespace", "kube-system"), f"{key}.namespace"),
                   pod_labels=labels, port=_int(data.get("port", 53), f"{key}.port", 1, 65535))


@dataclass(frozen=True)
class Settings:
    """Everything the builders need; build it with :meth:`from_dict`. Every key is optional::

        name_prefix: bulwark                      # policy names: <prefix>-<control>
        system_namespaces: [kube-system, kyverno, falco]
        excluded_namespaces: []                   # added to the system namespaces
        pod_security:
          enabled: true
          default_action: Audit                   # Audit | Warn | Deny | [Warn, Audit]
          actions: {restrict_seccomp: Deny}       # per control (POD_SECURITY_CONTROLS keys)
          disabled_controls: []
          allowed_capabilities: [NET_BIND_SERVICE]
          seccomp_profile_types: [RuntimeDefault, Localhost]
        image_verification:
          enabled: false                          # true as soon as public_keys are given
          action: Audit
          public_keys: [PEM, ...]                 # any one of them (rotation)
          image_globs: [registry.example.com/*]
          require_vulnerability_attestation: false
          vulnerability_max_age_hours: 168
          ignore_transparency_log: false          # true for keys signed without Rekor
          legacy_cluster_policy: false            # kyverno.io/v1 ClusterPolicy instead
        exceptions:
          - {name, namespace, policies: [control | image_verification],
             workloads: [name | {name, kind}], expires_at: RFC 3339, reason}
        pod_security_admission_version: v1.33
        namespaces:
          - name: payments
            existing: false                       # true: only patch labels of someone's namespace
            labels: {}
            pod_security: {enforce: restricted, audit: restricted, warn: restricted,
                           version: v1.33}
            default_deny: true
            allow_dns: true
            ingress: [{name, pod_selector, namespaces, pods, cidrs, ports}]
            egress: [{name, pod_selector, namespaces, pods, cidrs, ports}]
        dns: {namespace: kube-system, pod_labels: {k8s-app: kube-dns}, port: 53}
    """
    name_prefix: str = "bulwark"
    system_namespaces: tuple[str, ...] = DEFAULT_SYSTEM_NAMESPACES
    excluded_namespaces: tuple[str, ...] = ()
    pod_security: PodSecuritySettings = field(default_factory=PodSecuritySettings)
    image_verification: ImageVerificationSettings = field(
        default_factory=ImageVerificationSettings)
    exceptions: tuple[ExceptionSettings, ...] = ()
    pod_security_admission_version: str = "v1.33"
    namespaces: tuple[NamespaceSettings, ...] = ()
    dns: DnsSettings = field(default_factory=DnsSettings)

    KEYS = ("name_prefix", "system_namespaces", "excluded_namespaces", "pod_security",
            "image_verification", "exceptions", "pod_security_admission_version", "namespaces",
            "dns")

    @classmethod
    def from_dict(cls, data: dict | None) -> Settings:
        """Typed settings from plain data (Ansible vars, Pulumi config).

        Raises SettingsError naming the key, the value and what is allowed."""
        data = _mapping(data, "settings")
        _unknown(data, cls.KEYS, "")
        prefix = _name(data.get("name_prefix", "bulwark"), "name_prefix")
        if len(prefix) > 20:
            raise SettingsError("name_prefix", prefix, "a DNS-1123 label of at most 20 characters")
        version = data.get("pod_security_admission_version", "v1.33")
        if not isinstance(version, str) or not _PSA_VERSION.match(version):
            raise SettingsError("pod_security_admission_version", version,
                                "a pinned Kubernetes minor such as v1.33 (or 'latest')")
        system = tuple(_name(n, f"system_namespaces[{i}]") for i, n in enumerate(
            _str_list(data.get("system_namespaces", list(DEFAULT_SYSTEM_NAMESPACES)),
                      "system_namespaces", what="namespace name")))
        excluded = tuple(_name(n, f"excluded_namespaces[{i}]") for i, n in enumerate(
            _str_list(data.get("excluded_namespaces"), "excluded_namespaces",
                      what="namespace name")))
        raw_ns = data.get("namespaces") or []
        if not isinstance(raw_ns, list):
            raise SettingsError("namespaces", raw_ns, "a list of namespaces")
        namespaces = tuple(NamespaceSettings.from_dict(n, f"namespaces[{i}]", version)
                           for i, n in enumerate(raw_ns))
        seen = set()
        for i, ns in enumerate(namespaces):
            if ns.name in seen:
                raise SettingsError(f"namespaces[{i}].name", ns.name, "a namespace listed once")
            seen.add(ns.name)
        raw_ex = data.get("exceptions") or []
        if not isinstance(raw_ex, list):
            raise SettingsError("exceptions", raw_ex, "a list of exceptions")
        exceptions = tuple(ExceptionSettings.from_dict(e, f"exceptions[{i}]")
                           for i, e in enumerate(raw_ex))
        seen = set()
        for i, exc in enumerate(exceptions):
            if (exc.namespace, exc.name) in seen:
                raise SettingsError(f"exceptions[{i}].name", exc.name,
                                    "a name unique within its namespace")
            seen.add((exc.namespace, exc.name))
        image_verification = ImageVerificationSettings.from_dict(data.get("image_verification"))
        for i, exc in enumerate(exceptions):
            if "image_verification" in exc.policies and not (
                    image_verification.enabled and not image_verification.legacy_cluster_policy):
                j = exc.policies.index("image_verification")
                raise SettingsError(f"exceptions[{i}].policies[{j}]", "image_verification",
                                    "a pod security control: image_verification exceptions need "
                                    "image_verification.enabled and the ImageValidatingPolicy "
                                    "(legacy_cluster_policy: false)")
        return cls(
            name_prefix=prefix, system_namespaces=system, excluded_namespaces=excluded,
            pod_security=PodSecuritySettings.from_dict(data.get("pod_security")),
            image_verification=image_verification,
            exceptions=exceptions, pod_security_admission_version=version,
            namespaces=namespaces, dns=DnsSettings.from_dict(data.get("dns")),
        )

    def all_excluded_namespaces(self) -> list[str]:
        out = []
        for ns in (*self.system_namespaces, *self.excluded_namespaces):
            if ns not in out:
                out.append(ns)
        return out

    def policy_name(self, control: str) -> str:
        if control == "image_verification":
            return f"{self.name_prefix}-verify-image-signatures"
        return f"{self.name_prefix}-{POD_SECURITY_CONTROLS[control][0]}"


# --------------------------------------------------------------------------------------------
# Builders
# --------------------------------------------------------------------------------------------

def _metadata(name: str, namespace: str | None = None, annotations: dict | None = None,
              labels: dict | None = None) -> dict:
    meta = {"name": name}
    if namespace:
        meta["namespace"] = namespace
    meta["labels"] = {**MANAGED_LABELS, **(labels or {})}
    if annotations:
        meta["annotations"] = annotations
    return meta


def _match_constraints(settings: Settings) -> dict:
    rules = [{"apiGroups": [group], "apiVersions": [version],
              "operations": ["CREATE", "UPDATE"], "resources": list(resources)}
             for group, version, resources in POD_RESOURCE_RULES]
    constraints = {"resourceRules": rules}
    excluded = settings.all_excluded_namespaces()
    if excluded:
        constraints["namespaceSelector"] = {"matchExpressions": [
            {"key": NAMESPACE_NAME_LABEL, "operator": "NotIn", "values": excluded}]}
    return constraints


def _failure_policy(actions) -> str:
    return "Fail" if "Deny" in actions else "Ignore"


def build_pod_security_policy(settings: Settings, control: str) -> dict:
    """The ValidatingPolicy of one pod-security control (a key of POD_SECURITY_CONTROLS)."""
    suffix, title, level = POD_SECURITY_CONTROLS[control]
    ps = settings.pod_security
    actions = ps.actions_for(control)
    validations = _control_validations(control, ps.allowed_capabilities,
                                       ps.seccomp_profile_types)
    return {
        "apiVersion": KYVERNO_API,
        "kind": "ValidatingPolicy",
        "metadata": _metadata(settings.policy_name(control), annotations={
            "policies.kyverno.io/title": title,
            "policies.kyverno.io/category": f"Pod Security ({level})",
            "policies.kyverno.io/subject": "Pod",
            "bulwark.io/control": control,
        }),
        "spec": {
            "validationActions": list(actions),
            "failurePolicy": _failure_policy(actions),
            "evaluation": {"admission": {"enabled": True}, "background": {"enabled": True}},
            "matchConstraints": _match_constraints(settings),
            "variables": [dict(v) for v in POD_SPEC_VARIABLES],
            "validations": validations,
        },
    }


def _cosign_attestors(iv: ImageVerificationSettings) -> list[dict]:
    attestors = []
    for i, pem in enumerate(iv.public_keys):
        cosign = {"key": {"data": pem}}
        if iv.ignore_transparency_log:
            cosign["ctlog"] = {"insecureIgnoreTlog": True, "insecureIgnoreSCT": True}
        attestors.append({"name": f"key{i}", "cosign": cosign})
    return attestors


# Kyverno fills images.containers / initContainers / ephemeralContainers (always present, only
# the images matchImageReferences selects) for Pods and pod controllers alike.
_ALL_IMAGES = "(images.containers + images.initContainers + images.ephemeralContainers)"


def build_image_policy(settings: Settings) -> dict:
    """ImageValidatingPolicy: every matching image signed by any one of the public keys.

    Init and ephemeral containers are verified too. ``time.now()`` comes from Kyverno's CEL
    time library (kyverno/sdk extensions/cel/libs/time), loaded for ImageValidatingPolicies.
    """
    iv = settings.image_verification
    attestors = _cosign_attestors(iv)
    refs = "[" + ", ".join(f"attestors.{a['name']}" for a in attestors) + "]"
    validations = [{
        "expression": f"{_ALL_IMAGES}.all(image, verifyImageSignatures(image, {refs}) > 0)",
        "message": "Every image matching " + ", ".join(iv.image_globs)
                   + " must carry a cosign signature by one of the trusted keys.",
    }]
    spec = {
        "validationActions": list(iv.actions),
        "failurePolicy": _failure_policy(iv.actions),
        "evaluation": {"background": {"enabled": False}},
        "matchConstraints": _match_constraints(settings),
        "matchImageReferences": [{"glob": g} for g in iv.image_globs],
        "validationConfigurations": {"mutateDigest": True, "verifyDigest": True,
                                     "required": True},
        "attestors": attestors,
    }
    if iv.require_vulnerability_attestation:
        spec["attestations"] = [{"name": "vulnerabilities",
                                 "intoto": {"type": VULN_PREDICATE_TYPE}}]
        validations.append({
            "expression": f"{_ALL_IMAGES}.all(image, verifyAttestationSignatures(image, "
                          f"attestations.vulnerabilities, {refs}) > 0)",
            "message": "Every image must carry a vulnerability scan attestation "
                       f"({VULN_PREDICATE_TYPE}) signed by one of the trusted keys.",
        })
        validations.append({
            "expression": f"{_ALL_IMAGES}.all(image, time.now() - timestamp(extractPayload("
                          "image, attestations.vulnerabilities).metadata.scanFinishedOn) <= "
                          f"duration('{iv.vulnerability_max_age_hours}h'))",
            "message": "The vulnerability scan attestation must be at most "
                       f"{iv.vulnerability_max_age_hours} hours old.",
        })
    spec["validations"] = validations
    return {
        "apiVersion": KYVERNO_API,
        "kind": "ImageValidatingPolicy",
        "metadata": _metadata(settings.policy_name("image_verification"), annotations={
            "policies.kyverno.io/title": "Verify image signatures",
            "policies.kyverno.io/category": "Software Supply Chain Security",
            "policies.kyverno.io/subject": "Pod",
        }),
        "spec": spec,
    }


def build_legacy_image_policy(settings: Settings) -> dict:
    """The same image rule as a kyverno.io/v1 ClusterPolicy, for clusters on Kyverno < 1.15.

    Differences forced by the legacy kind: ``verifyImages`` with ``type: SigstoreBundle`` (cosign
    3 bundles are OCI referrers, which ``type: Cosign`` does not find), ``failureAction``
    Enforce/Audit (Warn becomes Audit with ``emitWarning``), ``match``/``exclude`` blocks instead
    of matchConstraints, keys as ``attestors[].entries`` with ``count: 1`` (any key), JMESPath
    ``time_since`` for the scan age.
    """
    iv = settings.image_verification
    keys = {}
    if iv.ignore_transparency_log:
        keys = {"rekor": {"ignoreTlog": True}, "ctlog": {"ignoreSCT": True}}
    attestors = [{"count": 1, "entries": [{"keys": {"publicKeys": pem, **keys}}
                                          for pem in iv.public_keys]}]
    verify = {
        "imageReferences": list(iv.image_globs),
        "type": "SigstoreBundle",
        "failureAction": "Enforce" if "Deny" in iv.actions else "Audit",
        "mutateDigest": True,
        "verifyDigest": True,
        "required": True,
        "attestors": attestors,
    }
    if iv.require_vulnerability_attestation:
        verify["attestations"] = [{
            "type": VULN_PREDICATE_TYPE,
            "attestors": attestors,
            "conditions": [{"all": [{
                "key": "{{ time_since('', '{{ metadata.scanFinishedOn }}', '') }}",
                "operator": "DurationLessThanOrEquals",
                "value": f"{iv.vulnerability_max_age_hours}h",
            }]}],
        }]
    rule = {
        "name": "verify-image-signatures",
        "match": {"any": [{"resources": {"kinds": list(POD_KINDS)}}]},
        "verifyImages": [verify],
    }
    excluded = settings.all_excluded_namespaces()
    if excluded:
        rule["exclude"] = {"any": [{"resources": {"namespaces": excluded}}]}
    spec = {
        "background": False,
        "failurePolicy": _failure_policy(iv.actions),
        "webhookTimeoutSeconds": 30,
        "rules": [rule],
    }
    if "Warn" in iv.actions:
        spec["emitWarning"] = True
    policy = build_image_policy(settings)
    return {"apiVersion": LEGACY_API, "kind": "ClusterPolicy",
            "metadata": policy["metadata"], "spec": spec}


# Kubernetes' rand.SafeEncodeString alphabet (the pod-template-hash of a Deployment's
# ReplicaSets) and the scheduled-time suffix of a CronJob's Jobs.
_TEMPLATE_HASH = "[bcdfghjklmnpqrstvwxz2456789]+"
_SCHEDULE_SUFFIX = "[0-9]+"


def _owner_clause(w: Workload) -> str:
    """CEL over one owner reference ``o``: does it lead to the workload?

    Pods of a Deployment are owned by a ReplicaSet ``<name>-<pod-template-hash>`` and pods of a
    CronJob by a Job ``<name>-<scheduled time>``, so those two also accept that generated name;
    the other controllers own their pods directly.
    """
    escaped = w.name.replace(".", "\\\\.")
    direct = f"(o.kind == '{w.kind}' && o.name == '{w.name}')"
    if w.kind == "Deployment":
        return (f"{direct} || (o.kind == 'ReplicaSet' && "
                f"o.name.matches('^{escaped}-{_TEMPLATE_HASH}$'))")
    if w.kind == "CronJob":
        return f"{direct} || (o.kind == 'Job' && o.name.matches('^{escaped}-{_SCHEDULE_SUFFIX}$'))"
    if not w.kind:
        return (f"o.name == '{w.name}' || (o.kind == 'ReplicaSet' && "
                f"o.name.matches('^{escaped}-{_TEMPLATE_HASH}$')) || (o.kind == 'Job' && "
                f"o.name.matches('^{escaped}-{_SCHEDULE_SUFFIX}$'))")
    return direct


def _exception_conditions(exc: ExceptionSettings) -> list[dict]:
    """The workload itself, or a pod (ReplicaSet, Job) its controller created."""
    clauses = []
    for w in exc.workloads:
        itself = f"object.metadata.name == '{w.name}'"
        clauses.append(f"(object.kind == '{w.kind}' && {itself})" if w.kind else f"({itself})")
        if w.kind != "Pod":
            clauses.append("(has(object.metadata.ownerReferences) && "
                           f"object.metadata.ownerReferences.exists(o, {_owner_clause(w)}))")
    return [
        {"name": "in-namespace",
         "expression": f"has(object.metadata.namespace) && "
                       f"object.metadata.namespace == '{exc.namespace}'"},
        {"name": "named-workload", "expression": " || ".join(clauses)},
    ]


def build_policy_exception(settings: Settings, exc: ExceptionSettings) -> dict:
    """PolicyException for named workloads, with ``expiresAt`` so nothing is exempt forever.

    It lives in the workloads' namespace and matches, through CEL ``matchConditions``, the
    named workloads and the pods their controllers create (by owner reference). Kyverno must
    have policy exceptions enabled for that namespace (Helm ``features.policyExceptions``).
    """
    refs = []
    for key in exc.policies:
        kind = "ImageValidatingPolicy" if key == "image_verification" else "ValidatingPolicy"
        refs.append({"kind": kind, "name": settings.policy_name(key)})
    annotations = {"bulwark.io/expires-at": exc.expires_at}
    if exc.reason:
        annotations["bulwark.io/reason"] = exc.reason
    return {
        "apiVersion": KYVERNO_API,
        "kind": "PolicyException",
        "metadata": _metadata(exc.name, exc.namespace, annotations=annotations),
        "spec": {
            "policyRefs": refs,
            "expiresAt": exc.expires_at,
            "matchConditions": _exception_conditions(exc),
        },
    }


def build_namespace(settings: Settings, ns: NamespaceSettings) -> dict:
    """Namespace with Pod Security Admission labels (applying it to an existing one patches)."""
    psa = ns.pod_security
    labels = dict(ns.labels)
    for mode in ("enforce", "audit", "warn"):
        labels[f"pod-security.kubernetes.io/{mode}"] = getattr(psa, mode)
        labels[f"pod-security.kubernetes.io/{mode}-version"] = psa.version
    return {"apiVersion": "v1", "kind": "Namespace", "metadata": _metadata(ns.name, labels=labels)}


def _peers(rule: TrafficRule) -> list[dict]:
    peers = []
    for name in rule.namespaces:
        peer = {"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL: name}}}
        if rule.pods is not None:
            peer["podSelector"] = {"matchLabels": dict(rule.pods)} if rule.pods else {}
        peers.append(peer)
    if not rule.namespaces and rule.pods is not None:
        peers.append({"podSelector": {"matchLabels": dict(rule.pods)} if rule.pods else {}})
    for c in rule.cidrs:
        block = {"cidr": c.cidr}
        if c.except_cidrs:
            block["except"] = list(c.except_cidrs)
        peers.append({"ipBlock": block})
    return peers


def _ports(ports) -> list[dict]:
    out = []
    for p in ports:
        item = {"protocol": p.protocol, "port": p.port}
        if p.end_port is not None:
            item["endPort"] = p.end_port
        out.append(item)
    return out


def _selector(labels: dict) -> dict:
    return {"matchLabels": dict(labels)} if labels else {}


def build_network_policies(settings: Settings, ns: NamespaceSettings) -> list[dict]:
    """Default deny (ingress and egress), DNS to kube-dns, then the namespace's allowlists."""
    out = []

    def policy(name, spec):
        out.append({"apiVersion": "networking.k8s.io/v1", "kind": "NetworkPolicy",
                    "metadata": _metadata(name, ns.name), "spec": spec})

    if ns.default_deny:
        policy("default-deny-all", {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]})
    if ns.allow_dns:
        dns = settings.dns
        policy("allow-dns", {
            "podSelector": {},
            "policyTypes": ["Egress"],
            "egress": [{
                "to": [{"namespaceSelector": {"matchLabels": {NAMESPACE_NAME_LABEL:
                                                              dns.namespace}},
                        "podSelector": _selector(dns.pod_labels)}],
                "ports": [{"protocol": "UDP", "port": dns.port},
                          {"protocol": "TCP", "port": dns.port}],
            }],
        })
    for direction, key, peer_key in (("Ingress", "ingress", "from"), ("Egress", "egress", "to")):
        for rule in getattr(ns, key):
            entry = {peer_key: _peers(rule)}
            if rule.ports:
                entry["ports"] = _ports(rule.ports)
            policy(f"allow-{key}-{rule.name}"[:63].rstrip("-"), {
                "podSelector": _selector(rule.pod_selector),
                "policyTypes": [direction],
                key: [entry],
            })
    return out


def build_pod_security_policies(settings: Settings) -> list[dict]:
    return [build_pod_security_policy(settings, c) for c in settings.pod_security.controls()]


def build_bundle(settings: Settings | dict) -> list[dict]:
    """Every manifest, in apply order: namespaces, network policies, policies, exceptions."""
    if not isinstance(settings, Settings):
        settings = Settings.from_dict(settings)
    out = []
    for ns in settings.namespaces:
        out.append(build_namespace(settings, ns))
    for ns in settings.namespaces:
        out.extend(build_network_policies(settings, ns))
    out.extend(build_pod_security_policies(settings))
    if settings.image_verification.enabled:
        if settings.image_verification.legacy_cluster_policy:
            out.append(build_legacy_image_policy(settings))
        else:
            out.append(build_image_policy(settings))
    for exc in settings.exceptions:
        out.append(build_policy_exception(settings, exc))
    return out


def manifest_id(manifest: dict) -> str:
    """``kind/namespace/name`` (namespace empty for cluster-scoped kinds): unique in a bundle."""
    meta = manifest["metadata"]
    return f"{manifest['kind']}/{meta.get('namespace', '')}/{meta['name']}"



# --------------------------------------------------------------------------------------------
# `kyverno test` suites: for every pod security policy, compliant and non-compliant Pods,
# Deployments and CronJobs with the verdicts Kyverno must reach.
# --------------------------------------------------------------------------------------------

def _compliant_pod_spec() -> dict:
    return {
        "securityContext": {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"}},
        "containers": [{
            "name": "app",
            "image": "registry.example.com/team/app:1.0",
            "securityContext": {"allowPrivilegeEscalation": False,
                                "readOnlyRootFilesystem": True,
                                "capabilities": {"drop": ["ALL"]}},
        }],
    }


def _container(spec: dict) -> dict:
    return spec["containers"][0]["securityContext"]


def _with_init(spec: dict, **security) -> dict:
    init = {"name": "init", "image": "registry.example.com/team/init:1.0",
            "securityContext": {**_container(_compliant_pod_spec()), **security}}
    spec["initContainers"] = [init]
    return spec


def _variants(control: str, settings: Settings) -> tuple[list, list]:
    """(good, bad) lists of functions turning a compliant pod spec into a test case."""
    ps = settings.pod_security

    def set_pod(**kv):
        return lambda s: (s["securityContext"].update(kv), s)[1]

    def set_container(**kv):
        return lambda s: (_container(s).update(kv), s)[1]

    def drop_pod(key):
        return lambda s: (s["securityContext"].pop(key), s)[1]

    def drop_container(key):
        return lambda s: (_container(s).pop(key), s)[1]

    same = [lambda s: s]
    if control == "require_run_as_non_root":
        good = same + [lambda s: set_container(runAsNonRoot=True)(drop_pod("runAsNonRoot")(s))]
        bad = [set_pod(runAsNonRoot=False), set_container(runAsNonRoot=False),
               drop_pod("runAsNonRoot"), lambda s: _with_init(s, runAsNonRoot=False)]
    elif control == "disallow_privilege_escalation":
        good = same
        bad = [set_container(allowPrivilegeEscalation=True),
               drop_container("allowPrivilegeEscalation"),
               lambda s: _with_init(s, allowPrivilegeEscalation=True)]
    elif control == "require_drop_all_capabilities":
        good = same + [set_container(capabilities={"drop": ["ALL"], "add": ["NET_BIND_SERVICE"]})]
        bad = [drop_container("capabilities"), set_container(capabilities={"drop": ["NET_RAW"]}),
               lambda s: _with_init(s, capabilities={"add": ["CHOWN"]})]
    elif control == "restrict_added_capabilities":
        good = same + [set_container(capabilities={"drop": ["ALL"],
                                                   "add": list(ps.allowed_capabilities)})]
        bad = [set_container(capabilities={"drop": ["ALL"], "add": ["SYS_ADMIN"]}),
               set_container(capabilities={"drop": ["ALL"],
                                           "add": [*ps.allowed_capabilities, "NET_RAW"]}),
               lambda s: _with_init(s, capabilities={"drop": ["ALL"], "add": ["NET_ADMIN"]})]
    elif control == "restrict_seccomp":
        good = [set_pod(seccompProfile={"type": t, **({"localhostProfile": "profiles/app.json"}
                                                      if t == "Localhost" else {})})
                for t in ps.seccomp_profile_types]
        good.append(lambda s: set_container(seccompProfile={"type": ps.seccomp_profile_types[0]})(
            drop_pod("seccompProfile")(s)))
        bad = [set_pod(seccompProfile={"type": "Unconfined"}), drop_pod("seccompProfile"),
               set_container(seccompProfile={"type": "Unconfined"})]
    elif control == "require_read_only_root_filesystem":
        good = same
        bad = [set_container(readOnlyRootFilesystem=False),
               drop_container("readOnlyRootFilesystem"),
               lambda s: _with_init(s, readOnlyRootFilesystem=False)]
    elif control == "disallow_privileged_containers":
        good = same + [set_container(privileged=False)]
        bad = [set_container(privileged=True), lambda s: _with_init(s, privileged=True)]
    elif control == "disallow_host_namespaces":
        good = same + [lambda s: {**s, "hostNetwork": False, "hostPID": False, "hostIPC": False}]
        bad = [lambda s, f=f: {**s, f: True} for f in ("hostNetwork", "hostPID", "hostIPC")]
    else:
        raise KeyError(control)
    return good, bad


def _wrap(kind: str, name: str, spec: dict) -> dict:
    meta = {"name": name, "namespace": SUITE_NAMESPACE, "labels": {"app": name}}
    if kind == "Pod":
        return {"apiVersion": "v1", "kind": "Pod", "metadata": meta, "spec": spec}
    template = {"metadata": {"labels": {"app": name}}, "spec": spec}
    if kind == "Deployment":
        return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": meta,
                "spec": {"selector": {"matchLabels": {"app": name}}, "template": template}}
    template["spec"] = {**spec, "restartPolicy": "OnFailure"}
    return {"apiVersion": "batch/v1", "kind": "CronJob", "metadata": meta,
            "spec": {"schedule": "0 * * * *", "jobTemplate": {"spec": {"template": template}}}}


SUITE_KINDS = ("Pod", "Deployment", "CronJob")
SUITE_NAMESPACE = "bulwark-policy-tests"


def build_test_cases(settings: Settings, control: str) -> list[tuple[dict, str]]:
    """[(resource, 'pass'|'fail')] for one control: every variant as Pod, Deployment, CronJob."""
    good, bad = _variants(control, settings)
    cases = []
    for verdict, variants in (("pass", good), ("fail", bad)):
        label = "good" if verdict == "pass" else "bad"
        for i, make in enumerate(variants, 1):
            for kind in SUITE_KINDS:
                name = f"{label}-{kind.lower()}-{i:02d}"
                cases.append((_wrap(kind, name, make(_compliant_pod_spec())), verdict))
    return cases


def _yaml_docs(docs) -> str:
    """YAML documents; JSON (valid YAML 1.2) when PyYAML is absent, to stay dependency-free."""
    try:
        import yaml
    except ImportError:  # pragma: no cover - PyYAML ships with Ansible and Pulumi
        import json
        return "".join("---\n" + json.dumps(d, indent=2) + "\n" for d in docs)
    return yaml.safe_dump_all(docs, sort_keys=False, explicit_start=True, width=100)


def build_test_suites(settings: Settings | dict) -> dict[str, str]:
    """``kyverno test`` suites for the pod security policies: {relative path: file text}.

    One directory per policy with ``policy.yaml``, ``resources.yaml`` and ``kyverno-test.yaml``;
    run all of them with ``kyverno test <dir>``.
    """
    if not isinstance(settings, Settings):
        settings = Settings.from_dict(settings)
    suites = {}
    for control in settings.pod_security.controls():
        policy = build_pod_security_policy(settings, control)
        name = policy["metadata"]["name"]
        cases = build_test_cases(settings, control)
        results = []
        for verdict in ("pass", "fail"):
            for kind in SUITE_KINDS:
                names = [r["metadata"]["name"] for r, v in cases
                         if v == verdict and r["kind"] == kind]
                if names:
                    results.append({"isValidatingPolicy": True, "kind": kind, "policy": name,
                                    "resources": names, "result": verdict})
        # The namespace's labels, as the API server sets them, for the namespaceSelector.
        values = {"namespaceSelector": [{"name": SUITE_NAMESPACE,
                                         "labels": {NAMESPACE_NAME_LABEL: SUITE_NAMESPACE}}]}
        test = {"apiVersion": "cli.kyverno.io/v1alpha1", "kind": "Test",
                "metadata": {"name": name}, "policies": ["policy.yaml"],
                "resources": ["resources.yaml"], "values": values, "results": results}
        suites[f"{name}/policy.yaml"] = _yaml_docs([policy])
        suites[f"{name}/resources.yaml"] = _yaml_docs([r for r, _ in cases])
        suites[f"{name}/kyverno-test.yaml"] = _yaml_docs([test])
    return suites
