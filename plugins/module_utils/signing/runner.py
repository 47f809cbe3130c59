# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The process runner both signers share: a CLI binary driven by argv lists (`ToolRunner`),
the default subprocess runner, and the mapping of tool/registry error text to a reason.

Plain Python, no Ansible imports; cosign/runner.py (`Cosign`) and notation/runner.py
(`Notation`) subclass ToolRunner.
"""
from __future__ import annotations

import re
import shutil
import subprocess

from ansible_collections.bulwark.container_security.plugins.module_utils.signing.errors import (
    DIGEST_RE,
    REASONS,
    CosignError,
)

# --------------------------------------------------------------------------- reasons
# A registry (or a proxy before it) that drops the connection: Go's net/http reports a reset
# ("read tcp a->b: read: connection reset by peer"), a closed pipe, or an EOF after the URL
# ('Get "https://reg/v2/": EOF'). Whether "dial tcp" also shows depends on which of cosign's
# retries lost the race, so these are matched on their own.
_DROPPED = re.compile(r"connection reset by peer|broken pipe|\": (unexpected )?eof\b|"
                      r"server closed (the )?(idle )?connection")


def registry_refused_login(text: str) -> bool:
    """A registry API call (``/v2/``) answered 401, or the tool had no login to offer: crane
    and cosign print ``UNAUTHORIZED: authentication required``, notation ``response status
    code 401`` or ``basic credential not found``. (A Fulcio 401 is not a registry login.)"""
    s = (text or "").lower()
    return "/v2/" in s and ("unauthorized" in s or "status code 401" in s
                            or "basic credential not found" in s)


def classify(stderr: str) -> str:
    """Map cosign/crane error text to a reason key of REASONS. cosign's WARNING lines are not
    the error (an unreachable public TUF mirror is only a warning when signing privately)."""
    s = "\n".join(line for line in (stderr or "").lower().splitlines()
                  if not line.lstrip().startswith("warning:"))
    if registry_refused_login(s):
        return "registry_auth"
    if "connection refused" in s or "no such host" in s or "i/o timeout" in s \
            or "dial tcp" in s or "tls: " in s or "server gave http response" in s \
            or _DROPPED.search(s):
        return "registry_unreachable"
    if "decryption failed" in s or "incorrect password" in s:
        return "bad_password"
    if "manifest unknown" in s or "name_unknown" in s or "not found: get" in s \
            or "image tag not found" in s:
        return "image_not_found"
    if "none of the attestations matched the predicate type" in s:
        return "predicate_mismatch"
    if "no matching attestations" in s and "threshold" in s:
        return "wrong_key"
    if "no matching signatures" in s or "invalid signature" in s \
            or "accepted signatures do not match threshold" in s:
        return "wrong_key"
    if "digest" in s and ("mismatch" in s or "does not match" in s or "invalid or missing" in s):
        return "digest_mismatch"
    if "no signatures found" in s:
        return "no_signature"
    if "no attestations found" in s or "found no attestations" in s:
        return "no_attestation"
    if "reading key" in s or "loading public key" in s or "no such file" in s \
            or "pem" in s and "decode" in s:
        return "key_unreadable"
    return "cosign_failed"


def last_error_line(stderr: str) -> str:
    lines = [x.strip() for x in (stderr or "").splitlines() if x.strip()]
    errs = [x for x in lines if x.lower().startswith(("error", "error:"))]
    return (errs or lines or [""])[-1]


# --------------------------------------------------------------------------- runner
def subprocess_runner(argv: list, env: dict | None = None) -> tuple:
    """Default runner for scripts and benches (modules pass module.run_command instead)."""
    import os
    full = dict(os.environ)
    full.update(env or {})
    p = subprocess.run(argv, env=full, capture_output=True, text=True, check=False)
    return p.returncode, p.stdout, p.stderr


class ToolRunner:
    """One CLI binary driven by argv lists (cosign, notation): the commands that ran, error
    mapping through the tool's `classify`, and tag -> digest through crane."""

    def __init__(self, binary: str, run=subprocess_runner, *, insecure_registry: bool = False,
                 crane: str | None = None, registry_get=None, env: dict | None = None):
        self.binary = binary
        self.run = run
        self.insecure = insecure_registry
        self.crane = crane
        # getter(url, accept) -> (status, body) for the registry API probes (registry.py)
        self.registry_get = registry_get
        self.env = dict(env or {})  # non-secret settings every call of this tool gets
        self.commands = []  # every argv run, for the module result and the tests

    # -- plumbing
    @staticmethod
    def classify(stderr: str) -> str:
        return classify(stderr)

    def _exec(self, argv: list, env: dict | None = None) -> tuple:
        self.commands.append(list(argv))
        return self.run(list(argv), dict(self.env, **(env or {})))

    def _check(self, argv: list, env: dict | None = None, what: str = "") -> str:
        rc, out, err = self._exec(argv, env)
        if rc != 0:
            raise self.error(err or out, argv, what)
        return out

    def error(self, stderr: str, argv: list, what: str = "") -> CosignError:
        reason = self.classify(stderr)
        text = last_error_line(stderr)
        prefix = f"{what}: " if what else ""
        return CosignError(reason, f"{prefix}{REASONS[reason]} ({text})", stderr, argv)

    def crane_digest(self, ref: str) -> str | None:
        """The digest `ref` points to, asked through crane; None when there is no crane."""
        crane = self.crane or shutil.which("crane")
        if not crane:
            return None
        argv = [crane, "digest", ref] + (["--insecure"] if self.insecure else [])
        out = self._check(argv, what=f"resolving {ref}").strip()
        if not DIGEST_RE.match(out):
            raise CosignError("cosign_failed", f"crane digest {ref} answered {out!r}")
        return out
