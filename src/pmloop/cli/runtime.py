"""What every command shares: Django start-up, the acting user, output and progress bars.

The root command puts one :class:`Runtime` in ``ctx.obj``. Each app's ``cli.py`` reaches it
through its Typer context, so the apps never import ``pmloop.cli`` (that would break the layer
order: a domain app may not import a front). Nothing here touches Django until a command
needs it, so ``pmloop --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Any

import typer
from rich.console import Console
from rich.table import Table

if TYPE_CHECKING:
    from pmloop.accounts.models import User
    from pmloop.core.actor import Actor

DEFAULT_SETTINGS = "pmloop.config.settings"


def boot_django() -> None:
    """Configure Django once (settings from DJANGO_SETTINGS_MODULE, default pmloop's own)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", DEFAULT_SETTINGS)
    from django.apps import apps

    if not apps.ready:
        import django

        django.setup()


def to_jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): to_jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set):
        return [to_jsonable(v) for v in value]
    return value


class Runtime:
    """One per command line invocation."""

    def __init__(self) -> None:
        self.json_mode = False
        self._cache: dict[str, Any] = {}

    # ---- consoles: created on use so they follow the current sys.stdout / sys.stderr ----
    @property
    def out(self) -> Console:
        # Piped output is not cut to 80 columns: lines stay whole, tables get room.
        width = None if sys.stdout.isatty() else 200
        return Console(file=sys.stdout, highlight=False, soft_wrap=True, width=width)

    @property
    def err(self) -> Console:
        return Console(file=sys.stderr, highlight=False, soft_wrap=True)

    # ---- Django and actors -----------------------------------------------------------------
    def boot(self) -> None:
        boot_django()

    def system(self) -> Actor:
        self.boot()
        from pmloop.core.actor import system_actor

        return system_actor(via="cli")

    def find_user(self, username: str) -> User | None:
        """The user with exactly this name (case-insensitive), active or not."""
        self.boot()
        from pmloop.accounts import selectors as accounts_selectors

        wanted = username.strip().lower()
        if not wanted:
            return None
        for user in accounts_selectors.list_users(actor=self.system(), q=username.strip()):
            if user.username.lower() == wanted:
                return user
        return None

    def user(self, username: str) -> User:
        from pmloop.core.errors import NotFound

        user = self.find_user(username)
        if user is None:
            raise NotFound(f"No user named '{username}'.", code="user_not_found")
        return user

    def first_admin(self) -> User | None:
        self.boot()
        from pmloop.accounts import selectors as accounts_selectors

        users = accounts_selectors.list_users(actor=self.system())
        return users.filter(is_superuser=True, is_active=True).order_by("pk").first()

    def actor(self, username: str | None = None) -> Actor:
        """The actor named by ``--as`` (default: the first active site admin)."""
        self.boot()
        from pmloop.core.actor import Actor
        from pmloop.core.errors import GuardFailed, PermissionDenied

        if username:
            user = self.user(username)
            if not user.is_active:
                raise PermissionDenied(f"The user '{user.username}' is deactivated.", code="inactive_user")
        else:
            user = self.first_admin()
            if user is None:
                raise GuardFailed(
                    "There is no active site admin to act as: pass --as USERNAME, or create one with "
                    "`pmloop createuser NAME --admin`.",
                    code="no_admin",
                )
        return Actor(user=user, via="cli")

    def product(self, actor: Actor, code: str):
        """A product the actor may see, by code (NotFound otherwise)."""
        from pmloop.products import selectors as product_selectors

        return product_selectors.get_product(actor=actor, code=code)

    # ---- output --------------------------------------------------------------------------
    def set_json(self, flag: bool) -> None:
        self.json_mode = bool(flag)

    def print_json(self, data: Any) -> None:
        typer.echo(json.dumps(to_jsonable(data), ensure_ascii=False, indent=2))

    def say(self, message: str) -> None:
        """A human line on stdout (never mixed into --json output)."""
        if self.json_mode:
            return
        self.out.print(message, markup=False)

    def note(self, message: str) -> None:
        """A hint on stderr."""
        self.err.print(message, markup=False)

    def table(self, columns: Sequence[str], rows: Sequence[Sequence[Any]], title: str | None = None) -> None:
        table = Table(title=title, show_edge=False, header_style="bold")
        for col in columns:
            table.add_column(col, overflow="fold")
        for row in rows:
            table.add_row(*["" if v is None else str(v) for v in row])
        self.out.print(table)

    def emit(
        self,
        data: Any,
        *,
        as_json: bool,
        columns: Sequence[str] | None = None,
        rows: Sequence[Sequence[Any]] | None = None,
        text: str | None = None,
    ) -> None:
        """``data`` as JSON when asked, otherwise a table (columns + rows) or a line."""
        if as_json:
            self.print_json(data)
        elif columns is not None and rows is not None:
            if rows:
                self.table(columns, rows)
            else:
                self.out.print("(none)")
        elif text is not None:
            self.out.print(text, markup=False)

    # ---- progress ------------------------------------------------------------------------
    @contextmanager
    def progress(self, description: str, total: int | None = None) -> Iterator[Callable[..., None]]:
        """A rich progress bar on stderr. Yields ``update(completed=None, total=None,
        advance=None, description=None)``."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            Progress,
            SpinnerColumn,
            TextColumn,
            TimeElapsedColumn,
        )

        with Progress(
            SpinnerColumn(),
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=Console(file=sys.stderr),
            transient=False,
        ) as bar:
            task = bar.add_task(description, total=total)

            def update(
                completed: int | None = None,
                total: int | None = None,
                advance: int | None = None,
                description: str | None = None,
            ) -> None:
                kwargs: dict[str, Any] = {}
                if completed is not None:
                    kwargs["completed"] = completed
                if total is not None:
                    kwargs["total"] = total
                if advance is not None:
                    kwargs["advance"] = advance
                if description is not None:
                    kwargs["description"] = description
                bar.update(task, **kwargs)

            yield update


def rt(ctx: typer.Context) -> Runtime:
    """The Runtime of this invocation (created by the root callback)."""
    obj = ctx.find_root().obj
    if not isinstance(obj, Runtime):
        obj = Runtime()
        ctx.find_root().obj = obj
    return obj
