# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The image rules every platform team starts with, as CEL over each container's ``image``.

Four rules, each optional (a rule is on when its key is present), each with its own action:

* ``allowed_registries`` - the image's normalised name is one of ``registries`` or lies under
  one (``registry.example/team`` admits ``registry.example/team/app`` and
  ``registry.example/team:1``, never ``registry.example/team-evil/app`` nor
  ``registry.example.evil/...``). Names are normalised as distribution/reference's
  ``ParseNormalizedNamed`` does: a first component without ``.`` or ``:`` that is not
  ``localhost`` (and is lower case) is no registry, so ``nginx`` is
  ``docker.io/library/nginx`` and ``team/app`` is ``docker.io/team/app``; ``index.docker.io``
  is ``docker.io``.
* ``disallow_latest_tag`` - a tag other than ``latest``, or a digest (a digest pins the content;
  ``nginx@sha256:...`` passes, ``nginx`` and ``nginx:latest`` do not).
* ``require_digest`` - ``@sha256:<64 hex>`` or ``@sha512:<128 hex>``.
* ``allowed_base_images`` - the ``org.opencontainers.image.base.name`` annotation of the image's
  manifest is one of ``images``, read as kyverno/policies' ``allowed-base-images``
  (other-vpol) reads it, with Kyverno's ``image.GetMetadata``. It needs the registry: Kyverno
  only (the settings refuse it with ``engine: native``), and the offline check lists it as not
  evaluated.

Every rule reads every container kind (containers, initContainers, ephemeralContainers) of Pods
and pod controllers, through the pod security policies' ``podSpec`` / ``containers``
variables. The Python CEL engines and Kubernetes' CEL share only the standard string functions,
so names are matched with ``matches`` (RE2 syntax without look-around, the same in Go, Rust and
Python) and ``startsWith``; an image the reference grammar does not read, or one with white
space (Python's ``$`` also matches before a trailing newline), fails every rule. ``reference``
and ``allows`` are the same rules in Python, which the tests hold the CEL to.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from ansible_collections.bulwark.container_security.plugins.module_utils.kyverno.validation import (
    SettingsError,
    _actions,
    _bool,
    _mapping,
    _str_list,
    _unknown,
)

# rule -> (policy name suffix, title, settings keys besides enabled and action)
IMAGE_RULES = {
    "allowed_registries": ("allowed-registries", "Allowed image registries", ("registries",)),
    "disallow_latest_tag": ("disallow-latest-tag", "Disallow the latest tag and untagged images",
                            ()),
    "require_digest": ("require-image-digest", "Require image digests", ()),
    "allowed_base_images": ("allowed-base-images", "Allowed base images", ("images",)),
}
# What ValidatingAdmissionPolicy (and the offline check) cannot evaluate: registry metadata.
REGISTRY_RULES = ("allowed_base_images",)
BASE_IMAGE_ANNOTATION = "org.opencontainers.image.base.name"
# Kyverno's image data function (kyverno/sdk extensions/cel/libs/image); no Python engine has it.
REGISTRY_FUNCTION = "image.GetMetadata("

DOCKER_HUB = "docker.io"
_LEGACY_DOCKER_HUB = "index.docker.io"

# distribution/reference's grammar (reference/regexp.go), IPv6 hosts left out (refused).
_COMPONENT = r"[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?"
_DOMAIN = rf"{_COMPONENT}(?:\.{_COMPONENT})*(?::[0-9]+)?"
_PATH = r"[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*"
_TAG = r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}"
_DIGEST = r"[A-Za-z][A-Za-z0-9]*(?:[-_+.][A-Za-z][A-Za-z0-9]*)*:[0-9a-fA-F]{32,}"
REFERENCE = rf"^(?:{_DOMAIN}/)?{_PATH}(?:/{_PATH})*(?::{_TAG})?(?:@{_DIGEST})?$"
_REFERENCE = re.compile(rf"((?:{_DOMAIN}/)?{_PATH}(?:/{_PATH})*)(?::({_TAG}))?(?:@({_DIGEST}))?")
HAS_DIGEST = rf"@{_DIGEST}$"
PINNED_DIGEST = r"@(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})$"
_PINNED_DIGEST = re.compile(r"(?:sha256:[0-9a-f]{64}|sha512:[0-9a-f]{128})")
# a tag is a ':' in the last path segment (a registry's port is followed by '/')
HAS_TAG = r"^(?:[^/@]*/)*[^/:@]+:[^/:@]+(?:@|$)"
LATEST_TAG = r"^(?:[^/@]*/)*[^/:@]+:latest(?:@|$)"
WHITE_SPACE = "\\s"
# a raw name whose first component is no registry (see the module doc)
IMPLICIT_FIRST = r"^[a-z0-9_-]+/"
_ENTRY = re.compile(rf"({_DOMAIN})((?:/{_PATH})*)")


