# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Running Trivy for a gate: the command line, its environment and the module options.
"""
from __future__ import annotations

import json
import re

from ansible_collections.bulwark.container_security.plugins.module_utils.http_urls import (
    url_error,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    CosignError,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing.references import (
    parse_reference,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.config import (
    GO_DURATION,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.reports import (
    to_junit,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy.severities import (
    SEVERITIES,
)

# --------------------------------------------------------------------------- running trivy

SCAN_KINDS = ("image", "fs", "rootfs", "sbom")
CACHE_BACKENDS = ("fs", "memory")
# The enum of scan.scanners in Trivy's own config schema (roles/trivy/files/
# trivy-config.schema.json; tests/unit checks the two agree).
SCANNERS = ("vuln", "misconfig", "secret", "license")
# What `trivy sbom` accepts (Trivy 0.76 `trivy sbom --help`: "allowed values: vuln,license").
SBOM_SCANNERS = ("vuln", "license")
# Trivy's own filters, switched off so that neither trivy.yaml (``--config``, or one in the
# working directory), a TRIVY_* variable nor a .trivyignore in the working directory thins
# the report the gate reads: the gate applies ignore-unfixed, statuses and ignores itself.
# An empty --ignorefile disables loading (Trivy 0.76 `--help`); an explicit flag outranks
# the config file and the environment (viper's order).
WHOLE_REPORT_FLAGS = ("--ignore-unfixed=false", "--ignore-status=", "--ignorefile=")
# Characters a shell would act on, whitespace and control characters (NUL, ESC, DEL, C1):
# never part of a target trivy_scan passes.
_UNSAFE_PATH = re.compile(r"[\s\x00-\x1f\x7f-\x9f;&|$`<>(){}\[\]'\"\\*?!#~]")


def check_scan_options(params):
    """Refuse bad trivy_scan options before anything is created or run (ValueError naming
    the option and what is accepted): the target (an image reference for kind=image, else
    a path; never starting with '-'), the timeout (a Go duration) and report_path (no '..'
    component). O(scanners) are checked by their choices (SCANNERS)."""
    target, kind = params["target"], params.get("kind") or "image"
    if not target or target.startswith("-"):
        raise ValueError(f"target={target!r} is not accepted: it must not be empty or start "
                         "with '-' (trivy would read it as an option)")
    if kind == "image" and not params.get("input_archive"):
        try:
            parse_reference(target)
        except CosignError as e:
            raise ValueError(f"target: {e.message}") from None
    elif _UNSAFE_PATH.search(target):
        what = "image archive" if kind == "image" else kind
        raise ValueError(f"target={target!r} is not a safe {what} path: whitespace and shell "
                         "characters (; & | $ ` < > quotes ...) and control characters are not "
                         "accepted")
    scanners = params.get("scanners") or ()
    extra = [s for s in scanners if s not in SBOM_SCANNERS]
    if kind == "sbom" and extra:
        raise ValueError(f"scanners={list(scanners)!r}: trivy sbom accepts only "
                         f"{', '.join(SBOM_SCANNERS)} (not {', '.join(extra)})")
    timeout = params.get("timeout")
    if timeout is not None and not re.fullmatch(GO_DURATION, str(timeout)):
        raise ValueError(f"timeout={timeout!r} is not a Go duration; accepted: 5m0s, 300s, "
                         "1h30m (digits and ns, us, ms, s, m, h)")
    report = params.get("report_path")
    if report and ".." in re.split(r"[/\\]", report):
        raise ValueError(f"report_path={report!r} has a '..' component; give a path without "
                         "'..' (absolute, or relative below the working directory)")


def scan_command(target, kind="image", *, trivy="trivy", output=None, input_archive=False,
                 server=None, token_header=None, cache_dir=None, cache_backend=None,
                 scanners=None, skip_db_update=False, offline_scan=False,
                 db_repositories=(), java_db_repositories=(), timeout=None, config=None,
                 insecure=False):
    """argv of one ``trivy <kind> --format json`` run whose report the gate reads.

    The report must hold every finding, so the command pins ``--severity`` to all of them,
    ``--exit-code 0`` and :data:`WHOLE_REPORT_FLAGS` whatever ``trivy.yaml`` says: filtering
    and failing are the gate's job. The server
    token is not an argument (it would show in ``ps``); pass it as ``TRIVY_TOKEN`` in the
    environment (see :func:`scan_environment`).
    """
    if kind not in SCAN_KINDS:
        raise ValueError(f"kind={kind!r}; accepted: {', '.join(SCAN_KINDS)}")
    if not target:
        raise ValueError("target is required (image reference, directory or SBOM file)")
    if input_archive and kind != "image":
        raise ValueError("input_archive applies to kind=image only (trivy image --input)")
    if cache_backend and cache_backend not in CACHE_BACKENDS and \
            not str(cache_backend).startswith(("redis://", "rediss://")):
        raise ValueError(f"cache_backend={cache_backend!r}; accepted: fs, memory, redis://…")
    server_error = url_error(server, "server") if server else None
    if server_error and "credentials" in server_error:
        raise ValueError(f"{server_error}: the token goes in server_token")
    if server_error:
        raise ValueError(f"server={server!r} must be a URL such as http://trivy.internal:4954")
    argv = [trivy, kind, "--format", "json", "--quiet", "--exit-code", "0",
            "--severity", ",".join(SEVERITIES), *WHOLE_REPORT_FLAGS]
    if config:
        argv += ["--config", config]
    if cache_dir:
        argv += ["--cache-dir", cache_dir]
    if cache_backend:
        argv += ["--cache-backend", cache_backend]
    if scanners:
        argv += ["--scanners", ",".join(scanners)]
    if server:
        argv += ["--server", server]
        if token_header:
            argv += ["--token-header", token_header]
    if skip_db_update:
        argv.append("--skip-db-update")
    if offline_scan:
        argv.append("--offline-scan")
    for repo in db_repositories or ():
        argv += ["--db-repository", repo]
    for repo in java_db_repositories or ():
        argv += ["--java-db-repository", repo]
    if timeout:
        argv += ["--timeout", str(timeout)]
    if insecure:
        argv.append("--insecure")
    if output:
        argv += ["--output", output]
    if input_archive:
        argv += ["--input", target]
    else:
        argv.append(target)
    return argv


def scan_environment(token=None):
    """Environment additions for a scan: the server token travels as TRIVY_TOKEN."""
    return {"TRIVY_TOKEN": token} if token else {}


# --------------------------------------------------------------------------- module glue (pure)

# Options shared by the trivy_gate and trivy_scan modules (documented in the doc fragment
# bulwark.container_security.trivy_gate); plain data, so it lives beside the logic it feeds.
# scan/build_gate.py extends it (policies, vex, sarif_path) and its gate_task is the modules'.
GATE_ARGUMENT_SPEC = {
    "severity": {"type": "str", "default": "HIGH"},
    "ignore_unfixed": {"type": "bool", "default": False},
    "ignores": {"type": "raw"},
    "ignore_file": {"type": "path"},
    "budgets": {"type": "dict"},
    "today": {"type": "str"},
    "junit_path": {"type": "path"},
    "predicate_path": {"type": "path"},
    "fail_on_blocking": {"type": "bool", "default": True},
}


def merge_ignores(inline, from_file=None):
    """Ignore policy from a parsed .trivyignore.yaml mapping plus inline entries (either shape)."""
    if not from_file:
        return inline
    if not isinstance(from_file, dict):
        raise ValueError("ignore_file: expected a mapping with a 'vulnerabilities' list")
    merged = {k: list(v or []) for k, v in from_file.items()}
    if isinstance(inline, dict):
        for section, items in inline.items():
            merged[section] = merged.get(section, []) + list(items or [])
    elif inline:
        merged["vulnerabilities"] = merged.get("vulnerabilities", []) + list(inline)
    return merged


def task_outputs(result, params, predicate):
    """{output path: content} of the JUnit and predicate files the module params ask for."""
    outputs = {}
    if params.get("junit_path"):
        outputs[params["junit_path"]] = to_junit(result)
    if params.get("predicate_path"):
        outputs[params["predicate_path"]] = json.dumps(predicate, indent=2, sort_keys=True) + "\n"
    return outputs


# Options of the trivy_scan module besides the gate's (documented in its DOCUMENTATION).
SCAN_ARGUMENT_SPEC = {
    "target": {"type": "str", "required": True},
    "kind": {"type": "str", "choices": list(SCAN_KINDS), "default": "image"},
    "input_archive": {"type": "bool", "default": False},
    "trivy_path": {"type": "str", "default": "trivy"},
    "report_path": {"type": "path"},
    "server": {"type": "str"},
    "token": {"type": "str", "no_log": True},
    "token_header": {"type": "str", "no_log": False},  # a header name, not a secret
    "cache_dir": {"type": "path"},
    "cache_backend": {"type": "str"},
    "scanners": {"type": "list", "elements": "str", "choices": list(SCANNERS)},
    "skip_db_update": {"type": "bool", "default": False},
    "offline_scan": {"type": "bool", "default": False},
    "db_repositories": {"type": "list", "elements": "str", "default": []},
    "java_db_repositories": {"type": "list", "elements": "str", "default": []},
    "timeout": {"type": "str"},
    "config_file": {"type": "path"},
    "insecure": {"type": "bool", "default": False},
}


def scan_command_from_params(params, trivy, output):
    """scan_command for the trivy_scan module's options; the report goes to ``output``."""
    return scan_command(
        params["target"], params["kind"], trivy=trivy, output=output,
        input_archive=params["input_archive"], server=params["server"],
        token_header=params["token_header"], cache_dir=params["cache_dir"],
        cache_backend=params["cache_backend"], scanners=params["scanners"],
        skip_db_update=params["skip_db_update"], offline_scan=params["offline_scan"],
        db_repositories=params["db_repositories"],
        java_db_repositories=params["java_db_repositories"],
        timeout=params["timeout"], config=params["config_file"], insecure=params["insecure"])
