"""Django's SQLite backend, with writers queued on a lock file instead of SQLite's busy handler.

Every write transaction begins with ``BEGIN IMMEDIATE`` (settings: ``transaction_mode``), so two
writers queue instead of failing half-way. SQLite's own queue is its busy handler, which
*sleeps* between tries — 1, 2, 5, 10, 15, 20, 25 … ms — so a writer that finds the lock taken
wakes up to ~10 ms after it was freed. With two clients updating requirements, the server
did 81 updates/s with one client and still 81 with two (p50 11 → 21 ms): the sleeps ate the
second client's share (docs/benchmarks.md).

Here a writer first takes an exclusive ``flock`` on ``<database>.writer-lock`` (one open file
per connection, so threads of one process queue too), polling every 0.5 ms, then runs
``BEGIN IMMEDIATE``, which then finds SQLite's lock free; commit or rollback releases it. A
process that dies holding it loses it with its file descriptors. The wait is bounded by the
same ``timeout`` as SQLite's busy handler and ends in the same error ("database is locked").
In-memory databases (the test suite's) have no file to lock and keep SQLite's handler.
"""

from __future__ import annotations

import fcntl
import os
import time

from django.db.backends.sqlite3 import base

POLL_SECONDS = 0.0005


class DatabaseWrapper(base.DatabaseWrapper):
    _writer_fd: int | None = None
    _writer_locked = False

    def _writer_lock_path(self) -> str | None:
        if self.transaction_mode != "IMMEDIATE" or self.is_in_memory_db():
            return None
        return f"{self.settings_dict['NAME']}.writer-lock"

    def _take_writer_lock(self) -> None:
        path = self._writer_lock_path()
        if path is None:
            return
        if self._writer_fd is None:
            self._writer_fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        deadline = time.monotonic() + float(self.settings_dict.get("OPTIONS", {}).get("timeout", 5))
        while True:
            try:
                fcntl.flock(self._writer_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                self._writer_locked = True
                return
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    with self.wrap_database_errors:  # as Django raises SQLite's own (django.db.utils)
                        raise self.Database.OperationalError("database is locked") from None
                time.sleep(POLL_SECONDS)

    def _release_writer_lock(self) -> None:
        if self._writer_locked:
            self._writer_locked = False
            fcntl.flock(self._writer_fd, fcntl.LOCK_UN)

    def _start_transaction_under_autocommit(self):
        self._take_writer_lock()
        try:
            super()._start_transaction_under_autocommit()
        except BaseException:
            self._release_writer_lock()
            raise

    def _commit(self):
        try:
            super()._commit()
        finally:
            self._release_writer_lock()

    def _rollback(self):
        try:
            super()._rollback()
        finally:
            self._release_writer_lock()

    def _close(self):
        try:
            super()._close()
        finally:
            self._release_writer_lock()
            if self._writer_fd is not None:
                os.close(self._writer_fd)
                self._writer_fd = None
