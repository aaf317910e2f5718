"""Backup and restore: refusals in process; full round trips through the real command on a real
SQLite file and, when the suite runs on PostgreSQL, on a scratch PostgreSQL database."""

from __future__ import annotations

import io
import json
import os
import tarfile
import uuid
from pathlib import Path

import pytest
from django.db import connection

from pmloop.cli import backup as backups


def _fake_backup(path: Path, **manifest_overrides) -> Path:
    manifest = {
        "format": backups.FORMAT,
        "format_version": backups.FORMAT_VERSION,
        "vendor": "sqlite",
        "pmloop_version": "0.0.1",
        "created_at": "2025-01-01T00:00:00+00:00",
        "data_file": "database.sqlite3",
        "data_sha256": "0" * 64,
        "row_counts": {},
        "migrations": [],
        **manifest_overrides,
    }
    with tarfile.open(path, "w") as tar:
        blob = json.dumps(manifest).encode()
        info = tarfile.TarInfo(backups.MANIFEST)
        info.size = len(blob)
        tar.addfile(info, io.BytesIO(blob))
    return path


def _other_vendor() -> str:
    return "postgresql" if connection.vendor == "sqlite" else "sqlite"


# ---- refusals (in process, nothing touched) ------------------------------------------------
def test_restore_refuses_a_file_that_is_not_a_backup(cli, admin, tmp_path):
    junk = tmp_path / "junk.tar"
    junk.write_bytes(b"hello, not a tar")
    res = cli("restore", junk, "--yes")
    assert res.exit_code == 2 and "not a pmloop backup" in res.stderr

    other_tar = tmp_path / "other.tar"
    with tarfile.open(other_tar, "w") as tar:
        info = tarfile.TarInfo("readme.txt")
        tar.addfile(info, io.BytesIO(b""))
    res = cli("restore", other_tar, "--yes")
    assert res.exit_code == 2 and "not a pmloop backup" in res.stderr

    res = cli("restore", tmp_path / "missing.tar", "--yes")
    assert res.exit_code == 2 and "No backup file" in res.stderr


def test_restore_refuses_another_database_kind(cli, admin, tmp_path):
    fake = _fake_backup(tmp_path / "other-kind.tar", vendor=_other_vendor())
    res = cli("restore", fake, "--yes")
    assert res.exit_code == 2
    assert "backup of a" in res.stderr and "DATABASE_URL" in res.stderr


def test_restore_refuses_a_newer_format_and_newer_migrations(cli, admin, tmp_path):
    res = cli(
        "restore", _fake_backup(tmp_path / "v9.tar", vendor=connection.vendor, format_version=9), "--yes"
    )
    assert res.exit_code == 2 and "format 9" in res.stderr
    newer = _fake_backup(
        tmp_path / "newer.tar", vendor=connection.vendor, migrations=["products.9999_future"]
    )
    res = cli("restore", newer, "--yes")
    assert res.exit_code == 3 and "newer pmloop" in res.stderr and "products.9999_future" in res.stderr


def test_restore_refuses_a_damaged_data_file(cli, admin, tmp_path):
    path = tmp_path / "damaged.tar"
    manifest = {"format": backups.FORMAT, "format_version": 1, "vendor": connection.vendor,
                "data_file": "database.x", "data_sha256": "0" * 64, "row_counts": {}, "migrations": []}  # fmt: skip
    with tarfile.open(path, "w") as tar:
        for name, blob in ((backups.MANIFEST, json.dumps(manifest).encode()), ("database.x", b"data")):
            info = tarfile.TarInfo(name)
            info.size = len(blob)
            tar.addfile(info, io.BytesIO(blob))
    res = cli("restore", path, "--yes")
    assert res.exit_code == 2 and "checksum" in res.stderr


def test_restore_asks_for_confirmation_without_a_terminal(cli, admin, tmp_path):
    fake = _fake_backup(tmp_path / "same.tar", vendor=connection.vendor)
    res = cli("restore", fake)
    assert res.exit_code == 2 and "--yes" in res.stderr


def test_backup_will_not_overwrite(cli, admin, tmp_path):
    existing = tmp_path / "exists.tar"
    existing.write_text("keep me")
    res = cli("backup", existing)
    assert res.exit_code == 2 and "--force" in res.stderr
    assert existing.read_text() == "keep me"


