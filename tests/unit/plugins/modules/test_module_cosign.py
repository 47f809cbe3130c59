"""The cosign_* modules as Ansible runs them (AnsibleModule + patch_module_args), with
run_command replaced: the exact commands each module runs, the password only in the
environment, check mode and the failure shape. Registry probes are silenced (no registry)."""
from __future__ import annotations

import json
import os

import pytest
from ansible.module_utils import basic
from ansible.module_utils.testing import patch_module_args
from ansible_collections.bulwark.container_security.plugins.module_utils.cosign import (
    module as cosign_module,
)
from ansible_collections.bulwark.container_security.plugins.modules import (
    cosign_sign,
    cosign_verify,
)

DIGEST = "sha256:" + "ab" * 32
REF = f"127.0.0.1:15000/a/b@{DIGEST}"
HELP3 = "    --use-signing-config=true:\n"
PAYLOAD = json.dumps([{"critical": {"image": {"docker-manifest-digest": DIGEST}}}])
NO_SIG = "Error: no signatures found\nerror during command execution: no signatures found"


class Exit(Exception):
    pass


@pytest.fixture
def module_run(monkeypatch):
    """Run a module's main(); returns (result, calls) where calls = [(argv, environ_update)]."""
    # probes of the registry API: the registry "answers" nothing, so cosign decides
    monkeypatch.setattr(cosign_module, "registry_request",
                        lambda url, headers, **kw: (None, b"", {}))

    def run(main, args, answers):
        calls = []

        def run_command(self, argv, environ_update=None, **kw):
            calls.append((list(argv), dict(environ_update or {})))
            for match, answer in answers:
                if match(argv):
                    return answer
            raise AssertionError(f"unexpected command {argv}")

        def leave(self, **kw):
            raise Exit(kw)

        monkeypatch.setattr(basic.AnsibleModule, "run_command", run_command)
        monkeypatch.setattr(basic.AnsibleModule, "exit_json", leave)
        monkeypatch.setattr(basic.AnsibleModule, "fail_json",
                            lambda self, **kw: leave(self, failed=True, **kw))
        with patch_module_args(args), pytest.raises(Exit) as e:
            main()
        return e.value.args[0], calls
    return run


def word(w):
    return lambda argv: argv[1] == w and "--help" not in argv


def is_help(argv):
    return "--help" in argv


@pytest.fixture
def pub(tmp_path):
    path = tmp_path / "cosign.pub"
    path.write_text("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n")
    return str(path)


def test_sign_runs_exactly_these_commands(module_run, pub):
    args = {"image": REF, "key": "/keys/cosign.key", "key_password": "hunter2-secret",
            "public_key": pub, "transparency_log": False,
            "insecure_registry": True, "cosign_path": "/usr/bin/cosign"}
    result, calls = module_run(cosign_sign.main, args, [
        (is_help, (0, HELP3, "")), (word("verify"), (10, "", NO_SIG)),
        (word("sign"), (0, "", "Pushing signature"))])
    assert result["changed"] is True and result["digest"] == DIGEST
    assert result["layout"] == "legacy-sig-tag" and result["cosign_major"] == 3
    argvs = [a for a, _env in calls]
    assert argvs == [
        ["/usr/bin/cosign", "sign", "--help"],
        ["/usr/bin/cosign", "verify", "--key", pub,
         "--insecure-ignore-tlog=true", "--new-bundle-format=false",
         "--allow-insecure-registry", REF],
        ["/usr/bin/cosign", "sign", "--key", "/keys/cosign.key", "--yes",
         "--use-signing-config=false", "--tlog-upload=false", "--new-bundle-format=false",
         "--allow-insecure-registry", REF],
    ]
    assert calls[2][1] == {"COSIGN_PASSWORD": "hunter2-secret"}
    assert "hunter2-secret" not in json.dumps(result)


