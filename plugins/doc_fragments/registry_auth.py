# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""Registry login options of the cosign_* and notation_* modules (REGISTRY_ARGUMENT_SPEC in
module_utils/signing/params.py)."""
from __future__ import annotations


class ModuleDocFragment:
    DOCUMENTATION = r"""
options:
  registry_username:
    description:
      - User name for the registry of the image(s). With O(registry_password), the module writes
        a temporary docker config directory (mode 0700, C(config.json) mode 0600, removed when
        the module ends) and points the tools at it with E(DOCKER_CONFIG); the password is never
        in a command line or an environment variable.
      - Omitted, the tools read the docker config of the user the module runs as
        (E(DOCKER_CONFIG) or C(~/.docker/config.json)), and so does the layout probe when the
        registry asks for a login - through the C(credHelpers)/C(credsStore) credential helper
        the config names (C(docker-credential-<name> get), the server on stdin), or its inline
        C(auths); anonymously when it has none (a helper's "credentials not found"). A
        helper the config names that is not installed or cannot run, exits non-zero, does not
        answer within 30 seconds or answers anything but JSON with C(Username) and C(Secret)
        fails with reason C(registry_auth), naming the helper and the server, never what
        the helper printed. The login never goes in the helper's argv or environment.
      - The probe sends a Basic login only to the registry host, asks a Bearer token realm on
        another host only over https, and drops the login on a redirect to another host.
      - A wrong login fails with reason C(registry_auth).
    type: str
  registry_password:
    description: Password or token for O(registry_username).
    type: str
  registry_ca_path:
    description:
      - PEM file of the CA that signed the registry's TLS certificate (a private registry).
        Given to the tools as E(SSL_CERT_FILE) (the system CA directories stay trusted) and to
        the module's own registry probe.
    type: path
"""
