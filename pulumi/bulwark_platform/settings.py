"""Typed settings of the Bulwark platform program, read once from the stack config.

Every stack config key of the project is declared in CONFIG_KEYS (the same table as the
`config:` schema of Pulumi.yaml; a unit test keeps the two equal). Values reach the program
either from Pulumi (strings, JSON for objects/arrays) or from a stack file read by
`render.py` (native YAML values); both are normalised here. A bad value raises
StackConfigError naming the key, the value and what would be accepted.

The `policy` key is handed unchanged to the policy builders (plugins/module_utils/kyverno/),
the one policy source shared with the Ansible `kyverno` role.
"""
from __future__ import annotations

import json
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    rules_library,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco.alerts import (
    AlertsError,
    sidekick_config,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    url_error,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.kubernetes_names import (
    DNS_LABEL,
)

PROJECT = "bulwark"
PULUMI_DIR = Path(__file__).resolve().parent.parent
REPO_ROOT = PULUMI_DIR.parent

# Pinned Helm charts, in this one place. Checked against the upstream chart sources:
#   kyverno/kyverno charts/kyverno/Chart.yaml   3.9.0 -> appVersion v1.19.0 (the release whose
#     CRDs the policy builders validate against: ValidatingPolicy/ImageValidatingPolicy v1)
#   falcosecurity/charts charts/falco/Chart.yaml 9.1.1 -> appVersion 0.44.1 (the Falco line
#     the collection's falco role and rules target)
KYVERNO_CHART_VERSION = "3.9.0"
KYVERNO_CHART_REPOSITORY = "https://kyverno.github.io/kyverno/"
FALCO_CHART_VERSION = "9.1.1"
FALCO_CHART_REPOSITORY = "https://falcosecurity.github.io/charts"

# key -> (type, default, description). Types are Pulumi.yaml config types.
CONFIG_KEYS: dict[str, tuple[str, Any, str]] = {
    "kyvernoNamespace": ("string", "kyverno", "Namespace of the Kyverno release."),
    "kyvernoChartVersion": ("string", KYVERNO_CHART_VERSION,
                            "Exact version of the kyverno Helm chart; empty: the pinned one."),
    "kyvernoChartRepository": ("string", KYVERNO_CHART_REPOSITORY,
                               "Helm repository (or mirror) of the kyverno chart."),
    "kyvernoValues": ("object", {}, "Extra Helm values merged over the program's kyverno values."),
    "falcoEnabled": ("boolean", True,
                     "Install Falco (modern_ebpf driver) with the collection's rules."),
    "falcoNamespace": ("string", "falco", "Namespace of the Falco release."),
    "falcoChartVersion": ("string", FALCO_CHART_VERSION,
                          "Exact version of the falco Helm chart; empty: the pinned one."),
    "falcoChartRepository": ("string", FALCO_CHART_REPOSITORY,
                             "Helm repository (or mirror) of the falco chart."),
    "falcoRulesFiles": ("array", [],
                        "Falco rules files loaded as the chart's customRules (paths relative to "
                        "the repository root). Empty: the collection's Falco rules library."),
    "falcoLibrary": ("object", {},
                     "Variables of the collection's Falco rules library, as the falco role names "
                     "them (falco_shell_binaries, falco_trusted_images, "
                     "falco_egress_allowed_by_image...), over the library's defaults; checked by "
                     "module_utils/falco/rules_library.py."),
    "falcoValues": ("object", {}, "Extra Helm values merged over the program's falco values."),
    "falcosidekick": ("object", {},
                      "falcosidekick outputs for Falco's alerts ({webhook|slack|loki|alertmanager: "
                      "settings}); empty: no falcosidekick. Checked by the collection's "
                      "module_utils/falco/alerts.py."),
    "kubeconfig": ("string", "",
                   "Kubeconfig (path or contents) of an explicit kubernetes provider; empty with "
                   "an empty kubeContext: the default provider (kubernetes:* config, KUBECONFIG)."),
    "kubeContext": ("string", "", "Kubeconfig context of the explicit kubernetes provider."),
    "policy": ("object", {},
               "Settings of the policy builders (plugins/module_utils/kyverno/): "
               "pod security controls, image signatures, exceptions, namespaces, networking."),
}

# Whole string, ASCII digits: "$" would accept a trailing newline and "\d" any Unicode digit.
_CHART_VERSION_RE = re.compile(r"[0-9]+\.[0-9]+\.[0-9]+(?:-[0-9A-Za-z.-]+)?\Z")
_PY_TYPES = {"string": str, "boolean": bool, "array": list, "object": dict, "integer": int}


class StackConfigError(ValueError):
    """Bad stack config; the message names the key, the value and what is accepted."""


@dataclass(frozen=True)
class ChartRelease:
    """One pinned Helm release."""

    name: str
    chart: str
    version: str
    repository: str
    namespace: str
    values: dict = field(default_factory=dict)


@dataclass(frozen=True)
class PlatformSettings:
    kyverno: ChartRelease
    falco: ChartRelease | None
    falco_rules_files: tuple[Path, ...]
    policy: dict
    falcosidekick: dict = field(default_factory=dict)   # its config; {}: not deployed
    falco_library: dict = field(default_factory=dict)   # rules library variables over DEFAULTS
    kubeconfig: str = ""
    kube_context: str = ""

    @property
    def system_namespaces(self) -> tuple[str, ...]:
        names = [self.kyverno.namespace]
        if self.falco:
            names.append(self.falco.namespace)
        return tuple(names)


def _key(name: str) -> str:
    return f"{PROJECT}:{name}"


def _decode(name: str, value: Any) -> Any:
    kind, _default, _desc = CONFIG_KEYS[name]
    if kind != "string" and isinstance(value, str):
        # Pulumi hands objects, arrays and booleans over as JSON text.
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise StackConfigError(f"{_key(name)}: {value!r} is not valid {kind} JSON "
                                   f"({exc.msg})") from None
    expected = _PY_TYPES[kind]
    if not isinstance(value, expected) or (kind == "integer" and isinstance(value, bool)):
        raise StackConfigError(f"{_key(name)}: {value!r} is a {type(value).__name__}; "
                               f"a {kind} is required")
    return value


def _chart_version(name: str, value: str) -> str:
    if value == "":
        # Pulumi.yaml declares an empty default so that the pin lives here only.
        return CONFIG_KEYS[name][1]
    if not _CHART_VERSION_RE.fullmatch(value):
        raise StackConfigError(f"{_key(name)}: {value!r} is not an exact chart version like "
                               f"{CONFIG_KEYS[name][1]} (ranges and 'latest' are refused)")
    return value


def _namespace(name: str, value: str) -> str:
    if not DNS_LABEL.fullmatch(value):
        raise StackConfigError(f"{_key(name)}: {value!r} is not a Kubernetes namespace name "
                               "(lowercase letters, digits and '-', at most 63 characters)")
    return value


def _repository(name: str, value: str) -> str:
    """An https:// or oci:// URL with a host; the one URL check (http_urls.url_error) refuses
    whitespace, control characters and credentials, and its message never shows them."""
    problem = url_error(re.sub(r"\Aoci://", "https://", value), _key(name))
    if problem is None and value.startswith(("https://", "oci://")):
        return value
    if problem and ("@" in value or not value.isprintable() or " " in value):
        raise StackConfigError(f"{problem} (an https:// or oci:// chart repository)")
    raise StackConfigError(f"{_key(name)}: {value!r} must be an https:// or oci:// URL with a "
                           "host")


def _release(name: str, get: dict) -> ChartRelease:
    """The pinned Helm release `name` from its `<name>Chart*`, `<name>Namespace` and values keys."""
    return ChartRelease(
        name=name, chart=name,
        version=_chart_version(f"{name}ChartVersion", get[f"{name}ChartVersion"]),
        repository=_repository(f"{name}ChartRepository", get[f"{name}ChartRepository"]),
        namespace=_namespace(f"{name}Namespace", get[f"{name}Namespace"]),
        values=dict(get[f"{name}Values"]),
    )


def from_mapping(raw: Mapping[str, Any]) -> PlatformSettings:
    """Settings from a stack config mapping (`bulwark:<key>` or bare `<key>` names)."""
    values: dict[str, Any] = {}
    for full_key, value in raw.items():
        name = full_key.split(":", 1)[1] if ":" in full_key else full_key
        if ":" in full_key and not full_key.startswith(f"{PROJECT}:"):
            continue  # other namespaces (kubernetes:context, ...) are not ours
        if name not in CONFIG_KEYS:
            raise StackConfigError(f"{_key(name)} is not a setting of this project; allowed: "
                                   f"{', '.join(sorted(CONFIG_KEYS))}")
        values[name] = _decode(name, value)
    get = {k: values.get(k, default) for k, (_t, default, _d) in CONFIG_KEYS.items()}

    kyverno = _release("kyverno", get)
    falco = None
    rules: tuple[Path, ...] = ()
    if get["falcoEnabled"]:
        falco = _release("falco", get)
        if falco.namespace == kyverno.namespace:
            raise StackConfigError(f"{_key('falcoNamespace')}: {falco.namespace!r} is also "
                                   f"{_key('kyvernoNamespace')}; give each release its own "
                                   "namespace")
        paths = []
        for index, entry in enumerate(get["falcoRulesFiles"]):
            if not isinstance(entry, str) or not entry:
                raise StackConfigError(f"{_key('falcoRulesFiles')}[{index}]: {entry!r} is not a "
                                       "file path")
            path = Path(entry)
            if not path.is_absolute():
                path = REPO_ROOT / path
                inside = os.path.normpath(path)  # '..' resolved by name, before any stat
                if os.path.commonpath([inside, str(REPO_ROOT)]) != str(REPO_ROOT):
                    raise StackConfigError(
                        f"{_key('falcoRulesFiles')}[{index}]: {entry!r} leaves the repository "
                        f"({REPO_ROOT}); give a path below it, or an absolute path")
            if not path.is_file():
                raise StackConfigError(f"{_key('falcoRulesFiles')}[{index}]: {entry!r} does not "
                                       f"exist (relative paths start at {REPO_ROOT})")
            paths.append(path)
        rules = tuple(paths)
    library = dict(get["falcoLibrary"])
    if library:
        if not falco or rules:
            raise StackConfigError(f"{_key('falcoLibrary')} needs {_key('falcoEnabled')}: true "
                                   f"and no {_key('falcoRulesFiles')} (they replace the library)")
        found = rules_library.problems(library)
        if found:
            raise StackConfigError(f"{_key('falcoLibrary')}: {'; '.join(found)}")
    sidekick = {}
    if get["falcosidekick"]:
        if not falco:
            raise StackConfigError(f"{_key('falcosidekick')} needs {_key('falcoEnabled')}: true")
        try:
            sidekick = sidekick_config(get["falcosidekick"], _key("falcosidekick"))
        except AlertsError as exc:
            raise StackConfigError(str(exc)) from None
    return PlatformSettings(kyverno=kyverno, falco=falco, falco_rules_files=rules,
                            falcosidekick=sidekick, falco_library=library,
                            policy=dict(get["policy"]), kubeconfig=get["kubeconfig"],
                            kube_context=get["kubeContext"])


def from_pulumi_config() -> PlatformSettings:
    """Settings from the running stack's config: every key of CONFIG_KEYS, once, through
    ``pulumi.Config`` (which reads by name, so a misspelt key is not seen here; Pulumi.yaml
    declares the same keys with their types for the CLI)."""
    import pulumi

    config = pulumi.Config(PROJECT)
    raw = {}
    for name in CONFIG_KEYS:
        value = config.get(name)
        if value is not None:
            raw[name] = value
    return from_mapping(raw)


def from_stack_file(path: str | Path) -> PlatformSettings:
    """Settings from a `Pulumi.<stack>.yaml` file, for rendering without the Pulumi CLI."""
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    return from_mapping(data.get("config") or {})