@dataclass(frozen=True)
class Reference:
    domain: str
    path: str
    tag: str = ""
    digest: str = ""

    @property
    def name(self) -> str:
        return f"{self.domain}/{self.path}"


def _is_registry(first: str) -> bool:
    return "." in first or ":" in first or first == "localhost" or first.lower() != first


def reference(image) -> Reference | None:
    """The normalised reference of a container's ``image``, None when the grammar refuses it."""
    if not isinstance(image, str) or any(ch.isspace() for ch in image):
        return None
    match = _REFERENCE.fullmatch(image)
    if not match:
        return None
    name, tag, digest = match.group(1), match.group(2) or "", match.group(3) or ""
    first, _slash, rest = name.partition("/")
    if rest and _is_registry(first):
        domain, path = first, rest
    else:
        domain, path = DOCKER_HUB, name
    if domain == _LEGACY_DOCKER_HUB:
        domain = DOCKER_HUB
    if domain == DOCKER_HUB and "/" not in path:
        path = f"library/{path}"
    return Reference(domain, path, tag, digest)


def allows(rule: str, image, values=()) -> bool:
    """Does ``rule`` admit ``image`` (``values``: its registries)? The reference semantics of
    the CEL the builders emit; allowed_base_images needs the registry and is not here."""
    ref = reference(image)
    if ref is None:
        return False
    if rule == "allowed_registries":
        return any(ref.name == entry or ref.name.startswith(entry + "/") for entry in values)
    if rule == "disallow_latest_tag":
        return bool(ref.digest) or bool(ref.tag) and ref.tag != "latest"
    if rule == "require_digest":
        return bool(_PINNED_DIGEST.fullmatch(ref.digest))
    raise KeyError(rule)


def _esc(text: str) -> str:
    """A regex for ``text``: entries hold only [a-z0-9._:/-], and only '.' is special there."""
    return text.replace(".", "\\.")


def _cel_string(regex: str) -> str:
    return "'" + regex.replace("\\", "\\\\") + "'"


def _matches(var: str, regex: str) -> str:
    return f"{var}.matches({_cel_string(regex)})"


def _docker_remainder(path: str) -> str:
    """Regex over what follows ``docker.io/`` (or the whole implicit name) for names under
    ``docker.io/<path>``; a single component is ``library/<it>``."""
    if not path:
        return ""
    if path == "library":
        return "(?:library/|[^/]*$)"
    if path.startswith("library/") and "/" not in path[len("library/"):]:
        short = _esc(path[len("library/"):])
        return f"(?:library/{short}(?:[/:@]|$)|{short}(?:[:@]|$))"
    if "/" not in path:
        return f"{_esc(path)}/"
    return f"{_esc(path)}(?:[/:@]|$)"


def _registry_clause(entry: str, var: str) -> str:
    domain, _slash, path = entry.partition("/")
    if domain != DOCKER_HUB:
        if not path:
            return _matches(var, f"^{_esc(domain)}/")
        return _matches(var, f"^{_esc(entry)}(?:[/:@]|$)")
    remainder = _docker_remainder(path)
    explicit = _matches(var, f"^(?:docker\\.io|index\\.docker\\.io)/{remainder}")
    implicit = (f"(!{var}.contains('/') || ({_matches(var, IMPLICIT_FIRST)} && "
                f"!{var}.startsWith('localhost/')))")
    return f"({explicit} || ({implicit} && {_matches(var, '^' + remainder)}))"


def image_predicate(rule: str, values=(), var: str = "i") -> str:
    """CEL over one image string ``var``: does ``rule`` admit it?"""
    valid = f"{_matches(var, REFERENCE)} && !{_matches(var, WHITE_SPACE)}"
    if rule == "allowed_registries":
        check = " || ".join(_registry_clause(e, var) for e in values) or "false"
    elif rule == "disallow_latest_tag":
        check = (f"{_matches(var, HAS_DIGEST)} || ({_matches(var, HAS_TAG)} && "
                 f"!{_matches(var, LATEST_TAG)})")
    elif rule == "require_digest":
        check = _matches(var, PINNED_DIGEST)
    else:
        raise KeyError(rule)
    return f"({valid} && ({check}))"


