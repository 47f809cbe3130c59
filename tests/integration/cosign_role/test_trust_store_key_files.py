# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The cosign role's trust store (tasks_from: trust_store) on localhost, for a key whose `src`
a real run creates first (a build host's signer key, fetched to the controller): check mode
reports it as not known yet and goes on, a real run refuses it naming the file, and once the
file exists it is written. Real ansible-playbook; no node is needed, so no lab node is used.
"""
from __future__ import annotations

import json

import pytest
from conftest import run_playbook

PLAY = """- hosts: localhost
  connection: local
  gather_facts: false
  tasks:
    - ansible.builtin.include_role:
        name: bulwark.container_security.cosign
        tasks_from: trust_store
"""


@pytest.mark.slow
def test_a_trusted_key_not_fetched_yet_is_reported_in_check_mode_and_refused_in_a_real_run(
        tmp_path):
    playbook = tmp_path / "trust.yml"
    playbook.write_text(PLAY)
    store = tmp_path / "trusted-keys"
    fetched = tmp_path / "fetched"
    fetched.mkdir()
    pem = ("-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n"
           "-----END PUBLIC KEY-----\n")
    (fetched / "ci-runner-01.pub").write_text(pem)
    extra = json.dumps({"ansible_python_interpreter": "{{ ansible_playbook_python }}",
                        "cosign_trusted_keys_dir": str(store), "cosign_trusted_keys": [
                            {"name": "ci-runner-01", "src": str(fetched / "ci-runner-01.pub")},
                            {"name": "ci-runner-02", "src": str(fetched / "ci-runner-02.pub")}]})

    def run(*args):
        return run_playbook([str(playbook), "-e", extra, *args], timeout=300)

    check = run("--check")
    assert check.returncode == 0, check.stdout + check.stderr
    text = " ".join(check.stdout.split())
    assert (f"Not known yet: cosign_trusted_keys ci-runner-02 reads {fetched}/ci-runner-02.pub,"
            " which does not exist on the controller") in text
    assert "ci-runner-01 reads" not in text
    assert not store.exists()

    real = run()
    assert real.returncode != 0
    assert (f"cosign_trusted_keys ci-runner-02: {fetched}/ci-runner-02.pub does not exist on the"
            " controller") in " ".join(real.stdout.split())
    assert not (store / "ci-runner-01.pub").exists()        # refused before any key is written

    (fetched / "ci-runner-02.pub").write_text(pem)
    real = run()
    assert real.returncode == 0, real.stdout + real.stderr
    assert sorted(p.name for p in store.iterdir()) == ["ci-runner-01.pub", "ci-runner-02.pub"]