def test_sign_check_mode_stops_before_signing(module_run, pub):
    args = {"image": REF, "key": "/keys/cosign.key", "key_password": "pw",
            "public_key": pub, "cosign_major": 2, "_ansible_check_mode": True}
    result, calls = module_run(cosign_sign.main, args, [(word("verify"), (10, "", NO_SIG))])
    assert result["changed"] is True
    assert [a[1] for a, _env in calls] == ["verify"]


def test_sign_images_list_reports_each_and_fails_with_all_reasons(module_run, pub):
    other = "127.0.0.1:15000/a/c@sha256:" + "cd" * 32
    refused = ("error during command execution: signing [x]: getting signer: reading key: "
               "decrypt: encrypted: decryption failed")
    args = {"images": [REF, other], "key": "k.key", "key_password": "bad",
            "public_key": pub, "cosign_major": 2, "parallel": 2}
    result, _calls = module_run(cosign_sign.main, args, [
        (word("verify"), (10, "", NO_SIG)), (word("sign"), (1, "", refused))])
    assert result["failed"] is True
    assert result["msg"].startswith("2 of 2 image(s) failed")
    assert [r["reason"] for r in result["results"]] == ["bad_password", "bad_password"]


def test_verify_any_of_two_keys_and_wrong_key_reason(module_run, tmp_path):
    old, new = tmp_path / "old.pub", tmp_path / "new.pub"
    old.write_text("old"), new.write_text("new")
    wrong = ("error during command execution: no matching signatures: invalid signature when "
             "validating ASN.1 encoded signature")
    answers = [(lambda a: str(old) in a, (1, "", wrong)),
               (lambda a: str(new) in a, (0, PAYLOAD, ""))]
    args = {"image": REF, "public_keys": [str(old), str(new)], "transparency_log": False}
    result, calls = module_run(cosign_verify.main, args, answers)
    assert result["verified_keys"] == [str(new)] and result["changed"] is False
    assert len(calls) == 2  # no version probe: the default format needs none
    result, _calls = module_run(cosign_verify.main, {"image": REF, "public_keys": [str(old)]},
                                answers)
    assert result["failed"] and result["reason"] == "wrong_key"
    assert "not by any of the trusted keys" in result["msg"]


def test_verify_missing_key_file_is_named(module_run, tmp_path):
    missing = str(tmp_path / "nope.pub")
    result, calls = module_run(cosign_verify.main, {"image": REF, "public_keys": [missing]}, [])
    assert result["failed"] and result["reason"] == "key_unreadable"
    assert missing in result["msg"] and calls == []


def test_sign_keyless_token_never_in_argv_env_result_or_output(module_run, capsys, tmp_path):
    token = "eyJ.module-level-keyless-token.sig"
    seen = []

    def sign(argv):
        if argv[1] != "sign" or "--help" in argv:
            return False
        path = argv[argv.index("--identity-token") + 1]
        seen.append((path, os.stat(path).st_mode & 0o777, open(path).read()))
        return True
    args = {"image": REF, "identity_token": token, "cosign_major": 3,
            "fulcio_url": "https://fulcio.example", "trusted_root": str(tmp_path / "root.json")}
    result, calls = module_run(cosign_sign.main, args, [(sign, (0, "", "Pushing signature"))])
    assert result["changed"] is True and [a[1] for a, _env in calls] == ["sign"]
    [(path, mode, content)] = seen
    assert mode == 0o600 and content == token and not os.path.exists(path)
    out = capsys.readouterr()
    assert token not in json.dumps([calls, result]) + out.out + out.err


def test_sign_keyless_trusted_root_refused_with_cosign2(module_run, tmp_path):
    args = {"image": REF, "identity_token": "t0k3n", "cosign_major": 2,
            "trusted_root": str(tmp_path / "root.json")}
    result, calls = module_run(cosign_sign.main, args, [])
    assert result["failed"] and result["reason"] == "unsupported" and calls == []
    assert "trusted_root needs cosign 3" in result["msg"]
