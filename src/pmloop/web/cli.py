"""`pmloop search`: the one search box on the command line (web/search.py holds the rules).

Registered by pmloop.cli.main; Django starts only when the command runs.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

AsOpt = Annotated[
    str | None,
    typer.Option(
        "--as",
        "--as-user",
        envvar="PMLOOP_AS",
        help="Act as this user (default: the first active site admin).",
    ),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]


def _section(section: Any, row) -> dict[str, Any] | None:
    if section.page is None:
        return None
    page = section.page
    return {"items": [row(x) for x in page.items], "count": page.count, "count_capped": page.count_capped}


def search(
    ctx: typer.Context,
    query: Annotated[
        str, typer.Argument(help="Words (Chinese or English, e.g. 权限 or permission) or a key.")
    ],
    product: Annotated[
        str | None,
        typer.Option(
            "--product", "-p", envvar="PMLOOP_PRODUCT", help="Product code (default: every product)."
        ),
    ] = None,
    module: Annotated[int | None, typer.Option("--module", help="Module id.")] = None,
    status: Annotated[
        list[str] | None,
        typer.Option(
            "--status",
            help="Repeatable. Requirement: draft, reviewing, active, changing, closed; pool item: new, "
            "triaged, linked, merged, declined. A kind given none of its own is not searched.",
        ),
    ] = None,
    priority: Annotated[
        int | None, typer.Option("--priority", help="1–4 (pool items: importance 1 critical … 4 low).")
    ] = None,
    owner: Annotated[
        str | None, typer.Option("--owner", help="Owner's user name (requirements only).")
    ] = None,
    limit: Annotated[int, typer.Option("--limit", min=1, max=50, help="Rows per kind.")] = 10,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Search requirements and pool items at once (newest first, up to --limit of each)."""
    runtime = ctx.find_root().obj
    runtime.set_json(as_json)
    runtime.boot()
    from pmloop.core.errors import InvalidInput
    from pmloop.pool.cli import item_out  # the same rows as `pmloop pool list` and `pmloop req list`
    from pmloop.requirements.cli import req_out
    from pmloop.web import search as one_search

    actor = runtime.actor(as_user)
    if not query.strip():
        raise InvalidInput("Give words to search for, e.g. 权限 or permission.", field="query")
    params = one_search.SearchParams(
        q=query.strip()[: one_search.Q_MAX],
        product_id=runtime.product(actor, product).pk if product else None,
        module_id=module,
        status=[s.strip() for raw in status or [] for s in raw.split(",") if s.strip()],
        priority=priority,
        owner=owner or None,
    )
    result = one_search.search(actor, one_search.check(actor, params), page_size=limit)
    data = {
        "q": params.q,
        "requirements": _section(result.requirements, req_out),
        "pool_items": _section(result.pool_items, item_out),
        "notes": [
            {"kind": s.kind, "code": code, "message": message}
            for s in (result.requirements, result.pool_items)
            for code, message in s.notes
        ],
    }
    if as_json:
        runtime.print_json(data)
        return
    for title, section, key, columns, cells in (
        ("Requirements", data["requirements"], "requirements", ["key", "status", "priority", "owner", "module", "title"],
         lambda i: [i["key"], i["status"], f"P{i['priority']}", i["owner"] or "", i["module"] or "", i["title"][:60]]),
        ("Pool items", data["pool_items"], "pool_items", ["key", "status", "importance", "customer", "module", "title"],
         lambda i: [i["key"], i["status"], i["importance"], i["customer"] or "", i["module"] or "", i["title"][:60]]),
    ):  # fmt: skip
        notes = [n["message"] for n in data["notes"] if n["kind"] == key]
        if section is None:
            runtime.out.print(f"{title}: not searched. " + " ".join(notes), markup=False)
            continue
        count = f"{section['count']}+" if section["count_capped"] else str(section["count"])
        runtime.out.print(f"{title} ({count})", markup=False)
        for note in notes:
            runtime.out.print(f"  {note}", markup=False)
        if section["items"]:
            runtime.table(columns, [cells(i) for i in section["items"]])
            if section["count"] > len(section["items"]):
                runtime.note(f"  the newest {len(section['items'])} shown; --limit (up to 50) for more")
        else:
            runtime.out.print("  (none)", markup=False)
        runtime.out.print("", markup=False)
