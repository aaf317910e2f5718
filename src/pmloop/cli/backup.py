"""Consistent backups of the whole database, taken while the server runs, and their restore.

File format (``pmloop backup FILE``): a plain POSIX tar archive, mode 600, holding two members
in this order:

``manifest.json``
    ``{"format": "pmloop-backup", "format_version": 1, "vendor": "sqlite" | "postgresql",
    "pmloop_version", "created_at" (UTC, ISO 8601), "data_file", "data_sha256", "data_bytes",
    "row_counts": {table: rows}, "migrations": ["app.0001_initial", …]}``. Row counts and
    migrations are read from the very snapshot that was saved, so they describe the data file
    exactly.
``database.sqlite3`` (SQLite)
    a copy made with SQLite's online backup API from inside one read transaction: a consistent
    snapshot even while the server writes (WAL lets writers go on). Journal mode DELETE, so the
    file stands alone and opens with any ``sqlite3`` shell.
``database.pgdump`` (PostgreSQL)
    ``pg_dump --format=custom`` run on a snapshot exported from a REPEATABLE READ transaction,
    the same one that counted the rows.

Restore checks the archive first (a pmloop backup, a format this version reads, the same
database kind, the data file's SHA-256, no migration this version does not know), saves the
current database to ``PMLOOP_HOME/backups/pre-restore-<time>.tar`` unless told not to, then
replaces the data: SQLite through the backup API in the other direction (one exclusive lock,
readers see either the old or the new database), PostgreSQL with ``pg_restore --clean
--if-exists --single-transaction`` (all or nothing). It finally compares the row counts with
the manifest.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pmloop.core.errors import DomainError, GuardFailed, InvalidInput

FORMAT = "pmloop-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
DATA_FILES = {"sqlite": "database.sqlite3", "postgresql": "database.pgdump"}
VENDOR_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}
SQLITE_STEP_PAGES = 1024  # pages copied per step of the SQLite backup API (4 MB at 4 KB pages)

Progress = Callable[..., None]


class BackupFailed(DomainError):
    """The database tool failed (pg_dump, pg_restore, SQLite): the message carries its words."""

    exit_code = 1
    default_code = "backup_failed"


def _noop(**_: Any) -> None:
    return None


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _db() -> tuple[str, dict[str, Any]]:
    from django.db import connection

    return connection.vendor, connection.settings_dict


def _known_migrations() -> set[str]:
    from django.db import connection
    from django.db.migrations.loader import MigrationLoader

    loader = MigrationLoader(connection, ignore_no_migrations=True, load=True)
    return {f"{app}.{name}" for app, name in loader.disk_migrations}


def _pmloop_version() -> str:
    import pmloop

    return pmloop.__version__


# ---- SQLite ---------------------------------------------------------------------------------
def _sqlite_path(settings_dict: dict[str, Any]) -> Path:
    name = str(settings_dict["NAME"])
    if name == ":memory:" or name.startswith("file:"):
        raise GuardFailed(
            "This database lives in memory (a test run?): there is no file to back up or restore.",
            code="memory_database",
        )
    return Path(name)


def _sqlite_describe(conn: sqlite3.Connection) -> tuple[dict[str, int], list[str]]:
    tables = [
        r[0]
        for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
        )
    ]
    counts: dict[str, int] = {}
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        try:
            counts[table] = conn.execute(f"SELECT count(*) FROM {quoted}").fetchone()[0]  # noqa: S608
        except sqlite3.Error:  # a virtual table whose module is not loaded: not counted
            continue
    migrations: list[str] = []
    if "django_migrations" in tables:
        migrations = [
            f"{a}.{n}" for a, n in conn.execute("SELECT app, name FROM django_migrations ORDER BY id")
        ]
    return counts, migrations


def _sqlite_copy(src: sqlite3.Connection, dst: sqlite3.Connection, progress: Progress) -> None:
    def step(status: int, remaining: int, total: int) -> None:
        progress(completed=total - remaining, total=total)

    src.backup(dst, pages=SQLITE_STEP_PAGES, progress=step)


def _sqlite_backup(settings_dict: dict[str, Any], workdir: Path, progress: Progress) -> tuple[Path, dict]:
    db_path = _sqlite_path(settings_dict)
    if not db_path.exists():
        raise GuardFailed(f"There is no database at {db_path}: run `pmloop init` first.", code="no_database")
    out = workdir / DATA_FILES["sqlite"]
    src = sqlite3.connect(db_path, timeout=30, isolation_level=None)
    try:
        # One read transaction for the whole copy: every step sees the same snapshot, and in
        # WAL mode the server's writers are not blocked meanwhile.
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()
        dst = sqlite3.connect(out, isolation_level=None)
        try:
            _sqlite_copy(src, dst, progress)
        finally:
            src.execute("ROLLBACK")
        dst.execute("PRAGMA journal_mode=DELETE")
        check = dst.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise BackupFailed(f"The copy failed SQLite's integrity check: {check}")
        counts, migrations = _sqlite_describe(dst)
        dst.close()
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite backup failed: {exc}") from exc
    finally:
        src.close()
    return out, {"row_counts": counts, "migrations": migrations, "database": str(db_path)}


def _sqlite_restore(settings_dict: dict[str, Any], data: Path, manifest: dict, progress: Progress) -> dict:
    db_path = _sqlite_path(settings_dict)
    try:
        src = sqlite3.connect(data, isolation_level=None)
        check = src.execute("PRAGMA quick_check").fetchone()[0]
        if check != "ok":
            raise InvalidInput(
                f"The backup's database fails SQLite's integrity check: {check}", code="corrupt"
            )
        db_path.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(db_path, timeout=60, isolation_level=None)
        try:
            _sqlite_copy(src, dst, progress)
            counts, _migrations = _sqlite_describe(dst)
        finally:
            dst.close()
            src.close()
    except sqlite3.Error as exc:
        raise BackupFailed(f"SQLite restore failed: {exc}") from exc
    return counts


# ---- PostgreSQL -----------------------------------------------------------------------------
def _pg_env(settings_dict: dict[str, Any]) -> dict[str, str]:
    env = dict(os.environ)
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        value = settings_dict.get(key)
        if value:
            env[var] = str(value)
    env["PGDATABASE"] = str(settings_dict["NAME"])
    env.pop("PGOPTIONS", None)
    return env


def _pg_connect(settings_dict: dict[str, Any]):
    import psycopg

    params = {
        "dbname": settings_dict["NAME"],
        "user": settings_dict.get("USER") or None,
        "password": settings_dict.get("PASSWORD") or None,
        "host": settings_dict.get("HOST") or None,
        "port": settings_dict.get("PORT") or None,
    }
    return psycopg.connect(**{k: v for k, v in params.items() if v is not None})


def _pg_tables(conn) -> list[str]:
    rows = conn.execute(
        "SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename"
    ).fetchall()
    return [r[0] for r in rows]


def _pg_describe(conn) -> tuple[dict[str, int], list[str]]:
    from psycopg import sql

    tables = _pg_tables(conn)
    counts = {
        t: conn.execute(sql.SQL("SELECT count(*) FROM {}").format(sql.Identifier(t))).fetchone()[0]
        for t in tables
    }
    migrations: list[str] = []
    if "django_migrations" in tables:
        rows = conn.execute("SELECT app, name FROM django_migrations ORDER BY id").fetchall()
        migrations = [f"{a}.{n}" for a, n in rows]
    return counts, migrations


def _run(cmd: list[str], env: dict[str, str], what: str) -> None:
    exe = shutil.which(cmd[0]) or f"/usr/bin/{cmd[0]}"
    if not Path(exe).exists():
        raise BackupFailed(f"{cmd[0]} is not installed (apt-get install postgresql-client).", code="no_tool")
    proc = subprocess.run([exe, *cmd[1:]], env=env, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise BackupFailed(f"{what} failed (exit {proc.returncode}): {proc.stderr.strip()[-2000:]}")


def _pg_backup(settings_dict: dict[str, Any], workdir: Path, progress: Progress) -> tuple[Path, dict]:
    from psycopg import IsolationLevel

    out = workdir / DATA_FILES["postgresql"]
    progress(total=3, completed=0, description="Opening a snapshot")
    try:
        with _pg_connect(settings_dict) as conn:
            conn.isolation_level = IsolationLevel.REPEATABLE_READ
            conn.read_only = True
            snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]
            counts, migrations = _pg_describe(conn)
            progress(completed=1, description="pg_dump")
            # pg_dump reads the very snapshot this open transaction counted.
            _run(
                ["pg_dump", "--format=custom", f"--snapshot={snapshot}", f"--file={out}"],
                _pg_env(settings_dict),
                "pg_dump",
            )
            conn.rollback()
    except DomainError:
        raise
    except Exception as exc:
        raise BackupFailed(f"PostgreSQL backup failed: {exc}") from exc
    progress(completed=3)
    return out, {"row_counts": counts, "migrations": migrations, "database": str(settings_dict["NAME"])}


def _pg_restore(settings_dict: dict[str, Any], data: Path, manifest: dict, progress: Progress) -> dict:
    from psycopg import sql

    progress(total=3, completed=0, description="Clearing tables the backup does not have")
    try:
        with _pg_connect(settings_dict) as conn:
            # Tables the backup does not hold (e.g. from a later migration) would survive
            # --clean and break the migrations that follow; drop them first.
            extra = [t for t in _pg_tables(conn) if t not in manifest.get("row_counts", {})]
            for table in extra:
                conn.execute(sql.SQL("DROP TABLE IF EXISTS {} CASCADE").format(sql.Identifier(table)))
            conn.commit()
        progress(completed=1, description="pg_restore")
        _run(
            [
                "pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges",
                "--single-transaction", "--exit-on-error", f"--dbname={settings_dict['NAME']}", str(data),
            ],
            _pg_env(settings_dict),
            "pg_restore",
        )  # fmt: skip
        progress(completed=2, description="Counting rows")
        with _pg_connect(settings_dict) as conn:
            counts, _migrations = _pg_describe(conn)
    except DomainError:
        raise
    except Exception as exc:
        raise BackupFailed(f"PostgreSQL restore failed: {exc}") from exc
    progress(completed=3)
    return counts


# ---- archive --------------------------------------------------------------------------------
def _close_django_connections() -> None:
    from django.db import connections

    connections.close_all()


def check_target(target: Path, *, force: bool = False) -> Path:
    target = Path(target).expanduser()
    if target.is_dir():
        raise InvalidInput(f"{target} is a directory; give a file name.", field="file")
    if target.exists() and not force:
        raise InvalidInput(f"{target} exists; choose another name or pass --force.", field="file")
    return target


def _private(info: tarfile.TarInfo) -> tarfile.TarInfo:
    info.mode, info.uid, info.gid, info.uname, info.gname = 0o600, 0, 0, "", ""
    return info


def create_backup(target: Path, *, progress: Progress | None = None, force: bool = False) -> dict[str, Any]:
    """Write a backup archive of the current database to ``target``; returns its manifest."""
    progress = progress or _noop
    target = check_target(target, force=force)
    vendor, settings_dict = _db()
    if vendor not in DATA_FILES:
        raise GuardFailed(
            f"Backups support SQLite and PostgreSQL, not {vendor}.", code="unsupported_database"
        )
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".pmloop-backup-", dir=target.parent) as tmp:
        workdir = Path(tmp)
        if vendor == "sqlite":
            data, info = _sqlite_backup(settings_dict, workdir, progress)
        else:
            data, info = _pg_backup(settings_dict, workdir, progress)
        manifest = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "vendor": vendor,
            "pmloop_version": _pmloop_version(),
            "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "database": info["database"],
            "data_file": data.name,
            "data_sha256": _sha256(data),
            "data_bytes": data.stat().st_size,
            "row_counts": info["row_counts"],
            "migrations": info["migrations"],
        }
        partial = workdir / "archive.tar"
        with tarfile.open(partial, "w", format=tarfile.PAX_FORMAT) as tar:
            blob = json.dumps(manifest, ensure_ascii=False, indent=2).encode()
            member = tarfile.TarInfo(MANIFEST)
            member.size, member.mtime = len(blob), int(datetime.now(UTC).timestamp())
            tar.addfile(_private(member), io.BytesIO(blob))
            tar.add(data, arcname=data.name, filter=_private)
        os.chmod(partial, 0o600)
        os.replace(partial, target)
    return manifest


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a backup archive; InvalidInput when ``path`` is not a pmloop backup."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise InvalidInput(f"No backup file at {path}.", field="file", code="not_found")
    not_ours = InvalidInput(
        f"{path} is not a pmloop backup (make one with `pmloop backup FILE`).",
        field="file",
        code="not_a_backup",
    )
    try:
        with tarfile.open(path, "r:") as tar:
            member = tar.getmember(MANIFEST)
            fh = tar.extractfile(member)
            if fh is None:
                raise not_ours
            manifest = json.loads(fh.read(1 << 20).decode())
    except (tarfile.TarError, KeyError, UnicodeDecodeError, json.JSONDecodeError, OSError) as exc:
        raise not_ours from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise not_ours
    if manifest.get("format_version") != FORMAT_VERSION:
        raise InvalidInput(
            f"{path} is a pmloop backup in format {manifest.get('format_version')}; this pmloop reads "
            f"format {FORMAT_VERSION}. Use the pmloop version that wrote it ({manifest.get('pmloop_version')}).",
            field="file",
            code="backup_format",
        )
    return manifest


def check_restorable(manifest: dict[str, Any], path: Path) -> None:
    vendor, _settings = _db()
    theirs = manifest.get("vendor")
    if theirs != vendor:
        raise InvalidInput(
            f"{path} is a backup of a {VENDOR_NAMES.get(theirs, theirs)} database, but this pmloop uses "
            f"{VENDOR_NAMES.get(vendor, vendor)}. Restore it into a pmloop configured for "
            f"{VENDOR_NAMES.get(theirs, theirs)} (DATABASE_URL decides).",
            field="file",
            code="wrong_database_kind",
        )
    unknown = sorted(set(manifest.get("migrations", [])) - _known_migrations())
    if unknown:
        raise GuardFailed(
            f"{path} was made by a newer pmloop ({manifest.get('pmloop_version')}) with migrations this "
            f"version does not know: upgrade pmloop first.",
            code="backup_newer",
            missing=unknown,
        )


def _has_tables() -> bool:
    from django.db import connection

    try:
        return bool(connection.introspection.table_names())
    except Exception:
        return False


def safety_path(home: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return home / "backups" / f"pre-restore-{stamp}.tar"


def restore_backup(
    path: Path, *, progress: Progress | None = None, safety_dir: Path | None = None
) -> dict[str, Any]:
    """Replace the current database with the backup at ``path``.

    Returns ``{"manifest", "row_counts", "safety_backup"}``; raises when the counts differ."""
    progress = progress or _noop
    path = Path(path).expanduser()
    manifest = read_manifest(path)
    check_restorable(manifest, path)
    vendor, settings_dict = _db()
    safety: Path | None = None
    with tempfile.TemporaryDirectory(prefix=".pmloop-restore-") as tmp:
        data = Path(tmp) / DATA_FILES[vendor]
        try:
            with tarfile.open(path, "r:") as tar:
                fh = tar.extractfile(tar.getmember(manifest.get("data_file", DATA_FILES[vendor])))
                if fh is None:
                    raise KeyError(manifest.get("data_file"))
                with data.open("wb") as out:
                    shutil.copyfileobj(fh, out, 1 << 20)
        except (tarfile.TarError, KeyError, OSError) as exc:
            raise InvalidInput(f"{path} is incomplete: its data file is missing.", code="corrupt") from exc
        if _sha256(data) != manifest.get("data_sha256"):
            raise InvalidInput(
                f"{path} is damaged: its data file does not match the checksum in its manifest.",
                code="corrupt",
            )
        if safety_dir is not None and _has_tables():
            safety = safety_path(safety_dir)
            create_backup(safety, progress=progress)
        _close_django_connections()
        if vendor == "sqlite":
            counts = _sqlite_restore(settings_dict, data, manifest, progress)
        else:
            counts = _pg_restore(settings_dict, data, manifest, progress)
    _close_django_connections()
    expected = manifest.get("row_counts", {})
    differ = {t: (n, counts.get(t)) for t, n in expected.items() if counts.get(t) != n}
    if differ:
        details = ", ".join(f"{t}: {want} expected, {got} found" for t, (want, got) in sorted(differ.items()))
        raise BackupFailed(f"The restored database does not match the backup's row counts: {details}")
    return {"manifest": manifest, "row_counts": counts, "safety_backup": str(safety) if safety else None}


def summary(manifest: dict[str, Any]) -> str:
    counts = manifest.get("row_counts", {})
    size = manifest.get("data_bytes", 0)
    size_text = f"{size / 1e6:.1f} MB" if size >= 1e5 else f"{size / 1e3:.0f} kB"
    return (
        f"{VENDOR_NAMES.get(manifest.get('vendor'), manifest.get('vendor'))} backup of "
        f"{manifest.get('created_at')}, pmloop {manifest.get('pmloop_version')}: "
        f"{sum(counts.values())} rows in {len(counts)} tables, {size_text}"
    )
