"""Database chores the CLI runs: migrations with a progress bar, where the data lives."""

from __future__ import annotations

import io
from collections.abc import Callable
from typing import Any


def pending_migrations() -> int:
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    executor = MigrationExecutor(connection)
    return len(executor.migration_plan(executor.loader.graph.leaf_nodes()))


def migrate(progress_factory: Callable[..., Any] | None = None) -> int:
    """Apply every pending migration; returns how many ran. ``progress_factory(description,
    total)`` is a context manager yielding ``update(...)`` (see Runtime.progress)."""
    from django.core.management import call_command
    from django.core.management.commands.migrate import Command as MigrateCommand

    n = pending_migrations()
    if n == 0:
        return 0

    def run(update: Callable[..., None]) -> None:
        class Command(MigrateCommand):
            def migration_progress_callback(self, action, migration=None, fake=False):
                if action == "apply_success":
                    update(advance=1, description=f"Migrated {migration.app_label}.{migration.name}")

        call_command(Command(), interactive=False, verbosity=1, stdout=io.StringIO())

    if progress_factory is None:
        run(lambda **_: None)
    else:
        with progress_factory("Applying migrations", total=n) as update:
            run(update)
    return n


def describe_database() -> str:
    from django.db import connection

    s = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"SQLite {s['NAME']}"
    host = s.get("HOST") or "local socket"
    port = f":{s['PORT']}" if s.get("PORT") else ""
    return f"{connection.vendor} {s['NAME']} on {host}{port}"


def close_connections() -> None:
    from django.db import connections

    connections.close_all()
