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
"""
from __future__ import annotations

import contextlib
import faulthandler
import json
import multiprocessing.connection
import os
import re
import signal
import time

try:
    import resource
except ImportError:  # not on every platform; the memory bound then stays the system's
    resource = None

try:
    import regopy
    from regopy import rego_shared as _rego_shared
except ImportError:  # reported when a policy is given, not at import time
    regopy = None
    _rego_shared = None

RULES = ("deny", "warn")
FULL_INPUT_MARK = "bulwark: full-input"
EVAL_TIMEOUT = 60.0  # seconds for all packages' deny and warn over one report
EVAL_MEMORY = 4 << 30  # bytes of address space the evaluation may add to the gate's
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
_ZULU_RE = re.compile(r"\d{4}-\d\d-\d\d[Tt ]\d\d:\d\d:\d\d(?:\.\d{1,9})?[Zz]")
_ESCAPE_RE = re.compile(r'["\\\x00-\x1f]')  # what JSON escapes (ensure_ascii=False)
_TITLE = {"CRITICAL": "Critical", "HIGH": "High", "MEDIUM": "Medium", "LOW": "Low",
          "UNKNOWN": "Unknown"}
TRIVY_WORDS = frozenset(_TITLE)
GRYPE_WORDS = frozenset((*_TITLE.values(), "Negligible"))
_SEVERITY_WORDS = {w.lower() for w in GRYPE_WORDS}
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


def _limit_memory(extra):
    if resource is None or not hasattr(resource, "RLIMIT_AS"):
        return
    try:
        with open("/proc/self/statm", encoding="ascii") as handle:
            used = int(handle.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        used = 0
    soft, hard = resource.getrlimit(resource.RLIMIT_AS)
    limit = used + extra
    if hard != resource.RLIM_INFINITY:
        limit = min(limit, hard)
    if soft == resource.RLIM_INFINITY or limit < soft:
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


def _child(conn, policies, document):
    """The forked evaluation: reports each query it starts, then its result or its error."""
    try:
        os.dup2(2, 1)  # nothing the interpreter prints may reach a module's JSON on stdout
        faulthandler.disable()  # an abort on bad_alloc is reported by the parent, once
        _limit_memory(policies.max_memory)
        out = policies._evaluate_here(document, lambda q: conn.send(("start", q)))
        conn.send(("done", out))
    except PolicyError as exc:
        conn.send(("error", str(exc)))
    except MemoryError:
        conn.send(("memory", None))
    except BaseException as exc:  # noqa: BLE001  (reported to the parent, which refuses)
        conn.send(("error", f"Rego evaluation failed: {type(exc).__name__}: {exc}"))


def _fork(policies, document):
    """(pid, connection) of a child evaluating ``document``; os.fork rather than
    multiprocessing.Process, which refuses to start from a daemonic process."""
    parent, child = multiprocessing.connection.Pipe(duplex=False)
    pid = os.fork()
    if pid == 0:  # pragma: no cover  (the child; coverage does not follow it)
        code = 0
        try:
            parent.close()
            _child(child, policies, document)
            child.close()
        except BaseException:  # noqa: BLE001  (a broken pipe: the parent has gone)
            code = 1
        finally:
            os._exit(code)
    child.close()
    return pid, parent


def _reap(pid, kill):
    if kill:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
    try:
        _pid, status = os.waitpid(pid, 0)
    except ChildProcessError:
        return None
    return -os.WTERMSIG(status) if os.WIFSIGNALED(status) else os.WEXITSTATUS(status)


def _bounded(policies, document):
    deadline = time.monotonic() + policies.timeout
    current, names = None, ", ".join(policies.sources)
    pid, conn = _fork(policies, document)
    done = False
    try:
        while True:
            what = policies._names(current) if current else names
            remaining = deadline - time.monotonic()
            if remaining <= 0 or not conn.poll(remaining):
                raise PolicyError(f"policy {what} did not finish within "
                                  f"{policies.timeout:g} s ({current or 'loading the input'}); "
                                  "the gate refuses rather than passes (one message per finding "
                                  "builds a set in quadratic time: use deny := [msg | ...])")
            try:
                kind, value = conn.recv()
            except (EOFError, OSError):
                code = _reap(pid, kill=False)
                done = True
                raise PolicyError(f"policy {what} stopped the Rego interpreter (exit status "
                                  f"{code}: more than {policies.max_memory >> 20} MiB of "
                                  "memory, or a crash); the gate refuses") from None
            if kind == "start":
                current = value
            elif kind == "done":
                return value
            elif kind == "memory":
                raise PolicyError(f"policy {what} needed more than "
                                  f"{policies.max_memory >> 20} MiB of memory; the gate refuses")
            else:
                raise PolicyError(value)
    finally:
        conn.close()
        if not done:
            _reap(pid, kill=True)


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


# --------------------------------------------------------------------------- the input

def rego_string(value):
    """``value`` as the policy sees it: a UTC RFC 3339 time with ``Z`` gets ``+00:00`` and an
    upper-case ``T`` (rego-cpp's time.parse_rfc3339_ns refuses ``Z``, ``t`` and a space)."""
    if len(value) >= 20 and value[-1] in "Zz" and _ZULU_RE.fullmatch(value):
        return f"{value[:10]}T{value[11:-1]}+00:00"
    return value


def _encoded(value):
    """The bytes rego-cpp's regoInputString wants: the string's JSON escape without quotes.

    rego-cpp keeps strings escaped and writes them into its JSON output as they are; a raw
    ``"`` or ``\\`` (regopy's own Input passes them raw) breaks that output or adds values to
    it, and a raw NUL cuts the string. A lone surrogate is refused.
    """
    value = rego_string(value)
    if _ESCAPE_RE.search(value):
        value = json.dumps(value, ensure_ascii=False)[1:-1]
    try:
        return value.encode("utf-8")
    except UnicodeEncodeError:
        raise PolicyError("the policy input holds a string that is not valid Unicode (a lone "
                          f"surrogate): {_printable(value[:80])!r}") from None


def to_rego_input(value):
    """A regopy Input built with one C call per node (regopy's own builder makes several)."""
    lib = getattr(_rego_shared, "rego", None)
    if lib is None or not hasattr(_rego_shared, "rego_new_input"):
        raise PolicyError("this regopy has no regoInputString (regopy 1.5 has); the gate "
                          "cannot pass strings to it safely")
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
                raw = encoded[val] = _encoded(val)
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


def _fix_state(finding):
    if finding.get("fix_state"):
        return finding["fix_state"]
    status = finding.get("status")
    if not status:
        return "fixed" if finding.get("fixed") else "unknown"
    return _FIX_STATE.get(status, "unknown")


def _results_view(findings):
    """``input.results``: grype's match shape, severities in both scanners' words."""
    out = []
    for finding in findings:
        severity = finding["severity"]
        out.append({
            "vulnerability": {
                "id": finding["id"],
                "severity": finding.get("scanner_severity") or _TITLE.get(severity, "Unknown"),
                "Severity": severity,
                "fix": {"state": _fix_state(finding),
                        "versions": [v.strip() for v in finding["fixed"].split(",")
                                     if v.strip()]}},
            "artifact": {"name": finding["package"], "version": finding["installed"],
                         "type": finding.get("type", ""), "purl": finding.get("purl", "")},
            "target": finding["target"]})
    return out


_FINDING_KEYS = ("kind", "id", "severity", "package", "installed", "fixed", "status", "target",
                 "purl", "aliases", "title", "url", "state", "reason", "class", "type",
                 "pkg_path", "scanner_severity", "fix_state")


def policy_input(report, report_format, gate_result, findings, words=None):
    """The ``input`` document (module docstring); ``words`` None builds every section, else
    the sections named in it (:func:`input_sections`), each whole.

    ``findings`` are every normalised finding of the report in report order, the same dict
    objects the gate result lists under blocking, tolerated and ignored.
    """
    doc = _policy_input(report, report_format, gate_result, findings,
                        set(SECTIONS) if words is None else set(words))
    return doc


def _policy_input(report, report_format, gate_result, findings, want):
    doc = {}
    if "format" in want:
        doc["format"] = report_format
    if "artifact" in want:
        doc["artifact"] = gate_result.get("artifact", "")
    if "report" in want:
        doc["report"] = report
    ignored = {id(f) for f in gate_result["ignored"]}
    if "findings" in want:
        doc["findings"] = _findings_view(findings, gate_result, ignored)
    if "results" in want:
        doc["results"] = _results_view(f for f in findings if id(f) not in ignored and
                                       f["kind"] == "vulnerability")
    if "gate" in want:
        doc["gate"] = {"passed": gate_result["passed"], "counts": gate_result["counts"],
                       "blocking_counts": gate_result["blocking_counts"]}
    return doc


def _findings_view(findings, gate_result, ignored):
    verdict = dict.fromkeys(ignored, "ignored")
    for state in ("tolerated", "blocking"):
        verdict.update(dict.fromkeys(map(id, gate_result[state]), state))
    records = []
    for finding in findings:
        record = {k: finding[k] for k in _FINDING_KEYS if k in finding}
        record["state"] = verdict.get(id(finding), "passed")
        records.append(record)
    return records


def evaluate_policies(policies, report, report_format, gate_result, findings):
    """deny and warn messages of loaded :class:`RegoPolicies` over one gated report."""
    return policies.evaluate(policy_input(report, report_format, gate_result, findings,
                                          policies.words))