def _base_image_predicate(images) -> str:
    meta = "image.GetMetadata(c.image).manifest"
    allowed = "[" + ", ".join("'" + i + "'" for i in images) + "]"
    # type() == map rather than upstream's "!= null": the same test, and cel-python has no
    # overload of map != null
    return (f"has({meta}.annotations) && type({meta}.annotations) == map && "
            f"'{BASE_IMAGE_ANNOTATION}' in {meta}.annotations && "
            f"{meta}.annotations['{BASE_IMAGE_ANNOTATION}'] in {allowed}")


def validation(rule: str, settings: ImageRuleSettings) -> dict:
    """The one CEL validation of a rule over ``variables.containers``."""
    if rule == "allowed_base_images":
        expression = ("variables.containers.all(c, has(c.image) && "
                      f"{_base_image_predicate(settings.values)})")
        message = (f"Every image must name an allowed base image in its {BASE_IMAGE_ANNOTATION} "
                   "manifest annotation: " + ", ".join(settings.values) + ".")
    else:
        expression = ("variables.containers.all(c, has(c.image) && "
                      f"{image_predicate(rule, settings.values, 'c.image')})")
        message = {
            "allowed_registries": "Images must come from an allowed registry: "
                                  + ", ".join(settings.values)
                                  + " (docker.io for names without a registry).",
            "disallow_latest_tag": "Images must name a tag other than latest, or a digest.",
            "require_digest": "Images must be pinned by digest (@sha256:... or @sha512:...).",
        }[rule]
    return {"expression": expression, "message": message}


# ---------------------------------------------------------------- settings

_ENTRY_TEXT = ("a registry host (with a dot or a port, or localhost), optionally with a "
               "repository path: registry.example.com, registry.example.com:5000/team, "
               "docker.io/library; lower case, no tag, digest or wildcard")
_BASE_IMAGE = re.compile(rf"(?:{_DOMAIN}/)?{_PATH}(?:/{_PATH})*(?::{_TAG})?(?:@{_DIGEST})?")


def registry_entry(value, key: str) -> str:
    """An allowed_registries entry, normalised (trailing '/' dropped, index.docker.io is
    docker.io); a bare name like ``nginx`` is refused: it would be read as a registry."""
    if not isinstance(value, str):
        raise SettingsError(key, value, _ENTRY_TEXT)
    entry = value[:-1] if value.endswith("/") else value
    match = _ENTRY.fullmatch(entry)
    host = match.group(1) if match else ""
    if not match or entry.lower() != entry or not ("." in host or ":" in host
                                                   or host == "localhost"):
        raise SettingsError(key, value, _ENTRY_TEXT)
    domain = DOCKER_HUB if host == _LEGACY_DOCKER_HUB else host
    return domain + match.group(2)


@dataclass(frozen=True)
class ImageRuleSettings:
    enabled: bool = False
    actions: tuple[str, ...] = ("Audit",)
    values: tuple[str, ...] = ()        # registries, or base images


@dataclass(frozen=True)
class ImageRulesSettings:
    rules: dict = field(default_factory=dict)       # rule -> ImageRuleSettings

    @classmethod
    def from_dict(cls, data, key: str = "image_rules") -> ImageRulesSettings:
        data = _mapping(data, key)
        _unknown(data, IMAGE_RULES, key)
        rules = {}
        for rule, (_suffix, _title, extra) in IMAGE_RULES.items():
            if rule not in data:
                continue
            where = f"{key}.{rule}"
            raw = _mapping(data[rule], where)
            _unknown(raw, ("enabled", "action", *extra), where)
            enabled = _bool(raw.get("enabled", True), f"{where}.enabled")
            values: tuple[str, ...] = ()
            if rule == "allowed_registries":
                items = _str_list(raw.get("registries"), f"{where}.registries",
                                  what="registry host", allow_empty=not enabled)
                values = tuple(registry_entry(v, f"{where}.registries[{i}]")
                               for i, v in enumerate(items))
            elif rule == "allowed_base_images":
                values = _str_list(raw.get("images"), f"{where}.images", _BASE_IMAGE,
                                   what="image reference as the builder writes it "
                                        "(e.g. gcr.io/distroless/static:nonroot)",
                                   allow_empty=not enabled)
            rules[rule] = ImageRuleSettings(enabled=enabled,
                                            actions=_actions(raw.get("action", "Audit"),
                                                             f"{where}.action"),
                                            values=values)
        return cls(rules=rules)

    def enabled(self) -> list[str]:
        return [r for r in IMAGE_RULES if r in self.rules and self.rules[r].enabled]
