# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The Falco responder for plain podman/docker hosts (plain Python, no Ansible imports).

Falco's ``program_output`` (``keep_alive: true``, ``json_output: true``) feeds it one JSON alert
per line on stdin; ``events`` reads an alert or refuses it, ``settings`` is the one validation of
what to do per rule or tag (also run on the controller by a role), ``decide`` picks the response,
``runtime`` drives podman, docker or crictl with argv lists, ``audit`` keeps the JSON-lines log,
``notify`` delivers to the security team's webhook through an on-disk spool, ``responder`` ties
them together and ``__main__`` is the entry program. Every refusal is ``errors.RespondError``.
"""
