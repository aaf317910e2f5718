"""`pmloop pool`: parse, call one service or selector, print.

Items are named as people say them: ``P12`` (with ``--product``) or ``IMSDK-P12``. The
shared machinery (Django start-up, ``--as``, output) comes from the Runtime the root command
puts in ``ctx.obj``; this module imports no front.
"""

from __future__ import annotations

import csv
import re
from pathlib import Path
from typing import Annotated, Any

import typer

pool_app = typer.Typer(
    help="The requirement pool (需求池): file, list, triage, decline, merge, import.", no_args_is_help=True
)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", envvar="PMLOOP_AS", help="Act as this user (default: the first active site admin)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
ProductOpt = Annotated[
    str | None, typer.Option("--product", "-p", envvar="PMLOOP_PRODUCT", help="Product code, e.g. IMSDK.")
]
ItemArg = Annotated[str, typer.Argument(help="The item: P12 (with --product) or IMSDK-P12.")]
ItemsArg = Annotated[list[str], typer.Argument(help="Items: P12 P13 … (with --product) or IMSDK-P12 …")]
VersionOpt = Annotated[
    int | None, typer.Option("--version", help="The version you read; a stale one is refused (exit 6).")
]
CSV_COLUMNS = ("text", "source", "customer", "module", "importance", "tags", "title")
_REF = re.compile(r"^\s*(?:([A-Za-z][A-Za-z0-9_-]*)-)?[Pp#]?(\d+)\s*$")


def _rt(ctx: typer.Context, as_json: bool = False) -> Any:
    runtime = ctx.find_root().obj
    runtime.set_json(as_json)
    runtime.boot()
    return runtime


def _need_product(r, actor, product: str | None):
    from pmloop.core.errors import InvalidInput

    if not product:
        raise InvalidInput("Say which product with --product CODE (or PMLOOP_PRODUCT).", field="product")
    return r.product(actor, product)


def item_out(item) -> dict[str, Any]:
    return {
        "id": item.pk,
        "key": item.key,
        "product": item.product.code,
        "number": item.number,
        "status": item.status,
        "title": item.title,
        "text": item.text,
        "source": item.source.code,
        "customer": item.customer.name if item.customer_id else None,
        "module": item.module.name if item.module_id else None,
        "importance": item.importance,
        "tags": item.tag_list,
        "voices": item.voices,
        "merged_into": item.merged_into_id,
        "decline_reason": item.decline_reason,
        "reporter": item.reporter.username if item.reporter_id else None,
        "version": item.version,
        "created_at": item.created_at,
        "updated_at": item.updated_at,
    }


def resolve_item(r, actor, ref: str, product: str | None):
    """An item from 'IMSDK-P12', or 'P12'/'12' with --product."""
    from pmloop.core.errors import InvalidInput
    from pmloop.pool import selectors

    match = _REF.match(ref or "")
    if not match:
        raise InvalidInput(f"'{ref}' is not an item number; write P12 or IMSDK-P12.", field="item")
    code, number = match.groups()
    p = r.product(actor, code) if code else _need_product(r, actor, product)
    return selectors.get_item_by_key(actor=actor, product_id=p.pk, number=int(number))


def _print_rows(r, items: list[dict[str, Any]], as_json: bool) -> None:
    r.emit(
        items, as_json=as_json,
        columns=["key", "status", "importance", "voices", "source", "customer", "title"],
        rows=[[i["key"], i["status"], i["importance"], i["voices"], i["source"], i["customer"] or "",
               i["title"][:60]] for i in items],
    )  # fmt: skip