# ---- round trips through the real command ---------------------------------------------------
def _round_trip(real_cli, tmp_path: Path, database_url: str | None = None) -> None:
    def ok(*args):
        res = real_cli(*args, database_url=database_url)
        assert res.exit_code == 0, f"pmloop {' '.join(map(str, args))}\n{res.stdout}\n{res.stderr}"
        return res

    ok("demo", "--no-serve", "--json")
    products_before = ok("products", "list", "--all", "--json").json
    tree_before = ok("modules", "tree", "IMSDK", "--json").json
    verified = ok("audit", "verify", "--json").json
    assert verified["ok"] and verified["checked"] > 30

    archive = tmp_path / "pmloop.tar"
    manifest = ok("backup", archive, "--json").json
    assert manifest["format"] == "pmloop-backup" and manifest["vendor"] == (
        "postgresql" if database_url else "sqlite"
    )
    assert manifest["row_counts"]["audit_auditentry"] == verified["checked"]
    assert manifest["row_counts"]["products_product"] == 2
    assert oct(archive.stat().st_mode & 0o777) == "0o600"
    with tarfile.open(archive) as tar:
        assert tar.getnames() == ["manifest.json", manifest["data_file"]]

    # Change things after the backup …
    ok("products", "create", "EXTRA", "Extra product", "--as", "wangmin")
    ok("modules", "add", "IMSDK", "新模块", "--as", "wangmin")
    ok("users", "deactivate", "zhaolei")

    # … and restore: everything is as it was at the backup.
    restored = ok("restore", archive, "--yes", "--json").json
    assert restored["audit"]["ok"] is True and restored["audit"]["checked"] == verified["checked"]
    assert restored["safety_backup"] and Path(restored["safety_backup"]).is_file()
    assert ok("products", "list", "--all", "--json").json == products_before
    assert ok("modules", "tree", "IMSDK", "--json").json == tree_before
    users = {u["username"]: u["active"] for u in ok("users", "list", "--json").json}
    assert users["zhaolei"] is True

    again = ok("backup", tmp_path / "again.tar", "--json").json
    assert again["row_counts"] == manifest["row_counts"]
    assert ok("audit", "verify", "--json").json["checked"] == verified["checked"]

    # The safety backup taken before the restore holds the changes made after the first one.
    safety = backups.read_manifest(Path(restored["safety_backup"]))
    assert safety["row_counts"]["products_product"] == 3


@pytest.mark.slow
def test_sqlite_round_trip_loses_nothing(real_cli, tmp_path):
    _round_trip(real_cli, tmp_path)
    assert (real_cli.home / "pmloop.sqlite3").is_file()


@pytest.mark.slow
def test_sqlite_backup_is_a_standalone_database(real_cli, tmp_path):
    import sqlite3

    assert real_cli("init", "--admin-user", "root", "--admin-password", "pw-Secret-123").exit_code == 0
    archive = tmp_path / "b.tar"
    assert real_cli("backup", archive).exit_code == 0
    with tarfile.open(archive) as tar:
        tar.extract("database.sqlite3", tmp_path, filter="data")
    db = sqlite3.connect(tmp_path / "database.sqlite3")
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert db.execute("SELECT username FROM accounts_user").fetchall() == [("root",)]
    db.close()


def _postgres_url() -> str | None:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else None


@pytest.fixture
def scratch_postgres():
    """A PostgreSQL database of its own, created and dropped here: never the test database of
    the running session."""
    import psycopg
    from psycopg import sql

    url = _postgres_url()
    name = f"pmloop_scratch_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _ = url.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(url, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.slow
@pytest.mark.skipif(not _postgres_url(), reason="runs when DATABASE_URL points at PostgreSQL")
def test_postgres_round_trip_loses_nothing(real_cli, tmp_path, scratch_postgres):
    _round_trip(real_cli, tmp_path, database_url=scratch_postgres)


@pytest.mark.slow
@pytest.mark.skipif(not _postgres_url(), reason="runs when DATABASE_URL points at PostgreSQL")
def test_sqlite_backup_is_refused_by_a_postgres_pmloop(real_cli, tmp_path, scratch_postgres):
    assert real_cli("init").exit_code == 0  # SQLite in the temporary PMLOOP_HOME
    archive = tmp_path / "sqlite.tar"
    assert real_cli("backup", archive).exit_code == 0
    res = real_cli("restore", archive, "--yes", database_url=scratch_postgres)
    assert res.exit_code == 2
    assert "backup of a SQLite database, but this pmloop uses PostgreSQL" in res.stderr
