# Copyright (c) 2026 Bulwark maintainers
# Apache License 2.0 (see LICENSE or https://www.apache.org/licenses/LICENSE-2.0)
# SPDX-License-Identifier: Apache-2.0
"""The lab's Trivy vulnerability DB and Java DB, laid out as Trivy's cache holds them.

    <out>/db/trivy.db            bbolt: Trivy's fixture advisories + the lab's (CVE-2099-*)
    <out>/db/metadata.json       {"Version": 2, "NextUpdate", "UpdatedAt", "DownloadedAt"}
    <out>/java-db/trivy-java.db  SQLite, trivy-java-db's schema (pkg/db/db.go), lab entries
    <out>/java-db/metadata.json  {"Version": 1, ...}
    <out>/db.tar.gz, <out>/javadb.tar.gz   what the OCI artifacts carry (the two files of each)

`trivy --cache-dir <out> --skip-db-update --skip-java-db-update` scans with it as it is.
"""
from __future__ import annotations

import datetime as dt
import gzip
import hashlib
import io
import json
import os
import sqlite3
import tarfile
import tempfile
import zipfile
from pathlib import Path

from trivy_db import bbolt, fixtures

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
FIXTURES = ROOT / "tests" / "fixtures" / "trivy_db"
LAB_ADVISORIES = HERE / "lab-advisories.yaml"
DB_SCHEMA_VERSION = 2        # trivy-db pkg/db SchemaVersion, Trivy 0.76's
JAVA_DB_SCHEMA_VERSION = 1   # trivy-java-db pkg/db SchemaVersion
VALID_FOR = dt.timedelta(days=3650)  # NextUpdate: the lab DB never asks to be replaced

# trivy-java-db pkg/db/db.go Init(), statement for statement
JAVA_DB_SCHEMA = [
    "CREATE TABLE artifacts(id INTEGER PRIMARY KEY, group_id TEXT, artifact_id TEXT)",
    "CREATE TABLE indices(artifact_id INTEGER, version TEXT, sha1 BLOB, archive_type TEXT, "
    "foreign key (artifact_id) references artifacts(id))",
    "CREATE UNIQUE INDEX artifacts_idx ON artifacts(artifact_id, group_id)",
    "CREATE INDEX indices_artifact_idx ON indices(artifact_id)",
    "CREATE UNIQUE INDEX indices_sha1_idx ON indices(sha1)",
]
# Invented artifacts (group org.bulwark.lab): the jar lab_jar() makes for each has the sha1
# recorded here, so Trivy names it by its sha1 alone (the jar holds no pom.properties).
JAVA_LAB_ARTIFACTS = [
    ("org.bulwark.lab", "lab-greeter", "1.0.0", "jar"),
    ("org.bulwark.lab", "lab-greeter", "1.1.0", "jar"),
    ("org.bulwark.lab", "lab-logging", "2.0.0", "jar"),
]


def lab_jar(group: str, artifact: str, version: str) -> bytes:
    """A reproducible jar (a zip with one text entry, no Maven metadata) whose sha1 the lab's
    Java DB records for group:artifact:version."""
    raw = io.BytesIO()
    with zipfile.ZipFile(raw, "w", zipfile.ZIP_STORED) as jar:
        entry = zipfile.ZipInfo("META-INF/bulwark-lab.txt", date_time=(1980, 1, 1, 0, 0, 0))
        jar.writestr(entry, f"Bulwark lab jar {group}:{artifact}:{version} (not real code)\n")
    return raw.getvalue()


def go_time(moment: dt.datetime) -> str:
    """time.Time as encoding/json writes it (RFC 3339, UTC as Z)."""
    return moment.astimezone(dt.timezone.utc).isoformat().replace("+00:00", "Z")


def metadata(version: int, now: dt.datetime) -> bytes:
    return json.dumps({"Version": version, "NextUpdate": go_time(now + VALID_FOR),
                       "UpdatedAt": go_time(now), "DownloadedAt": go_time(now)}).encode()


def fixture_files() -> list[Path]:
    """Trivy's fixture advisories (all of tests/fixtures/trivy_db/), then the lab's own."""
    found = sorted(FIXTURES.glob("*.yaml"))
    if not found:
        raise ValueError(f"{FIXTURES}: no Trivy DB fixtures (*.yaml)")
    return [*found, LAB_ADVISORIES]


def db_tree(paths=None) -> dict:
    return fixtures.load(fixture_files() if paths is None else paths)


def write_java_db(path: Path) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    os.close(fd)
    try:
        with sqlite3.connect(tmp) as conn:
            for statement in JAVA_DB_SCHEMA:
                conn.execute(statement)
            for group, artifact, version, kind in JAVA_LAB_ARTIFACTS:
                conn.execute("INSERT OR IGNORE INTO artifacts(group_id, artifact_id) VALUES (?, ?)",
                             (group, artifact))
                sha1 = hashlib.sha1(lab_jar(group, artifact, version)).digest()  # noqa: S324
                conn.execute("INSERT INTO indices(artifact_id, version, sha1, archive_type) VALUES "
                             "((SELECT id FROM artifacts WHERE group_id=? AND artifact_id=?), "
                             "?, ?, ?)", (group, artifact, version, sha1, kind))
        conn.close()
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def archive(files: list[Path], dest: Path) -> Path:
    """A reproducible tar.gz of `files` at its top level (as Trivy's db.tar.gz / javadb.tar.gz)."""
    raw = io.BytesIO()
    with gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz, \
            tarfile.open(fileobj=gz, mode="w", format=tarfile.PAX_FORMAT) as tar:
        for path in files:
            info = tarfile.TarInfo(path.name)
            data = path.read_bytes()
            info.size, info.mode, info.mtime = len(data), 0o644, 0
            tar.addfile(info, io.BytesIO(data))
    bbolt.write_bytes(dest, raw.getvalue())
    return dest


def build(out: Path, now: dt.datetime | None = None, paths=None) -> dict[str, Path]:
    """Write both DBs, their metadata and their archives under `out`; the paths by name."""
    now = (now or dt.datetime.now(dt.timezone.utc)).replace(microsecond=0)
    out = Path(out)
    (out / "db").mkdir(parents=True, exist_ok=True)
    (out / "java-db").mkdir(parents=True, exist_ok=True)
    db = bbolt.write(out / "db" / "trivy.db", db_tree(paths))
    meta = out / "db" / "metadata.json"
    bbolt.write_bytes(meta, metadata(DB_SCHEMA_VERSION, now))
    java = write_java_db(out / "java-db" / "trivy-java.db")
    java_meta = out / "java-db" / "metadata.json"
    bbolt.write_bytes(java_meta, metadata(JAVA_DB_SCHEMA_VERSION, now))
    return {"db": db, "metadata": meta, "java_db": java, "java_metadata": java_meta,
            "db_archive": archive([db, meta], out / "db.tar.gz"),
            "java_db_archive": archive([java, java_meta], out / "javadb.tar.gz")}
