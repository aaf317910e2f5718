"""The ``pmloop`` command: a thin front over the services.

Each command parses its arguments, calls one service or selector, and prints the result (a
table, a line, or JSON with ``--json``). A refusal from a service (a ``DomainError``) becomes
its message on stderr and the error's exit code: 2 bad input, 3 guard refused, 4 permission
denied, 5 not found, 6 conflict (stale ``--version``). Django starts only when a command needs
it, so ``pmloop --help`` is fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from typer.core import TyperGroup

from pmloop.accounts.cli import members_app, tokens_app, users_app
from pmloop.audit.cli import audit_app
from pmloop.bench.cli import bench_app
from pmloop.cli.runtime import Runtime, rt
from pmloop.core.errors import DomainError
from pmloop.customers.cli import customers_app
from pmloop.deliverables.cli import launch_app  # also adds `release notes|manual`
from pmloop.plans.cli import plan_app, release_app, roadmap_app
from pmloop.pool.cli import pool_app
from pmloop.products.cli import modules_app, products_app
from pmloop.requirements.cli import inbox, requirements_app
from pmloop.web.cli import search

EXIT_CODES_HELP = (
    "Exit codes: 0 ok, 1 failure, 2 bad input, 3 refused by a rule, 4 permission denied, "
    "5 not found, 6 conflict (someone changed it: reload, use the new --version)."
)


def report_error(exc: DomainError, json_mode: bool) -> None:
    if json_mode:
        typer.echo(json.dumps(exc.as_dict(), ensure_ascii=False), err=True)
        return
    typer.echo(f"Error: {exc.message}", err=True)
    for name, message in exc.fields.items():
        if message != exc.message:
            typer.echo(f"  {name}: {message}", err=True)
    if exc.missing:
        typer.echo("  missing: " + ", ".join(str(m) for m in exc.missing), err=True)


def _database_not_ready(exc: Exception) -> bool:
    text = str(exc).lower()
    return any(s in text for s in ("no such table", "does not exist", "unable to open database"))


class PmloopGroup(TyperGroup):
    """The root group: turns a service's refusal into a message and an exit code."""

    def invoke(self, ctx: typer.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            obj = ctx.obj if isinstance(ctx.obj, Runtime) else None
            report_error(exc, json_mode=bool(obj and obj.json_mode))
            ctx.exit(exc.exit_code)
        except Exception as exc:
            from django.db import DatabaseError

            if isinstance(exc, DatabaseError):
                hint = (
                    " Run `pmloop init` to create the database."
                    if _database_not_ready(exc)
                    else " Check DATABASE_URL / PMLOOP_HOME."
                )
                typer.echo(f"Error: database: {exc}.{hint}", err=True)
                ctx.exit(1)
            raise


app = typer.Typer(
    name="pmloop",
    cls=PmloopGroup,
    help="pmloop — the product owner's whole loop, self-hosted.\n\n" + EXIT_CODES_HELP,
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_show_locals=False,
    rich_markup_mode=None,
    context_settings={"help_option_names": ["-h", "--help"]},
)
app.add_typer(users_app, name="users")
app.add_typer(members_app, name="members")
app.add_typer(tokens_app, name="tokens")
app.add_typer(products_app, name="products")
app.add_typer(modules_app, name="modules")
app.add_typer(customers_app, name="customers")
app.add_typer(pool_app, name="pool")
app.add_typer(audit_app, name="audit")
app.add_typer(plan_app, name="plan")
app.add_typer(release_app, name="release")
app.add_typer(roadmap_app, name="roadmap")
app.add_typer(launch_app, name="launch")
app.add_typer(requirements_app, name="requirements")
app.add_typer(bench_app, name="bench")
app.command("inbox")(inbox)
app.command("search")(search)


def _version(value: bool) -> None:
    if value:
        import pmloop

        typer.echo(f"pmloop {pmloop.__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version and exit.")
    ] = False,
) -> None:
    """pmloop — the product owner's whole loop, self-hosted."""
    if not isinstance(ctx.obj, Runtime):
        ctx.obj = Runtime()


JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]


# ---- set-up and serving -------------------------------------------------------------------
def _home() -> Path:
    from django.conf import settings

    return Path(settings.PMLOOP_HOME)


def _migrate(r: Runtime) -> int:
    """Make the data directories, then apply pending migrations (with a progress bar)."""
    from django.conf import settings

    from pmloop.cli import db

    r.boot()
    for folder in (settings.PMLOOP_HOME, settings.STATIC_ROOT, settings.MEDIA_ROOT):
        Path(folder).mkdir(parents=True, exist_ok=True)
    return db.migrate(r.progress)


@app.command()
def init(
    ctx: typer.Context,
    admin_user: Annotated[
        str | None, typer.Option("--admin-user", help="Create this first site admin (if absent).")
    ] = None,
    admin_password: Annotated[
        str | None, typer.Option("--admin-password", help="Its password (prompted twice if omitted).")
    ] = None,
    admin_email: Annotated[str, typer.Option("--admin-email", help="Its e-mail address.")] = "",
    no_input: Annotated[bool, typer.Option("--no-input", help="Never prompt.")] = False,
) -> None:
    """Create the data directory (PMLOOP_HOME), apply migrations and optionally the first admin."""
    r = rt(ctx)
    r.boot()
    from pmloop.cli import db

    n = _migrate(r)
    r.say(f"Data directory: {_home()}")
    r.say(f"Database: {db.describe_database()} ({n} migrations applied)" if n else
          f"Database: {db.describe_database()} (up to date)")  # fmt: skip
    interactive = sys.stdin.isatty() and not no_input
    if (
        admin_user is None
        and interactive
        and r.first_admin() is None
        and typer.confirm("There is no site admin yet. Create one now?", default=True)
    ):
        admin_user = typer.prompt("Admin user name", default="admin")
    if admin_user is None:
        if r.first_admin() is None:
            r.note("No site admin yet: create one with `pmloop createuser NAME --admin`.")
        return
    if r.find_user(admin_user) is not None:
        r.say(f"User '{admin_user}' already exists; left unchanged.")
        return
    if admin_password is None:
        if no_input:
            raise typer.BadParameter(
                "--admin-password is required with --no-input", param_hint="--admin-password"
            )
        admin_password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    from pmloop.accounts import services as accounts_services

    user = accounts_services.create_user(
        actor=r.system(), username=admin_user, password=admin_password, email=admin_email, is_admin=True
    )
    r.say(f"Created site admin '{user.username}'.")


def _serve(host: str, port: int, workers: int, threads: int) -> None:
    from granian import Granian
    from granian.constants import Interfaces

    from pmloop.cli import db

    db.close_connections()  # workers open their own
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "pmloop.config.settings")
    Granian(
        target="pmloop.config.wsgi:application",
        interface=Interfaces.WSGI,
        address=host,
        port=port,
        workers=workers,
        blocking_threads=threads,
        # Not tied to the threads: granian counts *connections* against backpressure, so with
        # backpressure = threads an idle keep-alive connection (a browser keeps up to six per
        # site) held a slot and the next visitor waited until one closed. granian's default
        # (backlog // workers) leaves the threads alone to bound the work in progress.
        runtime_threads=1,
        websockets=False,
        log_access=False,
    ).serve()


HostOpt = Annotated[str, typer.Option("--host", help="Address to listen on (0.0.0.0 for every interface).")]
PortOpt = Annotated[int, typer.Option("--port", min=1, max=65535, help="TCP port.")]
WorkersOpt = Annotated[int, typer.Option("--workers", min=1, max=64, help="Worker processes.")]
ThreadsOpt = Annotated[
    int,
    typer.Option("--threads", min=1, max=256, help="Request threads per worker (granian blocking threads)."),
]


