# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""lab/trivy_db/fixtures.py loads Trivy's DB fixtures as aquasecurity/bolt-fixtures does, and
lab/trivy_db/build.py lays out both DBs as Trivy's cache holds them."""
from __future__ import annotations

import datetime as dt
import json
import sqlite3
import tarfile

import pytest
from trivy_db import build, fixtures  # lab/trivy_db/


def load_text(tmp_path, text: str) -> dict:
    path = tmp_path / "f.yaml"
    path.write_text(text)
    return fixtures.load([path])


def test_scalars_are_go_sprint_and_the_rest_json_marshal(tmp_path):
    tree = load_text(tmp_path, """
- bucket: b
  pairs:
    - {key: str, value: hello <&>}
    - {key: int, value: 7}
    - {key: float, value: 1.0}
    - {key: small, value: 0.00001}
    - {key: bool, value: true}
    - {key: yes, value: yes}
    - {key: date, value: 2023-02-24T18:38:00Z}
    - {key: none}
    - key: map
      value: {b: 1.0, a: "<x>", c: [1, 2.5, null, false], d: 1e21, e: 0.0000001}
""")
    assert tree == {b"b": {
        b"str": b"hello <&>", b"int": b"7", b"float": b"1", b"small": b"1e-05",
        b"bool": b"true", b"yes": b"yes", b"date": b"2023-02-24T18:38:00Z", b"none": b"null",
        b"map": b'{"a":"\\u003cx\\u003e","b":1,"c":[1,2.5,null,false],"d":1e+21,"e":1e-7}',
    }}


def test_a_bucket_named_twice_is_merged_and_a_later_put_wins(tmp_path):
    tree = load_text(tmp_path, """
- bucket: debian 9
  pairs:
    - bucket: openssl
      pairs: [{key: CVE-1, value: {State: postponed}}]
    - bucket: openssl
      pairs: [{key: CVE-2, value: a}, {key: CVE-1, value: b}]
- bucket: debian 9
  pairs: [{bucket: bash, pairs: []}]
""")
    assert tree == {b"debian 9": {b"openssl": {b"CVE-1": b"b", b"CVE-2": b"a"}, b"bash": {}}}


def test_upstream_debian_fixture_values_are_as_go_wrote_them(shared_fixtures):
    tree = fixtures.load([shared_fixtures / "trivy_db" / "debian.yaml"])
    assert tree[b"debian 9"][b"bash"] == {b"CVE-2019-18276": b'{"Severity":1,"Status":7}'}
    assert tree[b"debian 9"][b"openssl"][b"CVE-2019-1563"] == \
        b'{"FixedVersion":"1.1.0l-1~deb9u1","VendorIDs":["DSA-4539-1"]}'


@pytest.mark.parametrize(("text", "message"), [
    ("{bucket: a}", "a list of {bucket, pairs}"),
    ("- {key: k, value: v}", r"\[0\]: `bucket` must be a non-empty scalar"),
    ("- {bucket: a, pairs: {k: v}}", r"\[0\]\.pairs: a list"),
    ("- {bucket: a, pairs: [{value: v}]}", r"pairs\[0\]: `key` must be a non-empty scalar"),
    ("- {bucket: a, pairs: [{key: k, valeu: v}]}", r"unknown field\(s\) \['valeu'\]"),
    ("- {bucket: a, pairs: [{key: k, value: v}, {bucket: k}]}", "already a key"),
    ("- {bucket: a, pairs: [{bucket: k}, {key: k, value: v}]}", "already a bucket"),
    ("- {bucket: a, pairs: [{key: k, value: {1: x}}]}", "map key 1 is not a string"),
    ("- {bucket: a, pairs: [{key: k, value: [.nan]}]}", "is not a JSON number"),
    ("- [unclosed", "not readable YAML"),
])
def test_what_bolt_fixtures_or_bbolt_would_refuse_is_refused_naming_the_pair(
        tmp_path, text, message):
    with pytest.raises(ValueError, match=message) as err:
        load_text(tmp_path, text)
    assert str(tmp_path / "f.yaml") in str(err.value)


