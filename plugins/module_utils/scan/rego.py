# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Rego policies over a scan report, evaluated by rego-cpp (PyPI ``regopy``).

Every ``.rego`` file is loaded into one interpreter; for each package the files declare,
``data.<package>.deny`` and ``data.<package>.warn`` are queried. Every ``deny`` message blocks,
``warn`` messages are printed. Both v0 rules (``deny[msg] { ... }``) and v1 rules
(``deny contains msg if { ... }``) work. A package without a ``deny`` or ``warn`` rule, a
syntax error or an evaluation error (strict built-in errors) fails the gate: a policy that
cannot run must not pass anything.

The ``input`` document (see docs/build_gate.md):

* ``format`` (``trivy`` or ``grype``), ``artifact`` (image or path scanned);
* ``report``: the report as the scanner wrote it;
* ``findings``: the gate's normalised findings, the same for Trivy and grype: ``kind``,
  ``id``, ``severity`` (UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL), ``package``, ``installed``,
  ``fixed``, ``status``, ``target``, ``purl``, ``aliases``, ``title``, ``url`` and ``state``
  (the gate's verdict: ``blocking``, ``tolerated``, ``ignored`` or ``passed``), plus
  ``reason`` on ignored ones;
* ``results``: the vulnerabilities the gate did not ignore (nor VEX suppress), shaped like
  grype's matches so the seed's policy works as written for both scanners:
  ``{"vulnerability": {"id", "severity" (Critical, High, Medium, Low, Negligible, Unknown),
  "fix": {"state", "versions"}}, "artifact": {"name", "version", "type", "purl"}, "target"}``;
* ``gate``: ``passed``, ``counts`` and ``blocking_counts`` of the gate's own verdict.

Converting a Python value into rego-cpp's input costs a C call per node, so only what a
policy can read is built: a key of ``input`` or of its objects is passed when its name is a
word of some policy's text (``input.results[_].vulnerability.severity`` passes ``results``,
``vulnerability``, ``severity``). Policies that reach fields by a computed key (``input[k]``,
``walk``, ``object.keys``, ``json.marshal`` ...) get the whole input, as does a policy with
the comment ``# bulwark: full-input``.
"""
from __future__ import annotations

import json
import re

try:
    import regopy
    from regopy import rego_shared as _rego_shared
except ImportError:  # reported when a policy is given, not at import time
    regopy = None
    _rego_shared = None

RULES = ("deny", "warn")
FULL_INPUT_MARK = "bulwark: full-input"
_PACKAGE_RE = re.compile(r"^\s*package\s+([A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)"
                         r"\s*$", re.M)
_RULE_RE = re.compile(r"^\s*(deny|warn)\b", re.M)
_TOKEN_RE = re.compile(r'"(?:\\.|[^"\\\n])*"|`[^`]*`|#[^\n]*')
_WORD_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
_DYNAMIC_RE = re.compile(
    r"\binput\s*\[|\binput\b(?!\s*\.)|\bwalk\s*\(|\bobject\.(?:keys|filter|remove|union|union_n"
    r"|subset)\s*\(|\bjson\.(?:marshal|marshal_with_options|filter|remove|patch)\s*\("
    r"|\byaml\.marshal\s*\(|\bobject\.get\s*\([^,]+,\s*[^\"`\s]")
_TITLE = {"CRITICAL": "Critical", "HIGH": "High", "MEDIUM": "Medium", "LOW": "Low",
          "UNKNOWN": "Unknown"}
# Trivy status -> grype fix.state, so the results view reads alike for both scanners.
_FIX_STATE = {"fixed": "fixed", "affected": "not-fixed", "fix_deferred": "not-fixed",
              "end_of_life": "wont-fix", "will_not_fix": "wont-fix",
              "under_investigation": "unknown", "unknown": "unknown"}


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


def _words(text):
    """Words and string literals of a policy (comments dropped), and whether it needs it all."""
    words, full = set(), FULL_INPUT_MARK in text
    for match in _TOKEN_RE.finditer(text):
        token = match.group(0)
        if token.startswith(("\"", "`")):
            literal = token[1:-1]
            words.add(literal)
            words.update(_WORD_RE.findall(literal))
    code = _TOKEN_RE.sub(" ", text)
    words.update(_WORD_RE.findall(code))
    return words, full or bool(_DYNAMIC_RE.search(code))


class RegoPolicies:
    """Rego modules loaded once, queried per report. ``sources``: {file name: text}."""

    def __init__(self, sources):
        if regopy is None:
            raise PolicyError("Rego policies need the Python package regopy (pip install "
                              "regopy, see requirements.txt) on the host running the gate")
        if not sources:
            raise PolicyError("policies: no .rego file given")
        self.sources = dict(sources)
        self.packages = []
        self.words, self.full_input = set(), False
        self.rules = rules = {}
        for name, text in self.sources.items():
            found = _PACKAGE_RE.search(text)
            if not found:
                raise PolicyError(f"{name}: no 'package' declaration (expected for example "
                                  "'package bulwark.gate')")
            package = found.group(1)
            if package not in self.packages:
                self.packages.append(package)
            rules.setdefault(package, set()).update(_RULE_RE.findall(text))
            words, full = _words(text)
            self.words |= words
            self.full_input = self.full_input or full
        for package in self.packages:
            if not rules.get(package):
                files = [n for n, t in self.sources.items() if _PACKAGE_RE.search(t).group(1)
                         == package]
                raise PolicyError(f"{', '.join(files)}: package {package} defines neither a "
                                  "'deny' nor a 'warn' rule, so it could never block")
        self._interp = regopy.Interpreter()
        self._interp.log_level = regopy.LogLevel.NONE  # rego-cpp prints errors on stdout
        self._interp.strict_built_in_errors = True
        for name, text in self.sources.items():
            try:
                self._interp.add_module(name, text)
            except regopy.RegoError as exc:
                raise PolicyError("Rego syntax error: " + "; ".join(
                    _parse_errors(str(exc), self.sources))) from exc
        self._query("true", "compile")

    def _query(self, query, what):
        try:
            output = self._interp.query(query)
        except regopy.RegoError as exc:
            raise PolicyError(f"Rego error in {what}: " + "; ".join(
                _parse_errors(str(exc), self.sources))) from exc
        if not output.ok():
            raise PolicyError(f"Rego evaluation of {query} failed (a built-in error, for "
                              "example a type error or division by zero); fix the policy: "
                              + self._explain(query))
        if not len(output) or not output[0].expressions:
            return None
        return output[0].expressions[0]

    def _explain(self, query):
        """Re-run without strict built-in errors, where rego-cpp returns the error as a term."""
        self._interp.strict_built_in_errors = False
        try:
            text = str(self._interp.query(query))
        except regopy.RegoError as exc:
            text = str(exc)
        finally:
            self._interp.strict_built_in_errors = True
        found = re.findall(r"errormsg \d+:([^)\\]*)", text)
        return "; ".join(sorted(set(found))) or text[:300]

    def evaluate(self, document):
        """Query every package's deny and warn with ``document`` as input."""
        self._interp.set_input(to_rego_input(document))
        out = {rule: [] for rule in RULES}
        for package in self.packages:
            for rule in sorted(self.rules[package]):
                query = f"data.{package}.{rule}"
                value = self._query(query, query)
                out[rule].extend(_messages(value, query))
        return out