@app.command()
def serve(
    ctx: typer.Context,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: WorkersOpt = 2,
    threads: ThreadsOpt = 4,
    no_migrate: Annotated[
        bool, typer.Option("--no-migrate", help="Do not apply pending migrations.")
    ] = False,
) -> None:
    """Serve pmloop with granian (WSGI) after applying pending migrations."""
    r = rt(ctx)
    r.boot()
    from pmloop.cli import db

    if not no_migrate:
        _migrate(r)
    r.note(
        f"pmloop serving http://{host}:{port} — {db.describe_database()}, {workers} workers. Ctrl-C stops."
    )
    _serve(host, port, workers, threads)


def _credentials_file() -> Path:
    return _home() / "demo-login.txt"


@app.command()
def demo(
    ctx: typer.Context,
    host: HostOpt = "127.0.0.1",
    port: PortOpt = 8000,
    workers: WorkersOpt = 2,
    threads: ThreadsOpt = 4,
    no_serve: Annotated[
        bool, typer.Option("--no-serve", help="Only migrate and seed; do not serve.")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Migrate, seed the demo workspace (only into an empty database), print the login, serve."""
    r = rt(ctx)
    r.set_json(as_json)
    r.boot()
    from pmloop.demo import seed

    _migrate(r)
    url = f"http://{host}:{port}"
    info: dict[str, Any] | None = None
    if seed.is_empty():
        with r.progress("Seeding the demo workspace", total=None) as update:
            result = seed.seed_demo(progress=lambda done, total, msg: update(completed=done, total=total,
                                                                             description=msg))  # fmt: skip
        info = {
            "url": url,
            "admin": {"username": result.admin_username, "password": result.admin_password},
            "users": {"usernames": list(result.users), "password": result.user_password},
            "products": result.products,
            "counts": result.counts,
            "seeded": True,
        }
        lines = [
            f"URL:      {url}",
            f"Admin:    {result.admin_username} / {result.admin_password}",
            f"Users:    {', '.join(f'{u} ({n})' for u, n in result.users.items())}",
            f"          all with password {result.user_password}",
        ]
        creds = _credentials_file()
        fd = os.open(creds, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write("pmloop demo login\n" + "\n".join(lines) + "\n")
        message = "Demo workspace ready.\n" + "\n".join(lines) + f"\n(The login is kept in {creds}.)"
    else:
        creds = _credentials_file()
        info = {"url": url, "seeded": False}
        if creds.exists():
            message = "The database already has data; not seeding again.\n" + creds.read_text(
                encoding="utf-8"
            )
        else:
            message = (
                f"The database already has data; not seeding the demo. Log in at {url} with your account."
            )
    if as_json:
        r.print_json(info)
    else:
        r.out.print(message, markup=False)
    if not no_serve:
        r.note(f"Serving {url} — Ctrl-C stops.")
        _serve(host, port, workers, threads)


@app.command()
def createuser(
    ctx: typer.Context,
    username: Annotated[str, typer.Argument(help="Login name.")],
    email: Annotated[str, typer.Option("--email", help="E-mail address.")] = "",
    display_name: Annotated[
        str, typer.Option("--display-name", help="Name shown to others, e.g. 王敏.")
    ] = "",
    admin: Annotated[bool, typer.Option("--admin", help="Make a site admin.")] = False,
    password: Annotated[
        str | None, typer.Option("--password", help="Password (prompted twice when omitted).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a user (acting as the system: no admin needs to exist yet)."""
    r = rt(ctx)
    r.set_json(as_json)
    r.boot()
    from pmloop.accounts import services as accounts_services

    if password is None:
        password = typer.prompt("Password", hide_input=True, confirmation_prompt=True)
    user = accounts_services.create_user(
        actor=r.system(), username=username, password=password, email=email,
        display_name=display_name, is_admin=admin,
    )  # fmt: skip
    data = {"id": user.pk, "username": user.username, "display_name": user.display_name, "admin": admin}
    r.emit(
        data,
        as_json=as_json,
        text=f"Created {'site admin' if admin else 'user'} '{user.username}' (id {user.pk}).",
    )


# ---- backup and restore ---------------------------------------------------------------------
@app.command()
def backup(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="Archive to write (a .tar), e.g. pmloop-2025-01-31.tar.")],
    force: Annotated[bool, typer.Option("--force", help="Overwrite FILE if it exists.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write a consistent snapshot of the whole database to FILE, while the server runs."""
    r = rt(ctx)
    r.set_json(as_json)
    r.boot()
    from pmloop.cli import backup as backups

    backups.check_target(file, force=force)
    with r.progress("Backing up", total=None) as update:
        manifest = backups.create_backup(file, progress=update, force=force)
    r.emit(manifest, as_json=as_json, text=f"Backup written to {file}: {backups.summary(manifest)}.")


@app.command()
def restore(
    ctx: typer.Context,
    file: Annotated[Path, typer.Argument(help="A backup archive written by `pmloop backup`.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Do not ask for confirmation.")] = False,
    no_safety_backup: Annotated[
        bool,
        typer.Option(
            "--no-safety-backup", help="Do not save the current database to PMLOOP_HOME/backups first."
        ),
    ] = False,
    no_verify: Annotated[bool, typer.Option("--no-verify", help="Skip verifying the operation log.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Replace the whole database with the backup in FILE (same database kind only).

    Stop the server first: a restore replaces everything it would be writing to."""
    r = rt(ctx)
    r.set_json(as_json)
    r.boot()
    from pmloop.audit import selectors as audit_selectors
    from pmloop.cli import backup as backups
    from pmloop.cli import db
    from pmloop.core.errors import InvalidInput

    manifest = backups.read_manifest(file)
    backups.check_restorable(manifest, file)
    if not yes:
        if not sys.stdin.isatty():
            raise InvalidInput("Restore replaces the whole database: confirm with --yes.", code="confirm")
        r.note(f"{file}: {backups.summary(manifest)}")
        typer.confirm(f"Replace everything in {db.describe_database()} with this backup?", abort=True)
    with r.progress("Restoring", total=None) as update:
        result = backups.restore_backup(
            file, progress=update, safety_dir=None if no_safety_backup else _home()
        )
    migrated = _migrate(r)
    verified = None
    if not no_verify:
        total = audit_selectors.list_entries(actor=r.system()).count()
        with r.progress("Verifying the operation log", total=total) as update:
            check = audit_selectors.verify_chain(progress=lambda n: update(completed=n))
        verified = {"ok": check.ok, "checked": check.checked, "first_bad_seq": check.first_bad_seq,
                    "reason": check.reason}  # fmt: skip
    data = {
        "restored": str(file),
        "backup": manifest,
        "safety_backup": result["safety_backup"],
        "migrations_applied": migrated,
        "audit": verified,
    }
    if as_json:
        r.print_json(data)
    else:
        r.say(f"Restored {file}: {backups.summary(manifest)}. Row counts match.")
        if result["safety_backup"]:
            r.say(f"The database as it was before is saved in {result['safety_backup']}.")
        if migrated:
            r.say(f"Applied {migrated} migrations the backup predates.")
        if verified is not None:
            r.say(f"Operation log: {verified['checked']} entries verified." if verified["ok"] else
                  f"Operation log BROKEN: {verified['reason']}")  # fmt: skip
    if verified is not None and not verified["ok"]:
        raise typer.Exit(1)


# ---- Django management ----------------------------------------------------------------------
@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
)
def manage(
    ctx: typer.Context,
    args: Annotated[
        list[str] | None, typer.Argument(help="A Django management command and its arguments.")
    ] = None,
) -> None:
    """Run a Django management command: `pmloop manage check`, `pmloop manage help migrate`."""
    r = rt(ctx)
    r.boot()
    from django.core.management import ManagementUtility

    argv = ["pmloop manage", *(args or []), *ctx.args]
    if len(argv) == 1:
        argv.append("help")
    try:
        ManagementUtility(argv).execute()
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if code:
            raise typer.Exit(code) from None


def run() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":
    run()