def test_a_missing_fixture_is_refused(tmp_path):
    with pytest.raises(ValueError, match="not a regular file"):
        fixtures.load([tmp_path / "absent.yaml"])


@pytest.mark.parametrize(("value", "sprint", "json_text"), [
    (1.0, "1", "1"), (0.1, "0.1", "0.1"), (123456789.0, "1.23456789e+08", "123456789"),
    (1e20, "1e+20", "100000000000000000000"), (1e21, "1e+21", "1e+21"),
    (0.0001, "0.0001", "0.0001"), (0.00001, "1e-05", "0.00001"), (1e-7, "1e-07", "1e-7"),
    (-2.5, "-2.5", "-2.5"), (-0.0, "-0", "-0"),
])
def test_float_text_is_go_s(value, sprint, json_text):
    """fmt.Sprint(float64) is %g with the shortest digits; json.Marshal is ES6-like."""
    assert fixtures.go_sprint_float(value) == sprint
    assert fixtures.go_json_float(value) == json_text


def test_build_lays_out_both_dbs_and_their_archives(tmp_path):
    now = dt.datetime(2026, 12, 7, 12, 0, tzinfo=dt.timezone.utc)
    paths = build.build(tmp_path, now=now)
    meta = json.loads(paths["metadata"].read_text())
    assert meta == {"Version": 2, "NextUpdate": "2036-12-04T12:00:00Z",
                    "UpdatedAt": "2026-12-07T12:00:00Z", "DownloadedAt": "2026-12-07T12:00:00Z"}
    assert json.loads(paths["java_metadata"].read_text())["Version"] == 1
    for name, members in (("db_archive", ["trivy.db", "metadata.json"]),
                          ("java_db_archive", ["trivy-java.db", "metadata.json"])):
        with tarfile.open(paths[name]) as tar:
            assert tar.getnames() == members
    again = build.build(tmp_path / "again", now=now)
    assert again["db_archive"].read_bytes() == paths["db_archive"].read_bytes()  # reproducible


def test_java_db_has_trivy_java_db_schema_and_the_lab_jars(tmp_path):
    paths = build.build(tmp_path)
    with sqlite3.connect(paths["java_db"]) as conn:
        tables = {row[0]: row[1] for row in conn.execute(
            "SELECT name, sql FROM sqlite_master WHERE type IN ('table', 'index')")}
        rows = conn.execute("SELECT a.group_id, a.artifact_id, i.version, i.archive_type, "
                            "hex(i.sha1) FROM indices i JOIN artifacts a ON a.id = i.artifact_id "
                            "ORDER BY 1, 2, 3").fetchall()
    conn.close()
    assert sorted(tables) == ["artifacts", "artifacts_idx", "indices", "indices_artifact_idx",
                              "indices_sha1_idx"]
    assert set(tables.values()) == set(build.JAVA_DB_SCHEMA)
    assert [r[:4] for r in rows] == [tuple(a) for a in build.JAVA_LAB_ARTIFACTS]
    import hashlib
    for group, artifact, version, _kind, sha1 in rows:
        jar = build.lab_jar(group, artifact, version)
        assert sha1.lower() == hashlib.sha1(jar).hexdigest()  # noqa: S324


def test_lab_advisories_use_invented_ids_only():
    tree = fixtures.load([build.LAB_ADVISORIES])
    ids = {cve for pkg in tree[b"debian 12"].values() for cve in pkg}
    ids |= set(tree[b"vulnerability"])
    assert ids and all(cve.startswith(b"CVE-2099-") for cve in ids)


def test_lab_py_trivy_db_names_a_missing_fixture_directory(tmp_path, monkeypatch):
    import trivy_lab  # lab/trivy_lab.py
    monkeypatch.setattr(build, "FIXTURES", tmp_path / "nothing")
    with pytest.raises(SystemExit, match=r"\[lab\] trivy-db: .*nothing: no Trivy DB fixtures"):
        trivy_lab.build_dbs(tmp_path / "out")
    assert not (tmp_path / "out" / "db" / "trivy.db").exists()