def _messages(value, query):
    if value is None:
        return []
    if isinstance(value, dict):  # rego-cpp returns a v0 partial set as {msg: true}
        items = [k if v is True else {k: v} for k, v in value.items()]
    elif isinstance(value, list):
        items = value
    else:
        raise PolicyError(f"{query} is {json.dumps(value)}; deny and warn must be sets of "
                          "messages (deny[msg] { ... } or deny contains msg if { ... })")
    out = []
    for item in items:
        text = item if isinstance(item, str) else json.dumps(item, sort_keys=True)
        if text.startswith("(error"):
            raise PolicyError(f"Rego evaluation of {query} failed: {text.strip()}")
        out.append(text)
    return sorted(out)


# --------------------------------------------------------------------------- the input

def to_rego_input(value):
    """A regopy Input built with one C call per node (regopy's own builder makes several)."""
    lib = getattr(_rego_shared, "rego", None)
    if lib is None or not hasattr(_rego_shared, "rego_new_input"):
        return regopy.Input(value)
    handle = _rego_shared.rego_new_input()
    put_str, put_obj, put_item = lib.regoInputString, lib.regoInputObject, lib.regoInputObjectItem
    put_arr, put_int, put_float = lib.regoInputArray, lib.regoInputInt, lib.regoInputFloat
    put_bool, put_null = lib.regoInputBoolean, lib.regoInputNull
    encoded = {}

    def add(val):
        kind = type(val)
        if kind is str:
            raw = encoded.get(val)
            if raw is None:
                raw = encoded[val] = val.encode("utf-8")
            put_str(handle, raw)
        elif kind is dict:
            for key, item in val.items():
                add(str(key))
                add(item)
                put_item(handle)
            put_obj(handle, len(val))
        elif kind is list or kind is tuple:
            for item in val:
                add(item)
            put_arr(handle, len(val))
        elif kind is bool:
            put_bool(handle, val)
        elif kind is int:
            put_int(handle, val)
        elif kind is float:
            put_float(handle, val)
        elif val is None:
            put_null(handle)
        else:
            raise PolicyError(f"cannot pass a {kind.__name__} to a Rego policy")

    add(value)
    built = regopy.Input.__new__(regopy.Input)
    built._impl = handle
    return built


