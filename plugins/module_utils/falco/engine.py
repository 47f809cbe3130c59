# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What the linter takes from the Falco release it judges against: the engine version, the
``required_engine_version`` check and the scalar decoding of Falco's YAML library (yaml-cpp).

Followed from falcosecurity/falco at tag 0.44.1 (read, not copied):
  * userspace/engine/falco_engine_version.h: FALCO_ENGINE_VERSION_MAJOR/MINOR/PATCH = 0/62/0
    (the same in 0.44.0);
  * userspace/engine/rule_loader_reader.cpp, read_item(): ``required_engine_version`` is first
    decoded as an unsigned integer N, meaning MAJOR.N.PATCH of the engine
    (rule_loader_reader.h get_implicit_engine_version), else as a string that must parse as an
    ``x.y.z`` semver ("Unable to parse engine version ... Expected \"x.y.z\" semver format.");
  * userspace/engine/rule_loader_collector.cpp, collector::define(engine_version_info): the
    engine must be ``compatible_with`` the requirement - falcosecurity/libs sinsp_version:
    same major and engine >= required - else "Rules require engine version X, but engine
    version is Y";
  * yaml-cpp src/convert.cpp, convert<bool>::decode (what decode_optional_val<bool> uses for
    enabled, append, capture, warn_evttypes, skip-if-unknown-filter): y/n, yes/no, true/false,
    on/off, each lowercase, UPPERCASE or Capitalized, quoted or not (the scalar's text is
    decoded, not its YAML tag).
"""
from __future__ import annotations

import re

# Falco release -> engine version (falco_engine_version.h at the release tag).
FALCO_ENGINE_VERSIONS = {
    "0.44.0": "0.62.0",
    "0.44.1": "0.62.0",
}
# The release roles/falco pins (defaults/main.yml falco_version); a unit test keeps them equal.
PINNED_FALCO_VERSION = "0.44.1"

_YAML_CPP_BOOLS = {"y": True, "yes": True, "true": True, "on": True,
                   "n": False, "no": False, "false": False, "off": False}
# ASCII digits: "\d" would take any Unicode digit, which Falco's parser refuses.
_SEMVER_RE = re.compile(r"([0-9]+)\.([0-9]+)\.([0-9]+)")
_UINT_RE = re.compile(r"\+?[0-9]+")


def _flexible_case(text: str) -> bool:
    """yaml-cpp's IsFlexibleCase: lowercase, UPPERCASE or Capitalized (ASCII letters)."""
    if not text or (text.islower() and text.isascii()):
        return True
    rest = text[1:]
    return text[0].isupper() and (rest == "" or rest.islower() or rest.isupper())


def yaml_cpp_bool(value):
    """The bool yaml-cpp decodes from a scalar (True/False), or None when it decodes none.

    PyYAML has already turned YAML 1.1 booleans into bool; strings are what it left, such as
    `y`, `N` or a quoted "true", which yaml-cpp still decodes as booleans."""
    if isinstance(value, bool):
        return value
    if not isinstance(value, str) or not _flexible_case(value):
        return None
    return _YAML_CPP_BOOLS.get(value.lower())


def engine_version(falco_version: str) -> str:
    """The engine version of a Falco release; ValueError naming the known releases."""
    try:
        return FALCO_ENGINE_VERSIONS[falco_version]
    except KeyError:
        raise ValueError(f"unknown Falco release {falco_version!r}: the linter knows the engine "
                         f"versions of {', '.join(sorted(FALCO_ENGINE_VERSIONS))}") from None


def _triple(text: str):
    return tuple(int(x) for x in _SEMVER_RE.fullmatch(text).groups())


def required_engine_version_problem(raw, falco_version: str = PINNED_FALCO_VERSION):
    """None when Falco `falco_version` accepts ``required_engine_version: raw``, else the error.

    `raw` is the scalar's text as written (an integer N means engine MAJOR.N.PATCH)."""
    engine = engine_version(falco_version)
    major, _minor, patch = _triple(engine)
    text = str(raw).strip()
    if isinstance(raw, bool) or isinstance(raw, (list, dict)) or raw is None or text == "":
        return (f"required_engine_version {raw!r} is neither an integer nor an \"x.y.z\" "
                "version string")
    if _UINT_RE.fullmatch(text) and int(text) < 2 ** 32:
        required = (major, int(text), patch)
    elif _SEMVER_RE.fullmatch(text):
        required = _triple(text)
    else:
        return (f"unable to parse engine version {text!r} as a semver string: expected an "
                "integer or the \"x.y.z\" format")
    shown = ".".join(str(x) for x in required)
    if required[0] != major:
        return (f"rules require engine version {shown}, a different major version than the "
                f"engine of Falco {falco_version} (engine version {engine})")
    if required > _triple(engine):
        return (f"rules require engine version {shown}, newer than the engine of Falco "
                f"{falco_version} (engine version {engine})")
    return None
