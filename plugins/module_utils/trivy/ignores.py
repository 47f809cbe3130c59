# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The one Trivy ignore model: the trivy role, the filters and the modules all use it.

An ignore policy is either Trivy's ``.trivyignore.yaml`` mapping (``vulnerabilities``,
``misconfigurations``, ``secrets``, ``licenses``, each a list of entries) or a plain list of
entries that name their ``kind`` (vulnerability when absent). The rules, decided once:

* Every entry needs ``id``, ``statement`` (why the finding is accepted) and ``expired_at``
  (``YYYY-MM-DD``): an accepted risk says why and until when. Optional ``paths`` (doublestar
  globs) and ``purls``. Trivy itself makes only ``id`` mandatory; we demand more.
* ``kind: license`` / the ``licenses`` section is accepted, as Trivy accepts it. The gate has
  no license findings, so it carries such entries into the file for Trivy and applies none.
* ``purls`` must be package URLs (``pkg:type/[namespace/]name[@version]``), and only on
  vulnerability entries: Trivy matches purls for vulnerabilities only.
* Expiry follows Trivy (pkg/result/ignore.go, ``IgnoreFindings.Prune``): ``expired_at`` is read
  as midnight UTC of that day and an entry is dropped once that moment is before "now". So an
  entry applies until the day *before* ``expired_at`` ends in UTC; from ``expired_at`` (UTC) on
  it is expired. "Today" here is always the UTC date.

