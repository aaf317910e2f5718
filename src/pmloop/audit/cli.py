"""`pmloop audit verify|log`: check the hash chain, read the operation log."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

import typer

audit_app = typer.Typer(help="The operation log: verify its hash chain, read it.", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", envvar="PMLOOP_AS", help="Act as this user (default: the first active site admin)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]


def _rt(ctx: typer.Context, as_json: bool = False) -> Any:
    runtime = ctx.find_root().obj
    runtime.set_json(as_json)
    runtime.boot()
    return runtime


def _entry_out(e) -> dict[str, Any]:
    return {
        "seq": e.seq,
        "created_at": e.created_at,
        "actor_id": e.actor_id,
        "actor": e.actor_label,
        "via": e.via,
        "action": e.action,
        "object_type": e.object_type,
        "object_id": e.object_id,
        "object_repr": e.object_repr,
        "product_id": e.product_id,
        "before": e.before,
        "after": e.after,
        "note": e.note,
        "hash": e.hash,
    }


@audit_app.command("verify")
def verify(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Recompute the hash chain of the whole operation log.

    Prints OK with the number of entries, or the first entry that was altered, removed or
    inserted with the reason, and exits 1."""
    r = _rt(ctx, as_json)
    from django.utils.timezone import localtime

    from pmloop.audit import selectors

    system = r.system()
    total = selectors.list_entries(actor=system).count()
    with r.progress("Verifying the operation log", total=total) as update:
        result = selectors.verify_chain(progress=lambda n: update(completed=n))
    data: dict[str, Any] = {
        "ok": result.ok,
        "checked": result.checked,
        "total": total,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
        "entry": None,
    }
    if not result.ok and result.first_bad_seq is not None:
        bad = selectors.list_entries(actor=system).filter(seq=result.first_bad_seq).first()
        data["entry"] = _entry_out(bad) if bad is not None else None
    if as_json:
        r.print_json(data)
    elif result.ok:
        r.out.print(f"OK: {result.checked} entries verified; the operation log is intact.", markup=False)
    else:
        r.out.print(f"FAILED at entry #{result.first_bad_seq}: {result.reason}.", markup=False)
        if data["entry"]:
            e = data["entry"]
            r.out.print(
                f"  #{e['seq']} {localtime(e['created_at']):%Y-%m-%d %H:%M:%S} {e['action']} "
                f"{e['object_type']}:{e['object_id']} '{e['object_repr']}' by {e['actor']} via {e['via']}",
                markup=False,
            )
        r.out.print(f"  {result.checked} entries before it verified.", markup=False)
    if not result.ok:
        raise typer.Exit(1)


def _when(value: str | None, name: str, end: bool = False) -> datetime | None:
    """An ISO date or date-time, in the site's time zone when it names none."""
    if not value:
        return None
    from django.utils import timezone

    from pmloop.core.errors import InvalidInput

    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as exc:
        raise InvalidInput(f"--{name}: use a date like 2025-01-31 or 2025-01-31T09:30.", field=name) from exc
    if len(value) == 10 and end:  # a bare date as --until includes that whole day
        parsed += timedelta(days=1)
    if timezone.is_naive(parsed):
        parsed = timezone.make_aware(parsed)
    return parsed


@audit_app.command("log")
def log(
    ctx: typer.Context,
    product: Annotated[str | None, typer.Option("--product", help="Only this product (code).")] = None,
    action: Annotated[
        str | None, typer.Option("--action", help="An action or prefix, e.g. products.")
    ] = None,
    object_type: Annotated[str | None, typer.Option("--object-type", help="e.g. products.module")] = None,
    object_id: Annotated[str | None, typer.Option("--object-id", help="Together with --object-type.")] = None,
    actor_name: Annotated[str | None, typer.Option("--actor", help="Only what this user did.")] = None,
    since: Annotated[str | None, typer.Option("--since", help="From this date/time (ISO).")] = None,
    until: Annotated[
        str | None, typer.Option("--until", help="Up to this date/time (ISO; a date includes the day).")
    ] = None,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=10000, help="At most this many, newest first.")
    ] = 50,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show operation-log entries the acting user may read, newest first."""
    r = _rt(ctx, as_json)
    from django.utils.timezone import localtime

    from pmloop.audit import selectors

    actor = r.actor(as_user)
    qs = selectors.list_entries(
        actor=actor,
        product_id=r.product(actor, product).pk if product else None,
        object_type=object_type,
        object_id=object_id,
        actor_id=r.user(actor_name).pk if actor_name else None,
        action=action,
        since=_when(since, "since"),
        until=_when(until, "until", end=True),
    )
    entries = [_entry_out(e) for e in qs[:limit]]
    r.emit(
        entries, as_json=as_json, columns=["#", "when", "who", "via", "action", "object"],
        rows=[[e["seq"], f"{localtime(e['created_at']):%Y-%m-%d %H:%M}", e["actor"], e["via"], e["action"],
               f"{e['object_type']}:{e['object_id']} {e['object_repr']}"] for e in entries],
    )  # fmt: skip