# ---- reading ------------------------------------------------------------------------------
@pool_app.command("list")
def pool_list(
    ctx: typer.Context,
    product: ProductOpt = None,
    q: Annotated[str, typer.Option("--q", help="Words from the title or text, or P12.")] = "",
    status: Annotated[
        list[str] | None,
        typer.Option("--status", help="new, triaged, linked, merged, declined (repeatable)."),
    ] = None,
    source: Annotated[str | None, typer.Option("--source", help="Source code, e.g. customer.")] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer id or name.")] = None,
    importance: Annotated[
        str | None, typer.Option("--importance", help="critical, high, medium, low.")
    ] = None,
    tag: Annotated[str | None, typer.Option("--tag", help="One tag.")] = None,
    sort: Annotated[
        str, typer.Option("--sort", help="-created, created, -voices, -importance, -number.")
    ] = "-created",
    limit: Annotated[int, typer.Option("--limit", min=1, max=200, help="At most this many rows.")] = 50,
    page: Annotated[int, typer.Option("--page", min=1, help="Page number.")] = 1,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List pool items (all statuses unless --status)."""
    r = _rt(ctx, as_json)
    import pydantic

    from pmloop.core.errors import InvalidInput
    from pmloop.pool import selectors
    from pmloop.pool.schemas import PoolItemFilters

    actor = r.actor(as_user)
    p = r.product(actor, product) if product else None
    customer_id = None
    if customer:
        from pmloop.customers.cli import resolve_customer

        customer_id = resolve_customer(actor, p or _need_product(r, actor, None), customer).pk
    try:
        filters = PoolItemFilters(
            product=p.pk if p else None, q=q, status=status or [], source=source, customer=customer_id,
            importance=importance, tag=tag, sort=sort, page=page, page_size=limit,
        )  # fmt: skip
    except pydantic.ValidationError as exc:
        err = exc.errors()[0]
        name = str(err["loc"][0]) if err.get("loc") else "filter"
        raise InvalidInput(f"--{name}: {err.get('msg', 'invalid')}", field=name) from exc
    result = selectors.list_page(actor=actor, filters=filters)
    items = [item_out(i) for i in result.items]
    if as_json:
        r.print_json({"items": items, "count": result.count, "page": result.page, "pages": result.pages})
        return
    _print_rows(r, items, as_json=False)
    if result.pages > 1:
        r.note(f"page {result.page} of {result.pages} ({result.count} items); --page N for more")


@pool_app.command("show")
def pool_show(
    ctx: typer.Context,
    item: ItemArg,
    product: ProductOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show an item, its voices and what was merged into it."""
    r = _rt(ctx, as_json)
    from pmloop.pool import selectors

    actor = r.actor(as_user)
    it = resolve_item(r, actor, item, product)
    voices = selectors.voices_of(actor=actor, item=it)
    data = item_out(it)
    data["merged_items"] = [m.key for m in voices.merged]
    data["customers"] = [c.name for c in voices.customers]
    data["requirement_ids"] = selectors.requirement_ids_of(actor=actor, item=it)
    if as_json:
        r.print_json(data)
        return
    r.out.print(f"{it.key}  {it.title}  [{it.status}]  version {it.version}", markup=False)
    r.out.print(
        f"source {data['source']} · customer {data['customer'] or '—'} · module {data['module'] or '—'} · "
        f"importance {it.importance} · voices {it.voices}"
        + (f" · tags {', '.join(it.tag_list)}" if it.tags else ""),
        markup=False,
    )
    if it.decline_reason:
        r.out.print(f"declined: {it.decline_reason}", markup=False)
    r.out.print("", markup=False)
    r.out.print(it.text, markup=False)
    if voices.merged:
        r.out.print(f"\nMerged in: {', '.join(data['merged_items'])}", markup=False)
    if voices.customers:
        r.out.print(f"Customers: {', '.join(data['customers'])}", markup=False)


# ---- writing ------------------------------------------------------------------------------
@pool_app.command("add")
def pool_add(
    ctx: typer.Context,
    text: Annotated[str, typer.Argument(help="What was asked, in the asker's words ('-' reads stdin).")],
    product: ProductOpt = None,
    source: Annotated[
        str | None, typer.Option("--source", help="Source code; default from your role.")
    ] = None,
    customer: Annotated[str | None, typer.Option("--customer", help="Customer id or name.")] = None,
    module: Annotated[
        str | None, typer.Option("--module", help="Module guess: id, name or path A/B.")
    ] = None,
    importance: Annotated[str, typer.Option("--importance", help="critical, high, medium, low.")] = "medium",
    tags: Annotated[str, typer.Option("--tags", help="Comma-separated, e.g. 'api,群聊'.")] = "",
    title: Annotated[str, typer.Option("--title", help="Short line; default: the first sentence.")] = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """File a pool item."""
    r = _rt(ctx, as_json)
    import sys

    from pmloop.customers.cli import resolve_customer
    from pmloop.pool import selectors, services

    actor = r.actor(as_user)
    p = _need_product(r, actor, product)
    if text == "-":
        text = sys.stdin.read()
    module_id = None
    if module:
        module_id = (
            int(module)
            if module.isdigit()
            else selectors.resolve_module(actor=actor, product_id=p.pk, ref=module)
        )
    it = services.create_item(
        actor=actor, product_id=p.pk, text=text, source=source, title=title, importance=importance, tags=tags,
        customer_id=resolve_customer(actor, p, customer).pk if customer else None, module_id=module_id,
    )  # fmt: skip
    r.emit(item_out(it), as_json=as_json, text=f"Filed {it.key}: {it.title}")


def _done(r, items: list, as_json: bool, verb: str) -> None:
    if as_json:
        r.print_json([item_out(i) for i in items])
    else:
        r.out.print(f"{verb} {', '.join(i.key for i in items)}.", markup=False)


@pool_app.command("triage")
def pool_triage(
    ctx: typer.Context,
    items: ItemsArg,
    product: ProductOpt = None,
    importance: Annotated[
        str | None, typer.Option("--importance", help="Set: critical, high, medium, low.")
    ] = None,
    module: Annotated[
        str | None, typer.Option("--module", help="Set the module guess (id, name or path).")
    ] = None,
    tags: Annotated[str | None, typer.Option("--tags", help="Replace the tags (comma-separated).")] = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Triage items (new → triaged): all of them or none."""
    r = _rt(ctx, as_json)
    from pmloop.pool import selectors, services

    actor = r.actor(as_user)
    found = [resolve_item(r, actor, ref, product) for ref in items]
    extra: dict[str, Any] = {"importance": importance, "tags": tags}
    if module:
        extra["module_id"] = (
            int(module)
            if module.isdigit()
            else selectors.resolve_module(actor=actor, product_id=found[0].product_id, ref=module)
        )
    done = services.bulk_triage(actor=actor, item_ids=[i.pk for i in found], **extra)
    _done(r, done, as_json, "Triaged")


@pool_app.command("decline")
def pool_decline(
    ctx: typer.Context,
    items: ItemsArg,
    reason: Annotated[
        str, typer.Option("--reason", help="Required: why (the people who asked read it).")
    ] = "",
    product: ProductOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Decline items with a reason: all of them or none."""
    r = _rt(ctx, as_json)
    from pmloop.pool import services

    actor = r.actor(as_user)
    found = [resolve_item(r, actor, ref, product) for ref in items]
    done = services.bulk_decline(actor=actor, item_ids=[i.pk for i in found], reason=reason)
    _done(r, done, as_json, "Declined")


@pool_app.command("merge")
def pool_merge(
    ctx: typer.Context,
    items: ItemsArg,
    into: Annotated[str, typer.Option("--into", help="The item they duplicate, e.g. P3.")],
    product: ProductOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Merge duplicates into one item (its voices add up): all of them or none."""
    r = _rt(ctx, as_json)
    from pmloop.pool import services

    actor = r.actor(as_user)
    found = [resolve_item(r, actor, ref, product) for ref in items]
    target = resolve_item(r, actor, into, product)
    target = services.bulk_merge(actor=actor, item_ids=[i.pk for i in found], target_id=target.pk)
    if as_json:
        r.print_json(item_out(target))
    else:
        r.out.print(
            f"Merged {', '.join(i.key for i in found if i.pk != target.pk)} into {target.key} "
            f"(now {target.voices} voices).",
            markup=False,
        )


@pool_app.command("reopen")
def pool_reopen(
    ctx: typer.Context,
    item: ItemArg,
    product: ProductOpt = None,
    version: VersionOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reopen a declined item (declined → triaged)."""
    r = _rt(ctx, as_json)
    from pmloop.pool import services

    actor = r.actor(as_user)
    it = resolve_item(r, actor, item, product)
    it = services.reopen_item(actor=actor, item_id=it.pk, expected_version=version)
    r.emit(item_out(it), as_json=as_json, text=f"Reopened {it.key} (now triaged).")


# ---- import -------------------------------------------------------------------------------
def read_csv(path: Path) -> list[dict[str, Any]]:
    """Rows of a CSV file (UTF-8, with or without BOM) with their line numbers."""
    from pmloop.core.errors import InvalidInput

    try:
        handle = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise InvalidInput(f"Cannot read {path}: {exc.strerror}.", field="file") from exc
    with handle:
        try:
            reader = csv.DictReader(handle)
            header = [h.strip().lower() for h in (reader.fieldnames or [])]
            if "text" not in header:
                raise InvalidInput(
                    f"The first line must name the columns and include 'text'; allowed: {', '.join(CSV_COLUMNS)}.",
                    field="file",
                )
            unknown = [h for h in header if h and h not in CSV_COLUMNS]
            if unknown:
                raise InvalidInput(
                    f"Unknown column(s) {', '.join(unknown)}; allowed: {', '.join(CSV_COLUMNS)}.",
                    field="file",
                )
            reader.fieldnames = header
            rows = []
            for row in reader:
                line = reader.line_num
                if not any((v or "").strip() for k, v in row.items() if k):
                    continue
                rows.append({"line": line, **{k: v for k, v in row.items() if k}})
            return rows
        except UnicodeDecodeError as exc:
            raise InvalidInput(f"{path} is not UTF-8 text; save it as CSV UTF-8.", field="file") from exc
        except csv.Error as exc:
            raise InvalidInput(f"{path} is not valid CSV: {exc}.", field="file") from exc


@pool_app.command("import-csv")
def pool_import_csv(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="CSV with columns text, source, customer, module, importance, tags.")
    ],
    product: ProductOpt = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Check every row; write nothing.")] = False,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Import pool items from CSV in one transaction: one bad row and nothing is written.

    customer and module are names (a module also 'Parent/Child'); importance is critical,
    high, medium, low (or 紧急/高/中/低); tags are comma-separated inside the cell."""
    r = _rt(ctx, as_json)
    from pmloop.core.errors import InvalidInput
    from pmloop.pool import services

    actor = r.actor(as_user)
    p = _need_product(r, actor, product)
    rows = read_csv(file)
    try:
        result = services.import_items(actor=actor, product_id=p.pk, rows=rows, dry_run=dry_run)
    except InvalidInput as exc:
        if exc.code == "import_failed":
            raise InvalidInput(
                exc.message, code=exc.code, field=exc.field,
                missing=[f"line {e['line']}" + (f" ({e['field']})" if e["field"] else "") + f": {e['message']}"
                         for e in exc.missing],
            ) from exc  # fmt: skip
        raise
    data = {
        "dry_run": dry_run,
        "rows": len(rows),
        "created": [] if dry_run else [i.key for i in result.created],
    }
    if as_json:
        r.print_json(data)
    elif dry_run:
        r.out.print(f"Checked {len(rows)} rows: all valid. Nothing was written (dry run).", markup=False)
    else:
        keys = [i.key for i in result.created]
        span = f"{keys[0]}–{keys[-1]}" if len(keys) > 1 else keys[0]
        r.out.print(f"Imported {len(keys)} items into {p.code}: {span}.", markup=False)