check_ignore_policy collects every error; load_ignore_policy raises the first batch as one
ValueError; build_ignore_policy is what the role writes; to_trivyignore is the file mapping.
"""
from __future__ import annotations

import datetime as _dt
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.argument_types import (
    got,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.purl import (
    parse_purl,
    purl_matches,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.redaction import (
    one_line,
)

# kind -> section of .trivyignore.yaml, in Trivy's order (IgnoreConfig)
IGNORE_KINDS = {
    "vulnerability": "vulnerabilities",
    "misconfiguration": "misconfigurations",
    "secret": "secrets",
    "license": "licenses",
}
IGNORE_SECTIONS = {section: kind for kind, section in IGNORE_KINDS.items()}
ENTRY_KEYS = ("id", "statement", "expired_at", "paths", "purls")


def today_utc():
    return _dt.datetime.now(_dt.timezone.utc).date()


# An accepted risk is reviewed at least yearly: an entry expiring later than this many days
# from today is refused (expired_at: 9999-12-31 would make an ignore permanent).
MAX_EXPIRY_DAYS = 365


def check_expiry_bound(entries, today, max_days=MAX_EXPIRY_DAYS):
    """Refuse an entry whose ``expired_at`` is more than ``max_days`` days after ``today``."""
    if max_days is None:
        return
    if isinstance(max_days, bool) or not isinstance(max_days, int) or max_days < 1:
        raise ValueError(f"max_expiry_days={max_days!r} must be a positive number of days")
    for entry in entries:
        days = (entry["expired_at"] - today).days
        if days > max_days:
            raise ValueError(
                f"ignore {one_line(entry['id'])[:120]!r} expires on "
                f"{entry['expired_at'].isoformat()}, {days} days from {today.isoformat()}: more "
                f"than max_expiry_days={max_days}; set a nearer expired_at (review the risk "
                "again then)")


def is_expired(entry, today):
    """True from the day of ``expired_at`` on (Trivy: expired once midnight UTC has passed)."""
    return entry["expired_at"] <= today


def parse_day(value, where):
    """A YAML date or a ``YYYY-MM-DD`` string -> datetime.date; ValueError naming ``where``."""
    if isinstance(value, _dt.date) and not isinstance(value, _dt.datetime):
        return value
    if isinstance(value, str):
        try:
            return _dt.date.fromisoformat(value.strip())
        except ValueError:
            pass
    raise ValueError(f"{where}: expired_at={value!r} is not a date; use YYYY-MM-DD")


def _str_list(value, key, where):
    if value is None:
        return []
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, (list, tuple)) or not all(isinstance(v, str) and v for v in value):
        raise ValueError(f"{where}: {key}={value!r} must be a list of non-empty strings")
    return list(value)


def _entry(entry, kind, where):
    """One validated entry; raises ValueError with every problem of this entry."""
    if not isinstance(entry, dict):
        raise ValueError(f"{where} must be a mapping with id, statement and expired_at, got "
                         f"{got(entry)}")
    problems = []
    accepted = ENTRY_KEYS + (("kind",) if kind is None else ())
    unknown = sorted(one_line(str(k))[:40] for k in set(entry) - set(accepted))
    if unknown:
        problems.append(f"unknown key(s) {', '.join(unknown)}; accepted: {', '.join(accepted)}")
    kind = entry.get("kind", "vulnerability") if kind is None else kind
    if kind not in IGNORE_KINDS:
        problems.append(f"kind={kind!r}; accepted: {', '.join(IGNORE_KINDS)}")
    ident, statement = entry.get("id"), entry.get("statement")
    if not isinstance(ident, (str, int)) or not str(ident).strip():
        problems.append("'id' is required (a CVE, GHSA, check, secret rule or license id)")
    if not isinstance(statement, str) or not statement.strip():
        problems.append("'statement' is required: say why this finding is accepted")
    expires = None
    if entry.get("expired_at") in (None, ""):
        problems.append("'expired_at' is required (YYYY-MM-DD): an accepted risk must be "
                        "reviewed again")
    else:
        try:
            expires = parse_day(entry["expired_at"], where)
        except ValueError as exc:
            problems.append(str(exc)[len(where) + 2:])
    paths = purls = []
    try:
        paths = _str_list(entry.get("paths"), "paths", where)
        purls = _str_list(entry.get("purls"), "purls", where)
    except ValueError as exc:
        problems.append(str(exc)[len(where) + 2:])
    if purls and kind != "vulnerability":
        problems.append("purls apply to vulnerability entries only (Trivy matches packages "
                        "there)")
    problems += [f"purl {p!r} is not a package URL (pkg:type/namespace/name@version)"
                 for p in purls if parse_purl(p) is None]
    if problems:
        raise ValueError("; ".join(f"{where}: {p}" for p in problems))
    return {"kind": kind, "id": str(ident).strip(), "statement": statement.strip(),
            "expired_at": expires, "paths": paths, "purls": purls}


def _pairs(data, label):
    """(entry, kind or None, where) for each entry of either shape."""
    if data is None:
        return []
    if isinstance(data, dict):
        unknown = sorted(one_line(k)[:40] for k in set(data) - set(IGNORE_SECTIONS))
        if unknown:
            raise ValueError(f"{label}: unknown section(s) {', '.join(unknown)}; accepted: "
                             f"{', '.join(IGNORE_SECTIONS)}")
        pairs = []
        for section, kind in IGNORE_SECTIONS.items():
            items = data.get(section) or []
            if not isinstance(items, list):
                raise ValueError(f"{label}: '{section}' must be a list of entries")
            pairs += [(item, kind, f"{label} {section}[{i}]") for i, item in enumerate(items)]
        return pairs
    if isinstance(data, (list, tuple)):
        return [(item, None, f"{label}[{i}]") for i, item in enumerate(data)]
    raise ValueError(f"{label}: {type(data).__name__} given; expected a list of entries or a "
                     "mapping of .trivyignore.yaml sections")


def _where(where, item):
    ident = item.get("id") if isinstance(item, dict) else None
    return f"{where} ({ident})" if ident not in (None, "") else where


def check_ignore_policy(data, label="ignores"):
    """(entries, errors): every entry that passed, and one message per entry that did not.

    Entries carry ``kind``, ``id``, ``statement``, ``expired_at`` (a ``datetime.date``),
    ``paths`` and ``purls``. ``label`` names the source in messages (a variable or option).
    """
    try:
        pairs = _pairs(data, label)
    except ValueError as exc:
        return [], [str(exc)]
    entries, errors = [], []
    for item, kind, where in pairs:
        try:
            entries.append(_entry(item, kind, _where(where, item)))
        except ValueError as exc:
            errors.append(str(exc))
    return entries, errors


def load_ignore_policy(data, label="ignores"):
    """Validated entries (see check_ignore_policy); ValueError with every problem otherwise."""
    entries, errors = check_ignore_policy(data, label)
    if errors:
        raise ValueError("; ".join(errors))
    return entries


def expiry_warnings(entries, today):
    return [f"ignore {e['id']} expired on {e['expired_at'].isoformat()} (statement: "
            f"{e['statement']}); its findings are reported again"
            for e in entries if is_expired(e, today)]


def to_trivyignore(data):
    """An ignore policy (either shape, or validated entries) -> the .trivyignore.yaml mapping."""
    entries = data if _validated(data) else load_ignore_policy(data)
    out = {}
    for entry in entries:
        item = {"id": entry["id"]}
        for key in ("paths", "purls"):
            if entry[key]:
                item[key] = list(entry[key])
        item["statement"] = entry["statement"]
        item["expired_at"] = entry["expired_at"].isoformat()
        out.setdefault(IGNORE_KINDS[entry["kind"]], []).append(item)
    return out


def _validated(data):
    return isinstance(data, list) and all(
        isinstance(e, dict) and isinstance(e.get("expired_at"), _dt.date) and "kind" in e
        and "paths" in e for e in data)


def build_ignore_policy(data, today=None, label="trivy_ignore_entries"):
    """(document, errors, warnings) for the .trivyignore.yaml the trivy role writes.

    The document is empty when there is any error. Expired entries are kept (Trivy skips them
    from their expiry day on) and named in the warnings.
    """
    entries, errors = check_ignore_policy(data, label)
    if errors:
        return {}, errors, []
    return to_trivyignore(entries), [], expiry_warnings(entries, today or today_utc())


# --------------------------------------------------------------------------- matching

_GLOB_CACHE = {}


def _glob_regex(pattern):
    """doublestar glob (as Trivy uses) -> compiled regex: ** crosses '/', * and ? do not."""
    compiled = _GLOB_CACHE.get(pattern)
    if compiled is not None:
        return compiled
    out, i, n = [], 0, len(pattern)
    while i < n:
        c = pattern[i]
        if c == "*":
            if pattern.startswith("**", i):
                i += 2
                if i < n and pattern[i] == "/":
                    out.append("(?:.*/)?")
                    i += 1
                else:
                    out.append(".*")
                continue
            out.append("[^/]*")
        elif c == "?":
            out.append("[^/]")
        elif c == "[":
            end = pattern.find("]", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                body = pattern[i + 1:end]
                if body.startswith(("!", "^")):
                    body = "^" + body[1:]
                out.append(f"[{body}]")
                i = end
        elif c == "{":
            end = pattern.find("}", i + 1)
            if end < 0:
                out.append(re.escape(c))
            else:
                alts = pattern[i + 1:end].split(",")
                out.append("(?:" + "|".join(re.escape(a) for a in alts) + ")")
                i = end
        else:
            out.append(re.escape(c))
        i += 1
    compiled = re.compile("".join(out) + r"\Z", re.DOTALL)
    _GLOB_CACHE[pattern] = compiled
    return compiled


def entry_matches(entry, finding):
    if entry["paths"]:
        candidates = [c for c in (finding["target"], finding.get("pkg_path")) if c]
        if not any(_glob_regex(p).match(c) for p in entry["paths"] for c in candidates):
            return False
    purl = finding.get("purl")
    if entry["purls"] and purl:
        return any(purl_matches(p, purl) for p in entry["purls"])
    return True