def _prune(value, words):
    if isinstance(value, dict):
        return {k: _prune(v, words) for k, v in value.items() if k in words}
    if isinstance(value, list):
        return [_prune(v, words) for v in value]
    return value


def _fix_state(finding):
    if finding.get("fix_state"):
        return finding["fix_state"]
    status = finding.get("status")
    if not status:
        return "fixed" if finding.get("fixed") else "unknown"
    return _FIX_STATE.get(status, "unknown")


def _results_view(findings, want):
    """``input.results``; ``want`` is None (everything) or the policy's words."""
    def keep(key):
        return want is None or key in want

    vuln_keys = [k for k in ("id", "severity", "fix") if keep(k)] if keep("vulnerability") \
        else None
    fix_keys = [k for k in ("state", "versions") if keep(k)]
    pkg_keys = [k for k in ("name", "version", "type", "purl") if keep(k)] \
        if keep("artifact") else None
    with_target = keep("target")
    out = []
    for finding in findings:
        entry = {}
        if vuln_keys is not None:
            vuln = {}
            for key in vuln_keys:
                if key == "id":
                    vuln["id"] = finding["id"]
                elif key == "severity":
                    vuln["severity"] = finding.get("scanner_severity") or \
                        _TITLE[finding["severity"]]
                else:
                    fix = {}
                    if "state" in fix_keys:
                        fix["state"] = _fix_state(finding)
                    if "versions" in fix_keys:
                        fix["versions"] = [v.strip() for v in finding["fixed"].split(",")
                                           if v.strip()]
                    vuln["fix"] = fix
            entry["vulnerability"] = vuln
        if pkg_keys is not None:
            pkg = {"name": finding["package"], "version": finding["installed"],
                   "type": finding.get("type", ""), "purl": finding.get("purl", "")}
            entry["artifact"] = {k: pkg[k] for k in pkg_keys}
        if with_target:
            entry["target"] = finding["target"]
        out.append(entry)
    return out


_FINDING_KEYS = ("kind", "id", "severity", "package", "installed", "fixed", "status", "target",
                 "purl", "aliases", "title", "url", "state", "reason", "class", "type",
                 "pkg_path", "scanner_severity", "fix_state")


def policy_input(report, report_format, gate_result, findings, words=None):
    """The ``input`` document (module docstring); ``words`` None builds everything.

    ``findings`` are every normalised finding of the report in report order, the same dict
    objects the gate result lists under blocking, tolerated and ignored.
    """
    want = None if words is None else set(words)

    def keep(key):
        return want is None or key in want

    doc = {}
    if keep("format"):
        doc["format"] = report_format
    if keep("artifact"):
        doc["artifact"] = gate_result.get("artifact", "")
    if keep("report"):
        doc["report"] = report if want is None else _prune(report, want)
    ignored = {id(f) for f in gate_result["ignored"]}
    if keep("findings"):
        verdict = dict.fromkeys(ignored, "ignored")
        for state in ("tolerated", "blocking"):
            verdict.update(dict.fromkeys(map(id, gate_result[state]), state))
        keys = _FINDING_KEYS if want is None else [k for k in _FINDING_KEYS if k in want]
        records = []
        for finding in findings:
            record = {k: finding[k] for k in keys if k in finding}
            if "state" in keys:
                record["state"] = verdict.get(id(finding), "passed")
            records.append(record)
        doc["findings"] = records
    if keep("results"):
        doc["results"] = _results_view((f for f in findings if id(f) not in ignored and
                                        f["kind"] == "vulnerability"), want)
    if keep("gate"):
        gate = {"passed": gate_result["passed"], "counts": gate_result["counts"],
                "blocking_counts": gate_result["blocking_counts"]}
        doc["gate"] = gate if want is None else _prune(gate, want | set(gate_result["counts"]))
    return doc


def evaluate_policies(policies, report, report_format, gate_result, findings):
    """deny and warn messages of loaded :class:`RegoPolicies` over one gated report."""
    words = None if policies.full_input else policies.words
    return policies.evaluate(policy_input(report, report_format, gate_result, findings, words))
