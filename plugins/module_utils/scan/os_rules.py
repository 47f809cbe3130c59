# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Build gate rules on the scanned image's operating system: Trivy's ``Metadata.OS``.

Trivy writes ``Metadata.OS`` for a container image whose OS it detected: ``Family``
(``alpine``, ``debian``, ``ubuntu``, ``redhat``, ``wolfi``, ...), ``Name`` (the release,
``3.9.4``) and ``EOSL`` (``true`` when the release is past its end of service life; omitted
otherwise, Go's ``omitempty``). The option ``os_rules`` asks for any of:

* ``allowed_families``: the family must be one of these;
* ``refuse_eosl``: ``EOSL: true`` fails the gate;
* ``minimal_base``: the image must be built on a minimal base. Precisely: its family is one of
  ``families`` (default ``alpine``, ``wolfi``, ``chainguard``: distributions without a shell
  toolbox or package manager beyond apk), or its image config carries the label
  ``org.opencontainers.image.base.name`` (Trivy copies it into
  ``Metadata.ImageConfig.config.Labels``) starting with one of ``base_images`` (default
  ``gcr.io/distroless/``, ``cgr.dev/chainguard/``). Trivy reads a Google distroless image as
  ``debian`` (its ``/etc/os-release``, aquasecurity/trivy's ``distroless-base`` golden: Family
  ``debian``, Name ``9.9``), so a distroless build passes by declaring its base: ``LABEL
  org.opencontainers.image.base.name=gcr.io/distroless/static-debian12:nonroot`` (the same name
  the admission rule allowed_base_images reads as a manifest annotation). ``true`` takes both
  defaults.

Fail closed: when a rule is asked for, a report without ``Metadata.OS`` (a repository or
filesystem scan, an image whose OS Trivy did not detect, a grype report) fails the gate, naming
what is missing; an ``OS`` that is not a mapping, a ``Family`` that is not a non-empty string or
an ``EOSL`` that is not a boolean is refused as unreadable (OsRulesError, naming its path).
"""
from __future__ import annotations

import re

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    got,
    shown,
)

OS_RULE_KEYS = ("allowed_families", "refuse_eosl", "minimal_base")
MINIMAL_KEYS = ("families", "base_images")
DEFAULT_MINIMAL_FAMILIES = ("alpine", "wolfi", "chainguard")
DEFAULT_MINIMAL_BASE_IMAGES = ("gcr.io/distroless/", "cgr.dev/chainguard/")
BASE_NAME_LABEL = "org.opencontainers.image.base.name"
_FAMILY = re.compile(r"[a-z0-9][a-z0-9._-]{0,63}\Z")
_IMAGE_PREFIX = re.compile(r"[a-z0-9][a-z0-9._:/-]{0,254}\Z")


class OsRulesError(ValueError):
    """Settings or a report the OS rules cannot read; the message names the key or path."""


def _names(value, key: str, pattern: re.Pattern, what: str) -> tuple[str, ...]:
    if not isinstance(value, list) or not value:
        raise OsRulesError(f"{key}: {shown(value, 80)} is {got(value)}; a non-empty list of "
                           f"{what} is required")
    for i, item in enumerate(value):
        if not isinstance(item, str) or not pattern.fullmatch(item):
            raise OsRulesError(f"{key}[{i}]: {shown(item, 80)} is not {what}")
    return tuple(value)


def _key(name) -> str:
    """A key of the option as a message names it: printable text as is, anything else quoted."""
    return name if isinstance(name, str) and name.isprintable() and name else shown(name, 40)


def _bool(value, key: str) -> bool:
    if not isinstance(value, bool):
        raise OsRulesError(f"{key}: {shown(value, 80)} is {got(value)}; true or false is required")
    return value


def parse_os_rules(value, key: str = "os_rules") -> dict | None:
    """The ``os_rules`` option checked: None when no rule is asked for."""
    if value is None or value == {}:
        return None
    if not isinstance(value, dict):
        raise OsRulesError(f"{key}: {shown(value, 80)} is {got(value)}; a mapping of "
                           + ", ".join(OS_RULE_KEYS) + " is required")
    for name in value:
        if name not in OS_RULE_KEYS:
            raise OsRulesError(f"{key}.{_key(name)}: unknown rule; use "
                               + ", ".join(OS_RULE_KEYS))
    rules: dict = {}
    if "allowed_families" in value:
        rules["allowed_families"] = _names(value["allowed_families"], f"{key}.allowed_families",
                                           _FAMILY, "an OS family as Trivy names it (alpine, "
                                           "debian, ubuntu, redhat, wolfi, ...)")
    if _bool(value.get("refuse_eosl", False), f"{key}.refuse_eosl"):
        rules["refuse_eosl"] = True
    minimal = value.get("minimal_base", False)
    if minimal is True:
        minimal = {}
    if isinstance(minimal, dict):
        for name in minimal:
            if name not in MINIMAL_KEYS:
                raise OsRulesError(f"{key}.minimal_base.{_key(name)}: unknown key; use "
                                   + ", ".join(MINIMAL_KEYS))
        rules["minimal_base"] = {
            "families": _names(minimal.get("families", list(DEFAULT_MINIMAL_FAMILIES)),
                               f"{key}.minimal_base.families", _FAMILY, "an OS family"),
            "base_images": _names(minimal.get("base_images", list(DEFAULT_MINIMAL_BASE_IMAGES)),
                                  f"{key}.minimal_base.base_images", _IMAGE_PREFIX,
                                  "an image name prefix (gcr.io/distroless/)"),
        }
    elif minimal is not False:
        raise OsRulesError(f"{key}.minimal_base: {shown(minimal, 80)} is {got(minimal)}; true, "
                           "false or a mapping of families and base_images is required")
    return rules or None


def read_os(report) -> dict | None:
    """``{"family", "name", "eosl"}`` of a Trivy report's Metadata.OS; None when it has none."""
    metadata = report.get("Metadata") if isinstance(report, dict) else None
    if metadata is None or (isinstance(metadata, dict) and metadata.get("OS") is None):
        return None
    if not isinstance(metadata, dict):
        raise OsRulesError(f"Metadata: {got(metadata)}, not a mapping")
    os_info = metadata["OS"]
    if not isinstance(os_info, dict):
        raise OsRulesError(f"Metadata.OS: {got(os_info)}, not a mapping")
    family = os_info.get("Family")
    if not isinstance(family, str) or not family:
        raise OsRulesError(f"Metadata.OS.Family: {shown(family, 80)} is {got(family)}; a "
                           "non-empty string is required")
    name = os_info.get("Name", "")
    if not isinstance(name, str):
        raise OsRulesError(f"Metadata.OS.Name: {shown(name, 80)} is {got(name)}, not a string")
    eosl = os_info.get("EOSL", False)
    if not isinstance(eosl, bool):
        raise OsRulesError(f"Metadata.OS.EOSL: {shown(eosl, 80)} is {got(eosl)}, not a boolean")
    return {"family": family, "name": name, "eosl": eosl}


def _base_name(report) -> str:
    config = ((report.get("Metadata") or {}).get("ImageConfig") or {})
    labels = (config.get("config") or {}).get("Labels") if isinstance(config, dict) else None
    value = labels.get(BASE_NAME_LABEL) if isinstance(labels, dict) else None
    return value if isinstance(value, str) else ""


def os_denials(report, rules, report_format: str = "trivy") -> list[str]:
    """The messages of the OS rules ``report`` fails (``rules`` from :func:`parse_os_rules`)."""
    if not rules:
        return []
    asked = ", ".join(r for r in OS_RULE_KEYS if r in rules)
    if report_format != "trivy":
        return [f"os_rules ({asked}) read Trivy's Metadata.OS; a {report_format} report has "
                "none: gate a Trivy image report"]
    found = read_os(report)
    if found is None:
        return [f"os_rules ({asked}): the report has no Metadata.OS (not a container image "
                "scan, or Trivy detected no OS in it), so the rules cannot be checked"]
    where = f"{found['family']} {found['name']}".strip()
    out = []
    allowed = rules.get("allowed_families")
    if allowed and found["family"] not in allowed:
        out.append(f"OS family {found['family']} ({where}) is not allowed; allowed: "
                   + ", ".join(allowed))
    if rules.get("refuse_eosl") and found["eosl"]:
        out.append(f"{where} is past its end of service life (Metadata.OS.EOSL)")
    minimal = rules.get("minimal_base")
    if minimal:
        base = _base_name(report)
        if found["family"] not in minimal["families"] and not any(
                base.startswith(prefix) for prefix in minimal["base_images"]):
            label = f"base {base}" if base else f"no {BASE_NAME_LABEL} label"
            out.append(f"{where} is not a minimal base ({label}); minimal: families "
                       + ", ".join(minimal["families"]) + ", or a base image under "
                       + ", ".join(minimal["base_images"]))
    return out
