"""pmloop's SQLite backend queues writers on a lock file: the next writer starts as soon as the
previous one commits or rolls back, not after SQLite's busy handler wakes up."""

from __future__ import annotations

import fcntl
import os
import threading
import time

import pytest
from django.db.utils import OperationalError

from pmloop.core.sqlite_backend.base import DatabaseWrapper


def _connection(path, timeout=5) -> DatabaseWrapper:
    settings = {
        "ENGINE": "pmloop.core.sqlite_backend", "NAME": str(path), "OPTIONS": {"transaction_mode": "IMMEDIATE",
        "timeout": timeout}, "CONN_MAX_AGE": 0, "CONN_HEALTH_CHECKS": False, "AUTOCOMMIT": True,
        "ATOMIC_REQUESTS": False, "TIME_ZONE": None, "USER": "", "PASSWORD": "", "HOST": "", "PORT": "", "TEST": {},
    }  # fmt: skip
    conn = DatabaseWrapper(settings, alias=f"queue-{id(settings)}")
    conn.ensure_connection()
    return conn


@pytest.fixture(autouse=True)
def _own_connections(django_db_blocker):
    """These tests open their own connections to their own files, not the test database."""
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def db_file(tmp_path):
    path = tmp_path / "queue.sqlite3"
    conn = _connection(path)
    with conn.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE t (n INTEGER)")
    conn.close()
    return path


def _lock_file_is_held(db_file) -> bool:
    """True while some connection holds the writer queue (its flock on the lock file)."""
    fd = os.open(f"{db_file}.writer-lock", os.O_RDWR | os.O_CREAT)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)


def test_the_next_writer_starts_when_the_first_commits(db_file):
    first = _connection(db_file)
    began: list[float] = []

    def write_second():
        second = _connection(db_file)  # a connection belongs to its thread
        with _atomic(second):
            began.append(time.monotonic())
            second.cursor().execute("INSERT INTO t VALUES (2)")
        second.close()

    assert not _lock_file_is_held(db_file)
    with _atomic(first):
        first.cursor().execute("INSERT INTO t VALUES (1)")
        assert _lock_file_is_held(db_file)  # the writer holds the queue, not only SQLite's lock
        thread = threading.Thread(target=write_second)
        thread.start()
        time.sleep(0.2)
        assert began == []  # queued behind the first writer
    released = time.monotonic()
    thread.join(5)
    assert len(began) == 1 and 0 <= began[0] - released < 1
    assert not _lock_file_is_held(db_file)  # committed: the queue is free again
    assert [r[0] for r in first.cursor().execute("SELECT n FROM t ORDER BY n").fetchall()] == [1, 2]
    first.close()


def test_a_rollback_releases_the_queue(db_file):
    first, second = _connection(db_file), _connection(db_file, timeout=1)
    with pytest.raises(ZeroDivisionError), _atomic(first):
        first.cursor().execute("INSERT INTO t VALUES (1)")
        1 / 0  # noqa: B018
    assert not _lock_file_is_held(db_file)
    with _atomic(second):  # not "database is locked"
        second.cursor().execute("INSERT INTO t VALUES (2)")
    assert [r[0] for r in second.cursor().execute("SELECT n FROM t").fetchall()] == [2]
    first.close()
    second.close()


def test_a_writer_that_waits_too_long_gets_database_is_locked(db_file):
    first, second = _connection(db_file), _connection(db_file, timeout=0.2)
    with _atomic(first):
        first.cursor().execute("INSERT INTO t VALUES (1)")
        t = time.monotonic()
        with pytest.raises(OperationalError, match="database is locked"), _atomic(second):
            pass
        assert 0.15 < time.monotonic() - t < 2
    with _atomic(second):  # the failed try left nothing held
        second.cursor().execute("INSERT INTO t VALUES (2)")
    first.close()
    second.close()


def test_closing_a_connection_mid_transaction_frees_the_queue(db_file):
    first, second = _connection(db_file), _connection(db_file, timeout=1)
    first.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)
    first.cursor().execute("INSERT INTO t VALUES (1)")
    first.close()
    with _atomic(second):
        second.cursor().execute("INSERT INTO t VALUES (2)")
    second.close()


def test_in_memory_databases_keep_sqlites_own_queue():
    conn = _connection(":memory:")
    assert conn._writer_lock_path() is None
    with _atomic(conn):
        conn.cursor().execute("CREATE TABLE t (n INTEGER)")
    conn.close()


class _atomic:
    """transaction.atomic for a connection object that is not in django.db.connections."""

    def __init__(self, conn):
        self.conn = conn

    def __enter__(self):
        self.conn.set_autocommit(False, force_begin_transaction_with_broken_autocommit=True)

    def __exit__(self, exc_type, exc, tb):
        if exc_type is None:
            self.conn.commit()
        else:
            self.conn.rollback()
        self.conn.set_autocommit(True)
        return False
