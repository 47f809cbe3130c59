# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""What the gate reads from a Rego policy's text before rego-cpp loads it (scan/rego.py):
its package and rules, the ``input`` sections it can reach, severity words it compares with
that can never occur there, and rego-cpp's errors turned into ``file:line:col: message``.
"""
from __future__ import annotations

import re

FULL_INPUT_MARK = "bulwark: full-input"
_PACKAGE_RE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
                         r"\s*$", re.M)
_RULE_RE = re.compile(r"^\s*(deny|warn)\b", re.M)
_TOKEN_RE = re.compile(r'"(?:\\.|[^"\\\n])*"|`[^`]*`|#[^\n]*')
_DYNAMIC_RE = re.compile(
    r"\bwalk\s*\(|\bobject\.(?:keys|filter|remove|union|union_n|subset)\s*\(|\bjson\.(?:marshal"
    r"|marshal_with_options|filter|remove|patch)\s*\(|\byaml\.marshal\s*\(|\bobject\.get\s*\(")
_SECTION_AFTER_RE = re.compile(r'\s*(?:\.\s*([A-Za-z_][A-Za-z0-9_]*)'
                               r'|\[\s*"([A-Za-z_][A-Za-z0-9_]*)"\s*\])')
SECTIONS = ("format", "artifact", "report", "findings", "results", "gate")
# RFC 3339 date-time in UTC written with Z, which rego-cpp's time functions refuse.
_TITLE = {"CRITICAL": "Critical", "HIGH": "High", "MEDIUM": "Medium", "LOW": "Low",
          "UNKNOWN": "Unknown"}
TRIVY_WORDS = frozenset(_TITLE)
GRYPE_WORDS = frozenset((*_TITLE.values(), "Negligible"))
_SEVERITY_WORDS = {w.lower() for w in GRYPE_WORDS}


class PolicyError(ValueError):
    """A policy that cannot be loaded or evaluated; the message names file and line."""


# --------------------------------------------------------------------------- loading

def _line_col(text, offset):
    data = text.encode("utf-8")[:offset].decode("utf-8", "replace")
    return data.count("\n") + 1, len(data) - (data.rfind("\n") + 1) + 1


def _parse_errors(message, sources):
    """rego-cpp's error S-expression -> ['file:line:col: message', ...]."""
    out, pos = [], 0
    while True:
        start = message.find("(error ", pos)
        if start < 0:
            break
        head = re.match(r"\(error (\d+):", message[start:])
        if not head:
            break
        name_at = start + head.end()
        name = message[name_at:name_at + int(head.group(1))]
        where = re.match(r"\|(\d+)\|(\d+)", message[name_at + len(name):])
        msg = re.search(r"\(errormsg \d+:([^\n]*?)\)\s*(?:\n|$)", message[start:])
        text = msg.group(1) if msg else "error"
        if where and name in sources:
            line, col = _line_col(sources[name], int(where.group(1)))
            out.append(f"{name}:{line}:{col}: {text}")
        else:
            out.append(f"{name or 'policy'}: {text}")
        pos = name_at
    return out or [message.strip()]


def _printable(text):
    return "".join(c if c.isprintable() else f"\\x{ord(c):02x}" for c in text)


def _expected_words(line, text):
    """Severity words a comparison on ``line`` of a policy can meet, or None (unknown field)."""
    if re.search(r"\b(?:lower|upper|lower_case|upper_case)\s*\(", line):
        return None
    if re.search(r"\bscanner_severity\b", line):
        return TRIVY_WORDS | GRYPE_WORDS
    if re.search(r"\.Severity\b|\[\s*\"Severity\"\s*\]", line):
        return TRIVY_WORDS
    if re.search(r"\bvulnerability\s*\.\s*severity\b", line):
        return GRYPE_WORDS
    if re.search(r"\.severity\b", line):
        findings = re.search(r"\binput\s*\.\s*findings\b", text)
        grype = re.search(r"\binput\s*\.\s*(?:results|report\s*\.\s*matches)\b", text)
        if findings and not grype:
            return TRIVY_WORDS
        if grype and not findings:
            return GRYPE_WORDS
    return TRIVY_WORDS | GRYPE_WORDS


def severity_warnings(name, text):
    """Warnings for severity words a policy compares with that can never occur where it does.

    ``input.findings[].severity`` holds Trivy's words (``CRITICAL``), ``input.results[]
    .vulnerability.severity`` grype's (``Critical``): a rule comparing one with the other's
    word can never match, so it never blocks.
    """
    out = []
    for number, line in enumerate(text.splitlines(), 1):
        for token in _TOKEN_RE.findall(line):
            if not token.startswith('"'):
                continue  # a comment or a raw string
            literal = token[1:-1]
            if literal.lower() not in _SEVERITY_WORDS:
                continue
            expected = _expected_words(line, text)
            if expected is None or literal in expected:
                continue
            spelled = sorted(w for w in expected if w.lower() == literal.lower())
            hint = f" (the input spells it {' or '.join(spelled)})" if spelled else ""
            out.append(f"{name}:{number}: compares a severity with \"{_printable(literal)}\", "
                       f"which never occurs there{hint}: this comparison can never match")
    return out


def input_sections(text):
    """The sections of ``input`` a policy can reach, or None for all of them.

    Only the root ``input`` reaches the input, so a policy whose every ``input`` is followed
    by ``.name`` or ``["name"]`` can observe those sections and nothing else: the others are
    left out (rego-cpp needs ~30 kB and ~0.3 ms per finding and section). Inside a section
    nothing is ever left out. Any other use of ``input`` (``input[k]``, ``x := input``,
    ``with input as``), a built-in that walks values, or ``# bulwark: full-input`` gets all.
    """
    if FULL_INPUT_MARK in text:
        return None
    masked = _TOKEN_RE.sub(lambda m: " " * len(m.group(0)) if m.group(0)[0] == "#" else
                           m.group(0)[0] + "_" * (len(m.group(0)) - 2) + m.group(0)[-1], text)
    if _DYNAMIC_RE.search(masked):
        return None
    found = set()
    for match in re.finditer(r"\binput\b", masked):
        after = _SECTION_AFTER_RE.match(text, match.end())
        if not after:
            return None
        found.add(after.group(1) or after.group(2))
    return found
