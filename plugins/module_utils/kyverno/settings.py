# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Typed policy settings: read once from a mapping, checked, then handed to the builders.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ansible_collections.bulwark.container_security.plugins.module_utils.kubernetes_names import (
    DNS_SUBDOMAIN,
    PORT_NAME,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    image_rules as rules_table,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno import (
    image_verification,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.controls import (
    POD_SECURITY_CONTROLS,
    SELINUX_TYPE_LISTS,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.native import (
    ENGINES,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    _CAPABILITY,
    _PSA_VERSION,
    DEFAULT_MAX_EXCEPTION_DAYS,
    DEFAULT_SYSTEM_NAMESPACES,
    MAX_EXCEPTION_DAYS_LIMIT,
    NETWORK_PROTOCOLS,
    POD_KINDS,
    PSA_LEVELS,
    SECCOMP_TYPES,
    SettingsError,
    _actions,
    _bool,
    _cidr,
    _except_cidrs,
    _expiry,
    _int,
    _labels,
    _mapping,
    _name,
    _record,
    _str_list,
    _unknown,
)

_PINNED_KYVERNO = image_verification.KYVERNO_PINNED_VERSION


@dataclass(frozen=True)
class PodSecuritySettings:
    enabled: bool = True
    default_actions: tuple[str, ...] = ("Audit",)
    actions: dict = field(default_factory=dict)          # control -> tuple of actions
    disabled_controls: tuple[str, ...] = ()
    allowed_capabilities: tuple[str, ...] = ("NET_BIND_SERVICE",)
    seccomp_profile_types: tuple[str, ...] = SECCOMP_TYPES
    selinux_types: str = "pod_security_standards"    # or kyverno_policies (no container_engine_t)

    KEYS = ("enabled", "default_action", "actions", "disabled_controls",
            "allowed_capabilities", "seccomp_profile_types", "selinux_types")

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
        selinux = data.get("selinux_types", "pod_security_standards")
        if not isinstance(selinux, str) or selinux not in SELINUX_TYPE_LISTS:
            raise SettingsError(f"{key}.selinux_types", selinux,
                                "pod_security_standards (Kubernetes' list, container_engine_t "
                                "since v1.31) or kyverno_policies (kyverno/policies' "
                                "disallow-selinux: without container_engine_t)")
        return cls(enabled=_bool(data.get("enabled", True), f"{key}.enabled"),
                   default_actions=default, actions=actions, disabled_controls=disabled,
                   allowed_capabilities=caps, seccomp_profile_types=seccomp,
                   selinux_types=selinux)

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
    notary_certificates: tuple[str, ...] = ()   # image_verification.py: the other signers
    keyless: tuple = ()
    signature_format: str = "legacy"     # how cosign_sign signs the images: legacy or bundle

    KEYS = ("enabled", "action", "public_keys", "image_globs",
            "require_vulnerability_attestation", "vulnerability_max_age_hours",
            "ignore_transparency_log", "legacy_cluster_policy",
            "signature_format") + image_verification.SIGNER_KEYS

    @classmethod
    def from_dict(cls, data, key: str = "image_verification") -> ImageVerificationSettings:
        data = _mapping(data, key)
        _unknown(data, cls.KEYS, key)
        signers = image_verification.parse_signers(data, key)
        enabled = _bool(data.get("enabled", bool(data.get("public_keys")) or any(
            signers.values())), f"{key}.enabled")
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
            if any(ch.isspace() for ch in glob) or not glob.isprintable():
                raise SettingsError(f"{key}.image_globs[{i}]", glob, "an image glob without "
                                    "spaces or control characters (e.g. "
                                    "registry.example.com/team/*)")
        if enabled and not keys and not any(signers.values()):
            raise SettingsError(f"{key}.public_keys", list(keys),
                                "at least one PEM public key (or notary_certificates or keyless "
                                "identities) when image verification is enabled")
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
            signature_format=image_verification.signature_format(
                data.get("signature_format", "legacy"), f"{key}.signature_format"),
            **signers,
        )


@dataclass(frozen=True)
class Workload:
    name: str
    kind: str = ""            # '' = any kind of pod or pod controller with this name

    @classmethod
    def from_dict(cls, data, key: str) -> Workload:
        data = _record(data, key, ("name", "kind"), "name")
        kind = data.get("kind", "")
        if kind and kind not in POD_KINDS:
            raise SettingsError(f"{key}.kind", kind, "one of " + ", ".join(POD_KINDS))
        return cls(name=_name(data.get("name"), f"{key}.name", DNS_SUBDOMAIN), kind=kind)


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
    def from_dict(cls, data, key: str,
                  max_days: int = DEFAULT_MAX_EXCEPTION_DAYS) -> ExceptionSettings:
        data = _mapping(data, key)
        _unknown(data, cls.KEYS, key)
        allowed = (*POD_SECURITY_CONTROLS, *rules_table.IMAGE_RULES, "image_verification")
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
        name = _name(data.get("name"), f"{key}.name", DNS_SUBDOMAIN)
        namespace = _name(data.get("namespace"), f"{key}.namespace")
        return cls(
            name=name, namespace=namespace, policies=policies,
            workloads=tuple(Workload.from_dict(w, f"{key}.workloads[{i}]")
                            for i, w in enumerate(workloads)),
            expires_at=_expiry(data["expires_at"], f"{key}.expires_at", max_days,
                               f"{namespace}/{name}"),
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
            if not PORT_NAME.fullmatch(port):
                raise SettingsError(f"{key}.port", port, "a port number 1-65535 or a named port "
                                    "(at most 15 lowercase letters, digits and '-', a letter "
                                    "at least, no '--')")
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
        data = _record(data, key, ("cidr", "except"), "cidr")
        cidr = _cidr(data.get("cidr"), f"{key}.cidr")
        return cls(cidr=cidr, except_cidrs=_except_cidrs(cidr, data.get("except"),
                                                         f"{key}.except"))


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
        if not isinstance(version, str) or not _PSA_VERSION.fullmatch(version):
            raise SettingsError(f"{key}.version", version,
                                "a pinned Kubernetes minor such as v1.33 (or 'latest')")
        return cls(version=version, **levels)


@dataclass(frozen=True)
class NamespaceSettings:
    name: str
    existing: bool = False          # True: patch the labels of a namespace someone else owns;
    # its owner's traffic rules stay theirs: no default deny or DNS policy unless asked for
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
        data = _record(data, key, cls.KEYS, "name")
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
        existing = _bool(data.get("existing", False), f"{key}.existing")
        return cls(name=_name(data.get("name"), f"{key}.name"),
                   existing=existing,
                   labels=labels,
                   pod_security=PodSecurityLabels.from_dict(data.get("pod_security"),
                                                            f"{key}.pod_security",
                                                            default_version),
                   default_deny=_bool(data.get("default_deny", not existing),
                                      f"{key}.default_deny"),
                   allow_dns=_bool(data.get("allow_dns", not existing), f"{key}.allow_dns"),
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
        engine: kyverno                           # or native: pod security as Kubernetes'
                                                  # ValidatingAdmissionPolicy (v1.30+)
        system_namespaces: [kube-system, kyverno, falco]
        excluded_namespaces: []                   # added to the system namespaces
        pod_security:
          enabled: true
          default_action: Audit                   # Audit | Warn | Deny | [Warn, Audit]
          actions: {restrict_seccomp: Deny}       # per control (POD_SECURITY_CONTROLS keys)
          disabled_controls: []
          allowed_capabilities: [NET_BIND_SERVICE]
          seccomp_profile_types: [RuntimeDefault, Localhost]
          selinux_types: pod_security_standards   # or kyverno_policies (no container_engine_t)
        image_verification:
          enabled: false                          # true as soon as public_keys are given
          action: Audit
          public_keys: [PEM, ...]                 # any one of them (rotation)
          image_globs: [registry.example.com/*]
          require_vulnerability_attestation: false
          vulnerability_max_age_hours: 168
          ignore_transparency_log: false          # true for keys signed without Rekor
          legacy_cluster_policy: false            # kyverno.io/v1 ClusterPolicy instead
          signature_format: legacy                # or bundle: refused on kyverno_version 1.19.0
        image_rules:                              # each rule on when present (image_rules.py)
          allowed_registries: {action: Deny, registries: [registry.example.com/team]}
          disallow_latest_tag: {action: Deny}
          require_digest: {action: Audit}
          allowed_base_images: {action: Audit, images: [gcr.io/distroless/static:nonroot]}
        kyverno_version: 1.19.0                   # the Kyverno release admitting (the pin)
        exceptions:
          - {name, namespace, policies: [control | image_verification],
             workloads: [name | {name, kind}], expires_at: RFC 3339, reason}
        max_exception_days: 365                   # expires_at at most this far out (<= 3650)
        pod_security_admission_version: v1.33
        namespaces:
          - name: payments
            existing: false                       # true: only patch labels of someone's namespace
            labels: {}
            pod_security: {enforce: restricted, audit: restricted, warn: restricted,
                           version: v1.33}
            default_deny: true                    # default: not existing
            allow_dns: true                       # default: not existing
            ingress: [{name, pod_selector, namespaces, pods, cidrs, ports}]
            egress: [{name, pod_selector, namespaces, pods, cidrs, ports}]
        dns: {namespace: kube-system, pod_labels: {k8s-app: kube-dns}, port: 53}
    """
    name_prefix: str = "bulwark"
    engine: str = "kyverno"
    system_namespaces: tuple[str, ...] = DEFAULT_SYSTEM_NAMESPACES
    excluded_namespaces: tuple[str, ...] = ()
    pod_security: PodSecuritySettings = field(default_factory=PodSecuritySettings)
    image_verification: ImageVerificationSettings = field(
        default_factory=ImageVerificationSettings)
    image_rules: rules_table.ImageRulesSettings = field(
        default_factory=rules_table.ImageRulesSettings)
    kyverno_version: str = _PINNED_KYVERNO
    exceptions: tuple[ExceptionSettings, ...] = ()
    max_exception_days: int = DEFAULT_MAX_EXCEPTION_DAYS
    pod_security_admission_version: str = "v1.33"
    namespaces: tuple[NamespaceSettings, ...] = ()
    dns: DnsSettings = field(default_factory=DnsSettings)

    KEYS = ("name_prefix", "engine", "system_namespaces", "excluded_namespaces", "pod_security",
            "image_verification", "image_rules", "kyverno_version", "exceptions",
            "max_exception_days", "pod_security_admission_version", "namespaces", "dns")

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
        if not isinstance(version, str) or not _PSA_VERSION.fullmatch(version):
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
        max_days = _int(data.get("max_exception_days", DEFAULT_MAX_EXCEPTION_DAYS),
                        "max_exception_days", 1, MAX_EXCEPTION_DAYS_LIMIT)
        exceptions = tuple(ExceptionSettings.from_dict(e, f"exceptions[{i}]", max_days)
                           for i, e in enumerate(raw_ex))
        seen = set()
        for i, exc in enumerate(exceptions):
            if (exc.namespace, exc.name) in seen:
                raise SettingsError(f"exceptions[{i}].name", exc.name,
                                    "a name unique within its namespace")
            seen.add((exc.namespace, exc.name))
        image_verification_settings = ImageVerificationSettings.from_dict(
            data.get("image_verification"))
        for i, exc in enumerate(exceptions):
            if "image_verification" in exc.policies and not (
                    image_verification_settings.enabled
                    and not image_verification_settings.legacy_cluster_policy):
                j = exc.policies.index("image_verification")
                raise SettingsError(f"exceptions[{i}].policies[{j}]", "image_verification",
                                    "a pod security control: image_verification exceptions need "
                                    "image_verification.enabled and the ImageValidatingPolicy "
                                    "(legacy_cluster_policy: false)")
        engine = data.get("engine", "kyverno")
        if engine not in ENGINES:
            raise SettingsError("engine", engine, "kyverno or native (ValidatingAdmissionPolicy)")
        for i, exc in enumerate(exceptions):
            controls = [p for p in exc.policies if p in POD_SECURITY_CONTROLS]
            if engine == "native" and controls:
                raise SettingsError(f"exceptions[{i}].policies", list(exc.policies),
                                    "only image_verification with engine native: "
                                    "ValidatingAdmissionPolicy has no expiring exceptions (use "
                                    "excluded_namespaces, or engine kyverno)")
        image_rules = rules_table.ImageRulesSettings.from_dict(data.get("image_rules"))
        for rule in image_rules.enabled():
            if engine == "native" and rule in rules_table.REGISTRY_RULES:
                raise SettingsError(f"image_rules.{rule}", "enabled", "engine kyverno: this "
                                    "rule reads the image's manifest from its registry (Kyverno's "
                                    "image.GetMetadata), which ValidatingAdmissionPolicy cannot; "
                                    "drop it or set enabled: false")
        for i, exc in enumerate(exceptions):
            for j, item in enumerate(exc.policies):
                if item in rules_table.IMAGE_RULES and item not in image_rules.enabled():
                    raise SettingsError(f"exceptions[{i}].policies[{j}]", item,
                                        f"an enabled rule: image_rules.{item} is off")
                if item in rules_table.IMAGE_RULES and engine == "native":
                    raise SettingsError(f"exceptions[{i}].policies[{j}]", item,
                                        "a rule of engine kyverno (ValidatingAdmissionPolicy has "
                                        "no expiring exceptions)")
        kyverno_version = image_verification.kyverno_release(
            data.get("kyverno_version", _PINNED_KYVERNO),
            "kyverno_version")
        image_verification.refuse_known_regressions(image_verification_settings, kyverno_version)
        return cls(
            name_prefix=prefix, engine=engine, system_namespaces=system,
            excluded_namespaces=excluded,
            pod_security=PodSecuritySettings.from_dict(data.get("pod_security")),
            image_verification=image_verification_settings,
            image_rules=image_rules, kyverno_version=kyverno_version,
            exceptions=exceptions, max_exception_days=max_days,
            pod_security_admission_version=version,
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
        if control in rules_table.IMAGE_RULES:
            return f"{self.name_prefix}-{rules_table.IMAGE_RULES[control][0]}"
        return f"{self.name_prefix}-{POD_SECURITY_CONTROLS[control][0]}"
