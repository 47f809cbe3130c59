# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The input checks that refuse a bad value before anything runs (issue 17's bad-inputs table
counts them end to end): image references and the image options of the signing modules,
trivy_scan's options, the Falco rules loader and schema, a dropped registry connection."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    linter as falco_linter,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.falco import (
    schema as falco_schema,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    errors as cosign_errors,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    params as signing_params,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    references as cosign_references,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.signing import (
    runner as signing_runner,
)
from ansible_collections.bulwark.container_security.plugins.module_utils.trivy import (
    scan as trivy_scan,
)

ROOT = Path(__file__).resolve().parents[4]
DIGEST = "sha256:" + "ab" * 32


# --------------------------------------------------------------------------- image references
@pytest.mark.parametrize("ref", [
    "--key=/etc/shadow", "-alpine", "alpine;id", "alpine:3`id`", "reg.io/app:$(id)",
    "reg.io/a|b", "reg.io/app'x", "reg.io/app\n", "127.0.0.1:15000/" + "a" * 256,
])
def test_reference_refused(ref):
    with pytest.raises(cosign_errors.CosignError, match="is not a reference"):
        cosign_references.parse_reference(ref)


@pytest.mark.parametrize("ref", [
    "127.0.0.1:15000/" + "a" * 239,                       # the name is exactly 255 characters
    "reg.io/team_a/app__x:V1.2-rc_3", f"reg.io/app@{DIGEST}", "localhost:5000/a/b:c",
])
def test_reference_accepted(ref):
    assert cosign_references.parse_reference(ref)["repository"]


def test_reference_name_limit_is_distributions():
    name = "127.0.0.1:15000/" + "a" * 240
    with pytest.raises(cosign_errors.CosignError, match="256 characters, at most 255"):
        cosign_references.parse_reference(f"{name}:v1@{DIGEST}")


def _options(**kw):
    return dict({"image": None, "images": None, "parallel": 1, "expected_digest": None}, **kw)


@pytest.mark.parametrize(("options", "message"), [
    (_options(image="-x"), "image: image reference '-x' is not a reference"),
    (_options(images=["reg.io/a:1", "reg.io/b c"]), "images[1]: image reference 'reg.io/b c'"),
    (_options(image="reg.io/a", parallel=0), "parallel=0 is out of range; accepted: 1 to 32"),
    (_options(images=["reg.io/a"], parallel=33), "parallel=33 is out of range"),
    (_options(image="reg.io/a", expected_digest="md5:abc"),
     "expected_digest='md5:abc' is not a digest; accepted: sha256:<64 lowercase hex>"),
    (_options(image="reg.io/a", expected_digest=DIGEST.upper()), "expected_digest="),
])
def test_image_options_refused(options, message):
    with pytest.raises(cosign_errors.CosignError) as err:
        signing_params.check_image_options(options)
    assert message in err.value.message


def test_image_options_accepted():
    signing_params.check_image_options(_options(image="reg.io/a:1", parallel=32,
                                                expected_digest=DIGEST))
    signing_params.check_image_options({"image": "reg.io/a"})  # modules without parallel


# --------------------------------------------------------------------------- trivy_scan
def _scan(**kw):
    return dict({"target": "alpine:3.20", "kind": "image", "input_archive": False,
                 "timeout": None, "report_path": None}, **kw)


@pytest.mark.parametrize(("params", "message"), [
    (_scan(target="--server=http://x"), "target='--server=http://x' is not accepted"),
    (_scan(target="alpine;id"), "target: image reference 'alpine;id' is not a reference"),
    (_scan(target="/srv/a b", kind="fs"), "target='/srv/a b' is not a safe fs path"),
    (_scan(target="/srv/$(id)", kind="rootfs"), "is not a safe rootfs path"),
    (_scan(target="app.tar;rm", input_archive=True), "is not a safe image archive path"),
    (_scan(timeout="forever"), "timeout='forever' is not a Go duration"),
    (_scan(timeout="-5m"), "is not a Go duration"),
    (_scan(report_path="../../etc/passwd"), "report_path='../../etc/passwd' has a '..'"),
    (_scan(report_path="/var/lib/trivy/../x.json"), "has a '..' component"),
])
def test_scan_options_refused(params, message):
    with pytest.raises(ValueError) as err:
        trivy_scan.check_scan_options(params)
    assert message in str(err.value)


