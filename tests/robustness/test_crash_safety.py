"""Crash safety: a bulk operation killed with SIGKILL half-way through leaves all or none of
its rows, and the operation log's hash chain still verifies.

The real ``pmloop`` CLI runs in a subprocess on a real database: a SQLite file under a
temporary PMLOOP_HOME, and (when DATABASE_URL is PostgreSQL) a scratch database created and
dropped here. "Half-way" is observed, not guessed: we wait until the importing process holds
the write lock (SQLite: another connection's BEGIN IMMEDIATE is refused; PostgreSQL: the
process holds a row-exclusive lock on the pool item table), let it write for a while longer,
check it is still running, and kill it.
"""

from __future__ import annotations

import csv
import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest

from pmloop.cli.tests.conftest import subprocess_env

ROWS = 1000  # a few ms to ~40 ms a row (idle vs loaded machine): the kill lands well inside the import
PG_URL = os.environ.get("DATABASE_URL", "")
pytestmark = pytest.mark.slow


class Pmloop:
    def __init__(self, home: Path, database_url: str | None):
        self.home, self.database_url = home, database_url
        self.env = subprocess_env(home, database_url)

    def argv(self, *args) -> list[str]:
        return [sys.executable, "-m", "pmloop", *[str(a) for a in args]]

    def run(self, *args, timeout: float = 240) -> subprocess.CompletedProcess:
        return subprocess.run(self.argv(*args), env=self.env, capture_output=True, text=True, timeout=timeout,
                              stdin=subprocess.DEVNULL, check=False)  # fmt: skip

    def start(self, *args) -> subprocess.Popen:
        return subprocess.Popen(self.argv(*args), env=self.env, stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL)  # fmt: skip

    # ---- looking at the database from outside ----
    def query(self, sql: str) -> list[tuple]:
        if self.database_url:
            import psycopg

            with psycopg.connect(self.database_url, autocommit=True) as conn:
                return conn.execute(sql).fetchall()
        conn = sqlite3.connect(self.home / "pmloop.sqlite3", timeout=30)
        try:
            return conn.execute(sql).fetchall()
        finally:
            conn.close()

    def writing(self) -> bool:
        """Is some process inside a write transaction that has touched the pool item table?"""
        if self.database_url:
            rows = self.query(
                "SELECT 1 FROM pg_locks l JOIN pg_class c ON l.relation = c.oid "
                "WHERE c.relname = 'pool_poolitem' AND l.mode = 'RowExclusiveLock' AND l.pid <> pg_backend_pid()"
            )
            return bool(rows)
        conn = sqlite3.connect(self.home / "pmloop.sqlite3", timeout=0, isolation_level=None)
        try:
            conn.execute("BEGIN IMMEDIATE")
            conn.execute("ROLLBACK")
            return False
        except sqlite3.OperationalError as exc:
            assert "locked" in str(exc) or "busy" in str(exc), exc
            return True
        finally:
            conn.close()

    def pool_counts(self) -> dict[str, int]:
        return dict(self.query("SELECT status, COUNT(*) FROM pool_poolitem GROUP BY status"))


def ok(res: subprocess.CompletedProcess) -> str:
    assert res.returncode == 0, f"exit {res.returncode}\n{res.stdout[-2000:]}\n{res.stderr[-2000:]}"
    return res.stdout


def kill_half_way(p: Pmloop, *args, settle: float = 0.3) -> float:
    """Start ``pmloop *args``, wait until it writes, let it write ``settle`` seconds more, SIGKILL
    it while it is still running. Returns how long it had been writing."""
    proc = p.start(*args)
    try:
        deadline = time.monotonic() + 120
        while not p.writing():
            assert proc.poll() is None, (
                f"pmloop {args} ended (exit {proc.returncode}) before it was seen writing"
            )
            assert time.monotonic() < deadline, "never saw the bulk operation start writing"
            time.sleep(0.05)
        began = time.monotonic()
        time.sleep(settle)
        assert proc.poll() is None, "the bulk operation finished before the kill: give it more rows"
        assert p.writing(), "the write transaction ended before the kill"
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        assert proc.returncode == -signal.SIGKILL
        return time.monotonic() - began
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def write_csv(path: Path, n: int, tag: str) -> Path:
    with path.open("w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["text", "importance", "tags"])
        for i in range(n):
            w.writerow([f"希望群聊支持按角色设置权限 {tag} 第{i}条", "high", "crash,test"])
    return path


def scenario(p: Pmloop, tmp_path: Path) -> None:
    ok(p.run("init", "--admin-user", "root", "--admin-password", "pw-Secret-123", "--no-input"))
    ok(p.run("products", "create", "IMSDK", "IM SDK"))
    audit_before = p.query("SELECT COUNT(*) FROM audit_auditentry")[0][0]

    # 1. CSV import (one transaction) killed half-way: none of its rows, log intact.
    kill_half_way(
        p, "pool", "import-csv", write_csv(tmp_path / "big.csv", ROWS, "killed"), "--product", "IMSDK"
    )
    assert p.pool_counts() == {}, "a killed import left part of its rows"
    assert p.query("SELECT COUNT(*) FROM audit_auditentry")[0][0] == audit_before
    assert "OK" in ok(p.run("audit", "verify")).upper()
    if not p.database_url:
        assert p.query("PRAGMA integrity_check") == [("ok",)]

    # 2. The database is still usable: a complete import of fewer rows.
    n = ROWS // 2
    ok(p.run("pool", "import-csv", write_csv(tmp_path / "small.csv", n, "kept"), "--product", "IMSDK"))
    assert p.pool_counts() == {"new": n}
    audit_before = p.query("SELECT COUNT(*) FROM audit_auditentry")[0][0]

    # 3. Bulk triage of all of them (all or none) killed half-way: every item still new.
    refs = [f"IMSDK-P{i}" for i in range(1, n + 1)]
    kill_half_way(p, "pool", "triage", *refs, "--importance", "critical", settle=0.2)
    assert p.pool_counts() == {"new": n}, "a killed bulk triage left some items triaged"
    assert p.query("SELECT COUNT(*) FROM audit_auditentry")[0][0] == audit_before
    assert "OK" in ok(p.run("audit", "verify")).upper()

    # 4. And the same triage, not killed, does them all.
    ok(p.run("pool", "triage", *refs, "--importance", "critical"))
    assert p.pool_counts() == {"triaged": n}
    assert "OK" in ok(p.run("audit", "verify")).upper()


def test_sqlite_file_killed_bulk_operations_leave_all_or_nothing(tmp_path):
    home = tmp_path / "home"
    home.mkdir()
    scenario(Pmloop(home, None), tmp_path)


@pytest.fixture
def scratch_postgres():
    import psycopg
    from psycopg import sql

    name = f"pmloop_crash_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(PG_URL, autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    base, _, _ = PG_URL.rpartition("/")
    try:
        yield f"{base}/{name}"
    finally:
        with psycopg.connect(PG_URL, autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


@pytest.mark.skipif(not PG_URL.startswith("postgres"), reason="runs when DATABASE_URL points at PostgreSQL")
def test_postgres_killed_bulk_operations_leave_all_or_nothing(tmp_path, scratch_postgres):
    home = tmp_path / "home"
    home.mkdir()
    scenario(Pmloop(home, scratch_postgres), tmp_path)
