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
  "Severity" (CRITICAL, HIGH, MEDIUM, LOW, UNKNOWN), "fix": {"state", "versions"}},
  "artifact": {"name", "version", "type", "purl"}, "target"}``;
* ``gate``: ``passed``, ``counts`` and ``blocking_counts`` of the gate's own verdict.

A policy sees every key of every ``input`` section it can reach (a rule iterating over keys,
``some k, v in obj``, must see them all); only the top-level sections it cannot reach are left
out (:func:`input_sections`), which no policy can observe. Severities come in both scanners'
words: ``findings[].severity``
is the normalised (Trivy) word, ``findings[].scanner_severity`` grype's own word on grype
reports, ``results[].vulnerability.severity`` grype's word and ``results[].vulnerability
.Severity`` Trivy's. A policy comparing a severity field with a word that cannot occur there
(``vulnerability.severity == "CRITICAL"``) gets a warning naming file and line. Timestamps
ending in ``Z`` (Trivy's ``CreatedAt``, ``PublishedDate``) are passed with ``+00:00`` instead,
the form rego-cpp's ``time.parse_rfc3339_ns`` accepts. Strings reach rego-cpp JSON-escaped
(it keeps them escaped: a raw quote from a package name could otherwise rewrite its output) and
its output is parsed here, refusing duplicate keys.

Evaluation runs in a child process (``fork``) bounded in time (``timeout`` seconds) and address
space (``max_memory`` bytes beyond what the gate already holds); a policy that does not finish,
runs out of memory or crashes the interpreter fails the gate naming its file. rego-cpp builds a
set (``deny contains msg``, ``deny[msg]``) in quadratic time, so one message per finding over
thousands of findings is slow; an array comprehension (``deny := [msg | ...]``) is linear.
A ``deny`` that is undefined, not a set or array, or holds anything but strings, a policy set
without any ``deny`` rule, and a package with neither rule are refused.

This file loads and queries the policies; what is read from their text is rego_source.py,
the input document rego_input.py, the bounded child rego_child.py.
"""
from __future__ import annotations

import json
import os
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.scan.rego_child import (
    _bounded,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.rego_input import (
    policy_input,
    to_rego_input,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.scan.rego_source import (
    _PACKAGE_RE,
    _RULE_RE,
    _TOKEN_RE,
    SECTIONS,
    PolicyError,
    _parse_errors,
    _printable,
    input_sections,
    severity_warnings,
)

try:
    import regopy
    from regopy import rego_shared as _rego_shared
except ImportError:  # reported when a policy is given, not at import time
    regopy = None
    _rego_shared = None

RULES = ("deny", "warn")
EVAL_TIMEOUT = 60.0  # seconds for all packages' deny and warn over one report
EVAL_MEMORY = 4 << 30  # bytes of address space the evaluation may add to the gate's


class RegoPolicies:
    """Rego modules loaded once, queried per report. ``sources``: {file name: text}.

    ``timeout`` (seconds) and ``max_memory`` (bytes beyond the gate's own) bound one
    evaluation; None or 0 keeps EVAL_TIMEOUT / EVAL_MEMORY.
    """

    def __init__(self, sources, timeout=None, max_memory=None):
        if regopy is None:
            raise PolicyError("Rego policies need the Python package regopy (pip install "
                              "regopy, see requirements.txt) on the host running the gate")
        if not sources:
            raise PolicyError("policies: no .rego file given")
        self.sources = dict(sources)
        self.timeout = float(timeout or EVAL_TIMEOUT)
        self.max_memory = int(max_memory or EVAL_MEMORY)
        self.packages = []
        self.files = {}
        sections = set()
        self.rules = rules = {}
        self.warnings = []
        for name, text in self.sources.items():
            if not isinstance(text, str):
                raise PolicyError(f"{name}: policy text must be a string")
            found = _PACKAGE_RE.search(text)
            if not found:
                raise PolicyError(f"{name}: no 'package' declaration (expected for example "
                                  "'package bulwark.gate')")
            package = found.group(1)
            if package not in self.packages:
                self.packages.append(package)
            self.files.setdefault(package, []).append(name)
            rules.setdefault(package, set()).update(_RULE_RE.findall(
                _TOKEN_RE.sub(lambda m: m.group(0) if m.group(0)[0] == "#" else '""', text)))
            self.warnings.extend(severity_warnings(name, text))
            reach = input_sections(text)
            sections = None if sections is None or reach is None else sections | reach
        for package in self.packages:
            if not rules.get(package):
                raise PolicyError(f"{', '.join(self.files[package])}: package {package} "
                                  "defines neither a 'deny' nor a 'warn' rule, so it could "
                                  "never block")
        # words: the input sections to build (None: all); kept under its old name for callers.
        self.words = None if sections is None else sorted(sections & set(SECTIONS))
        self.full_input = sections is None
        if not any("deny" in found for found in rules.values()):
            raise PolicyError(f"{', '.join(self.sources)}: no policy defines a 'deny' rule, so "
                              "the policies could never block (write deny[msg] { ... } or "
                              "deny contains msg if { ... })")
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

    def _names(self, query):
        package = query[len("data."):].rsplit(".", 1)[0]
        return ", ".join(self.files.get(package, [package]))

    def _query(self, query, what):
        """The first expression's value, or None when undefined.

        rego-cpp's output is JSON text; it is parsed here (not by regopy's Output) refusing
        duplicate keys, so that no string can add a second ``expressions`` that hides the first.
        """
        shared = _rego_shared
        try:
            impl = shared.rego_query(self._interp._impl, query)
        except regopy.RegoError as exc:
            raise PolicyError(f"Rego error in {what}: " + "; ".join(
                _parse_errors(str(exc), self.sources))) from exc
        try:
            ok = shared.rego_output_ok(impl)
            text = shared.rego_output_string(impl) if ok else ""
        finally:
            shared.rego_free_output(impl)
        if not ok:
            raise PolicyError(f"Rego evaluation of {query} failed (a built-in error, for "
                              "example a type error or division by zero); fix the policy: "
                              + self._explain(query))
        if text == "undefined":
            return None
        try:
            output = json.loads(text, object_pairs_hook=_unique_keys)
        except ValueError as exc:
            raise PolicyError(f"{self._names(query)}: the result of {query} is not valid JSON "
                              f"({_printable(str(exc))[:200]}); the gate refuses it") from None
        results = output if isinstance(output, list) else [output]
        if len(results) != 1 or not isinstance(results[0], dict):
            raise PolicyError(f"{self._names(query)}: {query} gave {len(results)} results, "
                              "expected one")
        expressions = results[0].get("expressions")
        if not expressions:
            return None
        return expressions[0]

    def _explain(self, query):
        """Re-run without strict built-in errors, where rego-cpp returns the error as a term."""
        self._interp.strict_built_in_errors = False
        try:
            impl = _rego_shared.rego_query(self._interp._impl, query)
            try:
                text = _rego_shared.rego_output_string(impl)
            finally:
                _rego_shared.rego_free_output(impl)
        except regopy.RegoError as exc:
            text = str(exc)
        finally:
            self._interp.strict_built_in_errors = True
        text = _printable(text)
        found = re.findall(r"errormsg \d+:([^)\\]*)", text)
        return "; ".join(sorted(set(found))) or text[:300]

    def _evaluate_here(self, document, started=None):
        self._interp.set_input(to_rego_input(document))
        out = {rule: [] for rule in RULES}
        for package in self.packages:
            for rule in sorted(self.rules[package]):
                query = f"data.{package}.{rule}"
                if started is not None:
                    started(query)
                value = self._query(query, query)
                if value is None:
                    raise PolicyError(
                        f"{self._names(query)}: {query} is undefined (a complete rule whose "
                        "body did not hold, or a package name that differs between files); "
                        "write it as a set: deny[msg] { ... } or deny contains msg if { ... }")
                out[rule].extend(_messages(value, query, self._names(query)))
        out["warn"] = self.warnings + out["warn"]
        return out

    def evaluate(self, document):
        """Query every package's deny and warn with ``document`` as input, in a child process
        bounded by ``timeout`` and ``max_memory``; a bound exceeded is a PolicyError."""
        if not hasattr(os, "fork"):
            return self._evaluate_here(document)
        return _bounded(self, document)


def _unique_keys(pairs):
    out = dict(pairs)
    if len(out) != len(pairs):
        raise ValueError("duplicate key in an object")
    return out


def _messages(value, query, names=""):
    where = f"{names}: " if names else ""
    if isinstance(value, dict):  # rego-cpp returns a v0 partial set as {msg: true}
        if any(v is not True for v in value.values()):
            raise PolicyError(f"{where}{query} is an object, not a set of messages; deny and "
                              "warn must be sets of strings (deny[msg] { ... } or deny "
                              "contains msg if { ... })")
        items = list(value)
    elif isinstance(value, list):
        items = value
    else:
        raise PolicyError(f"{where}{query} is {_printable(json.dumps(value))[:200]}; deny and "
                          "warn must be sets of messages (deny[msg] { ... } or deny contains "
                          "msg if { ... })")
    out = []
    for item in items:
        if not isinstance(item, str):
            raise PolicyError(f"{where}{query} holds {_printable(json.dumps(item))[:200]}, not "
                              "a string; every deny and warn message must be a string")
        if item.startswith("(error"):
            raise PolicyError(f"{where}Rego evaluation of {query} failed: "
                              f"{_printable(item.strip())[:300]}")
        out.append(item)
    return sorted(out)


def evaluate_policies(policies, report, report_format, gate_result, findings):
    """deny and warn messages of loaded :class:`RegoPolicies` over one gated report."""
    return policies.evaluate(policy_input(report, report_format, gate_result, findings,
                                          policies.words))