@pytest.mark.parametrize("params", [
    _scan(), _scan(target="/srv/app-1.2/src", kind="fs"),
    _scan(target="sbom.cdx.json", kind="sbom"), _scan(target="app.tar", input_archive=True),
    _scan(timeout="5m0s"), _scan(timeout="300s"), _scan(timeout="1h30m"),
    _scan(report_path="/var/lib/trivy/reports/app..json"), _scan(report_path="reports/a.json"),
])
def test_scan_options_accepted(params):
    trivy_scan.check_scan_options(params)


def test_scanners_are_trivys_enum():
    schema = json.loads((ROOT / "roles/trivy/files/trivy-config.schema.json").read_text())
    enum = schema["properties"]["scan"]["properties"]["scanners"]["items"]["enum"]
    assert tuple(enum) == trivy_scan.SCANNERS
    assert trivy_scan.SCAN_ARGUMENT_SPEC["scanners"]["choices"] == list(enum)


# --------------------------------------------------------------------------- falco
def test_rules_file_not_utf8_is_one_error_naming_it(tmp_path):
    rules = tmp_path / "latin1.yaml"
    rules.write_bytes(b"- list: x\n  items: [caf\xe9]\n")
    result = falco_linter.lint_paths([str(rules)])
    assert [(e.file, e.message) for e in result.errors] == [
        (str(rules), "not UTF-8 text (byte 23: b'\\xe9'); a rules file must be UTF-8")]


@pytest.mark.parametrize(("content", "reason"), [
    (None, "No such file or directory"), (b"{", "not a UTF-8 JSON document"),
    (b"\xff{}", "not a UTF-8 JSON document"),
])
def test_schema_unreadable_names_the_file(tmp_path, content, reason):
    schema = tmp_path / "rules.schema.json"
    if content is not None:
        schema.write_bytes(content)
    with pytest.raises(falco_schema.RulesSchemaError) as err:
        falco_linter.lint_paths([str(tmp_path)], str(schema))
    assert f"schema='{schema}': cannot read Falco's rules JSON schema: " in str(err.value)
    assert reason in str(err.value)


def test_empty_paths_refused():
    with pytest.raises(ValueError, match="paths is empty"):
        falco_linter.lint_paths([])


# --------------------------------------------------------------------------- cosign reasons
@pytest.mark.parametrize("stderr", [
    'Error: Get "https://127.0.0.1:4000/v2/": read tcp 127.0.0.1:5->127.0.0.1:4000: read: '
    "connection reset by peer",
    'error during command execution: Get "https://127.0.0.1:4000/v2/": EOF',
    'Error: PUT "http://127.0.0.1:4000/v2/a/blobs/uploads/": write: broken pipe',
])
def test_dropped_connection_is_registry_unreachable(stderr):
    assert signing_runner.classify(stderr) == "registry_unreachable"


def test_warning_lines_are_not_the_error():
    # recorded from cosign 3.1.1 signing keyless with a bad token where the public TUF mirror
    # cannot be resolved: the warning's "dial tcp ... no such host" is not why it failed
    stderr = ("WARNING: Could not fetch trusted_root.json from the TUF repository. Error from "
              'TUF: Get "https://tuf-repo-cdn.sigstore.dev/15.root.json": dial tcp: lookup '
              "tuf-repo-cdn.sigstore.dev on 10.255.255.53:53: no such host\n"
              "Error: signing [x]: signing digest: signing bundle: error signing bundle: not "
              "verified by identity provider\n")
    assert signing_runner.classify(stderr) == "cosign_failed"


# --------------------------------------------------------------------------- lab CLI
def test_lab_images_unknown_dist_names_the_accepted(capsys):
    import lab

    with pytest.raises(SystemExit) as exc:
        lab.main(["images", "sid"])
    assert exc.value.code == 2
    assert "unknown dist(s) 'sid'; accepted: bookworm, trixie" in capsys.readouterr().err
