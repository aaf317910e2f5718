"""`pmloop plan|release|roadmap`: parse, call one service or selector, print.

Plans are named by id (see `pmloop plan list IMSDK`), releases by version name (``v3.2``, with
``--product`` when several products use it), requirements by key (``IMSDK-42``). Changes name
the ``--version`` they read; a stale one exits 6. The release documents (``pmloop release notes``,
``manual``) are added by ``pmloop.deliverables.cli``.
"""

from __future__ import annotations

import sys
from datetime import date
from pathlib import Path
from typing import Annotated, Any

import typer

plan_app = typer.Typer(
    help="Product plans (产品计划): dates, capacity, milestones, requirements.", no_args_is_help=True
)
release_app = typer.Typer(
    help="Releases (发布): what a version ships; release it; its documents.", no_args_is_help=True
)
roadmap_app = typer.Typer(help="The roadmap: export it, or print now / next / later.", no_args_is_help=True)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", envvar="PMLOOP_AS", help="Act as this user (default: the first active site admin)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
VersionOpt = Annotated[
    int, typer.Option("--version", help="The version you read (from `show`); a stale one is refused.")
]
ProductArg = Annotated[str, typer.Argument(help="Product code, e.g. IMSDK.")]
ProductOpt = Annotated[
    str | None, typer.Option("--product", help="Product code, when several use the version name.")
]
PlanArg = Annotated[int, typer.Argument(help="Plan id (see `pmloop plan list PRODUCT`).")]
VersionNameArg = Annotated[str, typer.Argument(help="Version name, e.g. v3.2.")]
KeysArg = Annotated[list[str], typer.Argument(help="Requirement keys, e.g. IMSDK-12 IMSDK-15.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write ('-' for standard output).")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Language of the document: zh-hans or en.")]


def rt(ctx: typer.Context, as_json: bool = False) -> Any:
    runtime = ctx.find_root().obj
    runtime.set_json(as_json)
    runtime.boot()
    return runtime


def parse_date(value: str | None, field: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        from pmloop.core.errors import InvalidInput

        raise InvalidInput(f"--{field.replace('_', '-')}: give a date like 2026-10-01.", field=field) from exc


def requirement_ids(actor, keys: list[str]) -> list[int]:
    from pmloop.requirements import selectors as req_selectors

    return [req_selectors.get_by_key(actor=actor, key=k).pk for k in keys]


def language(lang: str | None):
    from contextlib import nullcontext

    from django.utils import translation

    if not lang:
        return nullcontext()
    if lang.lower() not in ("zh-hans", "en"):
        from pmloop.core.errors import InvalidInput

        raise InvalidInput("--lang must be zh-hans or en.", field="lang")
    return translation.override(lang.lower())


def write_output(
    r, content: bytes, default_name: str, output: Path | None, force: bool, as_json: bool
) -> None:
    """Write to ``output`` (default: ``default_name`` here); '-' writes to standard output."""
    if output is not None and str(output) == "-":
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    path = output or Path(default_name)
    if path.exists() and not force:
        from pmloop.core.errors import InvalidInput

        raise InvalidInput(f"{path} exists; pass --force to overwrite it.", field="output")
    path.write_bytes(content)
    r.emit({"file": str(path), "bytes": len(content)}, as_json=as_json,
           text=f"Wrote {path} ({len(content):,} bytes).")  # fmt: skip


def _plan_out(p) -> dict[str, Any]:
    return {"id": p.pk, "title": p.title, "parent_id": p.parent_id, "start_date": p.start_date, "end_date": p.end_date,
            "capacity": p.capacity, "owner": p.owner.username, "version": p.version}  # fmt: skip


def _summary_out(s) -> dict[str, Any]:
    return {**_plan_out(s.plan), "load": s.load, "over_capacity": s.over_capacity, "unestimated": s.unestimated,
            "stage_counts": s.stage_counts,
            "milestones": [{"id": m.pk, "name": m.name, "date": m.date, "status": m.status, "version": m.version}
                           for m in s.milestones],
            "items": [{"key": i.requirement.key, "title": i.requirement.title, "stage": i.requirement.stage,
                       "estimate": i.requirement.estimate, "plan_id": i.plan_id,
                       "change_unconfirmed": i.unconfirmed_change_id is not None} for i in s.all_items]}  # fmt: skip


# ---- plans ------------------------------------------------------------------------------------
@plan_app.command("list")
def plan_list(
    ctx: typer.Context, product: ProductArg, as_user: AsOpt = None, as_json: JsonOpt = False
) -> None:
    """List a product's plans."""
    r = rt(ctx, as_json)
    from pmloop.plans import selectors

    actor = r.actor(as_user)
    items = [{**_plan_out(p), "requirements": p.item_count}
             for p in selectors.list_plans(actor=actor, product_id=r.product(actor, product).pk)]  # fmt: skip
    r.emit(items, as_json=as_json, columns=["id", "title", "start", "end", "capacity", "reqs", "version"],
           rows=[[p["id"], p["title"], p["start_date"], p["end_date"], p["capacity"] or "", p["requirements"],
                  p["version"]] for p in items])  # fmt: skip


@plan_app.command("create")
def plan_create(
    ctx: typer.Context, product: ProductArg, title: Annotated[str, typer.Argument(help="e.g. '2026 Q4'.")],
    start: Annotated[str, typer.Option("--start", help="First day, e.g. 2026-10-01.")],
    end: Annotated[str, typer.Option("--end", help="Last day, e.g. 2026-12-31.")],
    capacity: Annotated[float | None, typer.Option("--capacity", help="Person-days.")] = None,
    parent: Annotated[int | None, typer.Option("--parent", help="The plan id it lies within (a sprint's quarter).")] = None,
    description: Annotated[str, typer.Option("--description", help="The plan's goal.")] = "",
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Create a plan (or, with --parent, a sub-plan)."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    actor = r.actor(as_user)
    p = services.create_plan(actor=actor, product_id=r.product(actor, product).pk, title=title,
                             start_date=parse_date(start, "start_date"), end_date=parse_date(end, "end_date"),
                             capacity=capacity, parent_id=parent, description=description)  # fmt: skip
    r.emit(
        _plan_out(p),
        as_json=as_json,
        text=f"Created plan {p.pk} '{p.title}' ({p.start_date} – {p.end_date}).",
    )


@plan_app.command("show")
def plan_show(ctx: typer.Context, plan_id: PlanArg, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:
    """A plan: requirements, milestones, capacity against estimates."""
    r = rt(ctx, as_json)
    from pmloop.plans import selectors

    s = selectors.plan_summary(actor=r.actor(as_user), plan_id=plan_id)
    data = _summary_out(s)
    if as_json:
        r.print_json(data)
        return
    cap = (
        f"{s.load} / {s.capacity} person-days"
        if s.capacity is not None
        else f"{s.load} person-days (no capacity)"
    )
    r.say(f"{s.plan.title} ({s.plan.start_date} – {s.plan.end_date}), version {s.plan.version}: {cap}")
    if s.over_capacity:
        r.say(f"OVER CAPACITY by {s.over_by} person-days.")
    r.table(["key", "title", "stage", "estimate", "flag"],
            [[i["key"], i["title"], i["stage"], i["estimate"] or "", "change unconfirmed" if i["change_unconfirmed"] else ""]
             for i in data["items"]])  # fmt: skip
    for m in data["milestones"]:
        r.say(f"milestone {m['id']}: {m['date']} {m['name']} ({m['status']})")


@plan_app.command("add")
def plan_add(
    ctx: typer.Context, plan_id: PlanArg, keys: KeysArg, as_user: AsOpt = None, as_json: JsonOpt = False
) -> None:
    """Put requirements in a plan (their stage moves to 'planned')."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    actor = r.actor(as_user)
    items = services.add_to_plan(actor=actor, plan_id=plan_id, requirement_ids=requirement_ids(actor, keys))
    r.emit({"planned": [i.requirement.key for i in items]}, as_json=as_json,
           text=f"Planned {', '.join(i.requirement.key for i in items)}.")  # fmt: skip


@plan_app.command("remove")
def plan_remove(ctx: typer.Context, plan_id: PlanArg, key: Annotated[str, typer.Argument(help="Requirement key.")],
                as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Take a requirement out of a plan."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    actor = r.actor(as_user)
    services.remove_from_plan(actor=actor, plan_id=plan_id, requirement_id=requirement_ids(actor, [key])[0])
    r.emit({"removed": key}, as_json=as_json, text=f"Took {key} out of plan {plan_id}.")


@plan_app.command("move")
def plan_move(ctx: typer.Context, key: Annotated[str, typer.Argument(help="Requirement key.")],
              to: Annotated[int, typer.Option("--to", help="The plan id to move it to.")],
              as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Move a planned requirement to another plan (its history stays)."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    actor = r.actor(as_user)
    item = services.move_plan_item(
        actor=actor, requirement_id=requirement_ids(actor, [key])[0], to_plan_id=to
    )
    r.emit(
        {"key": key, "plan_id": item.plan_id}, as_json=as_json, text=f"Moved {key} to plan {item.plan_id}."
    )


@plan_app.command("milestone")
def plan_milestone(ctx: typer.Context, plan_id: PlanArg, name: Annotated[str, typer.Argument(help="e.g. 提测.")],
                   day: Annotated[str, typer.Argument(metavar="DATE", help="e.g. 2026-11-15.")],
                   as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Add a milestone (its date must lie within the plan)."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    m = services.add_milestone(
        actor=r.actor(as_user), plan_id=plan_id, name=name, date=parse_date(day, "date")
    )
    r.emit(
        {"id": m.pk, "name": m.name, "date": m.date},
        as_json=as_json,
        text=f"Added milestone {m.pk}: {m.date} {m.name}.",
    )


@plan_app.command("confirm")
def plan_confirm(ctx: typer.Context, plan_id: PlanArg, key: Annotated[str, typer.Argument(help="Requirement key.")],
                 note: Annotated[str, typer.Option("--note", help="Why the plan still holds.")] = "",
                 as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Confirm a change to a planned requirement (plan owner)."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    actor = r.actor(as_user)
    services.confirm_plan_change(
        actor=actor, plan_id=plan_id, requirement_id=requirement_ids(actor, [key])[0], note=note
    )
    r.emit({"confirmed": key}, as_json=as_json, text=f"Confirmed the change to {key}.")


@plan_app.command("burnup")
def plan_burnup(ctx: typer.Context, plan_id: PlanArg, svg: Annotated[bool, typer.Option("--svg", help="Write the chart as SVG.")] = False,
                output: OutputOpt = None, force: ForceOpt = False, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Requirements by stage per day (burn-up / cumulative flow), as a table, JSON or SVG."""
    r = rt(ctx, as_json)
    from pmloop.plans import charts, selectors, views

    flow = selectors.plan_flow(actor=r.actor(as_user), plan_id=plan_id)
    if svg:
        content = charts.flow_svg(flow, labels=views.chart_labels(), title=flow.plan.title).encode()
        write_output(r, content, f"plan-{plan_id}-burnup.svg", output, force, as_json)
        return
    data = [{"day": p.day, "scope": p.scope, "done": p.done, **p.counts} for p in flow.points]
    r.emit(data, as_json=as_json, columns=["day", "scope", "done", *flow.stages],
           rows=[[d["day"], d["scope"], d["done"], *[d[s] for s in flow.stages]] for d in data])  # fmt: skip


# ---- releases ---------------------------------------------------------------------------------
def _release_out(rel, items=None) -> dict[str, Any]:
    out = {"id": rel.pk, "version_name": rel.version_name, "status": rel.status, "planned_date": rel.planned_date,
           "released_at": rel.released_at, "manager": rel.manager.username, "version": rel.version}  # fmt: skip
    if items is not None:
        out["items"] = [{"key": i.requirement.key, "title": i.requirement.title, "stage": i.requirement.stage,
                         "override_reason": i.override_reason} for i in items]  # fmt: skip
    return out


def find_release(r, actor, version_name: str, product: str | None):
    from pmloop.plans import selectors

    product_id = r.product(actor, product).pk if product else None
    return selectors.get_release_by_version(actor=actor, version_name=version_name, product_id=product_id)


@release_app.command("list")
def release_list(
    ctx: typer.Context, product: ProductArg, as_user: AsOpt = None, as_json: JsonOpt = False
) -> None:
    """List a product's releases."""
    r = rt(ctx, as_json)
    from pmloop.plans import selectors

    actor = r.actor(as_user)
    items = [
        _release_out(x) for x in selectors.list_releases(actor=actor, product_id=r.product(actor, product).pk)
    ]
    r.emit(items, as_json=as_json, columns=["version", "status", "date", "manager", "lock"],
           rows=[[x["version_name"], x["status"], x["planned_date"] or "", x["manager"], x["version"]] for x in items])  # fmt: skip


@release_app.command("create")
def release_create(ctx: typer.Context, product: ProductArg, version_name: VersionNameArg,
                   day: Annotated[str | None, typer.Option("--date", help="Planned date, e.g. 2026-11-30.")] = None,
                   title: Annotated[str, typer.Option("--title", help="A short title.")] = "",
                   plan: Annotated[int | None, typer.Option("--plan", help="The plan id it concludes.")] = None,
                   as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Create a draft release; you are its release manager."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    actor = r.actor(as_user)
    rel = services.create_release(actor=actor, product_id=r.product(actor, product).pk, version_name=version_name,
                                  planned_date=parse_date(day, "planned_date"), title=title, plan_id=plan)  # fmt: skip
    r.emit(
        _release_out(rel),
        as_json=as_json,
        text=f"Created draft release {rel.version_name} (version {rel.version}).",
    )


@release_app.command("show")
def release_show(ctx: typer.Context, version_name: VersionNameArg, product: ProductOpt = None, as_user: AsOpt = None,
                 as_json: JsonOpt = False) -> None:  # fmt: skip
    """A release and what it ships."""
    r = rt(ctx, as_json)
    from pmloop.plans import selectors

    actor = r.actor(as_user)
    rel = find_release(r, actor, version_name, product)
    data = _release_out(rel, selectors.release_items(actor=actor, release_id=rel.pk))
    if as_json:
        r.print_json(data)
        return
    r.say(f"{rel.version_name} ({rel.status}), version {rel.version}, manager {rel.manager}")
    r.table(["key", "title", "stage", "override"],
            [[i["key"], i["title"], i["stage"], i["override_reason"]] for i in data["items"]])  # fmt: skip


@release_app.command("add")
def release_add(ctx: typer.Context, version_name: VersionNameArg, keys: KeysArg, product: ProductOpt = None,
                as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Add requirements to a draft release."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    actor = r.actor(as_user)
    rel = find_release(r, actor, version_name, product)
    services.add_to_release(actor=actor, release_id=rel.pk, requirement_ids=requirement_ids(actor, keys))
    r.emit({"added": keys}, as_json=as_json, text=f"Added {', '.join(keys)} to {rel.version_name}.")


@release_app.command("remove")
def release_remove(ctx: typer.Context, version_name: VersionNameArg, key: Annotated[str, typer.Argument(help="Requirement key.")],
                   product: ProductOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Take a requirement out of a draft release."""
    r = rt(ctx, as_json)
    from pmloop.plans import services

    actor = r.actor(as_user)
    rel = find_release(r, actor, version_name, product)
    services.remove_from_release(
        actor=actor, release_id=rel.pk, requirement_id=requirement_ids(actor, [key])[0]
    )
    r.emit({"removed": key}, as_json=as_json, text=f"Took {key} out of {rel.version_name}.")


@release_app.command("publish")
def release_publish(
    ctx: typer.Context, version_name: VersionNameArg, version: VersionOpt, product: ProductOpt = None,
    override: Annotated[list[str] | None, typer.Option("--override", help="KEY=reason: ship a requirement that has not reached testing (release manager).")] = None,
    note: Annotated[str, typer.Option("--note", help="A note for the operation log.")] = "",
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Release: every requirement moves to 'released', the customers' owners are told, content freezes."""
    r = rt(ctx, as_json)
    from pmloop.core.errors import InvalidInput
    from pmloop.plans import services

    actor = r.actor(as_user)
    rel = find_release(r, actor, version_name, product)
    overrides: dict[int, str] = {}
    for spec in override or []:
        key, sep, reason = spec.partition("=")
        if not sep or not reason.strip():
            raise InvalidInput(f"--override {spec!r}: write KEY=reason.", field="override")
        overrides[requirement_ids(actor, [key.strip()])[0]] = reason
    rel = services.publish_release(
        actor=actor, release_id=rel.pk, expected_version=version, overrides=overrides, note=note
    )
    r.emit(_release_out(rel), as_json=as_json, text=f"Released {rel.version_name}.")


# ---- roadmap ----------------------------------------------------------------------------------
@roadmap_app.command("export")
def roadmap_export(
    ctx: typer.Context, products: Annotated[list[str] | None, typer.Argument(help="Product codes; none = all yours.")] = None,
    fmt: Annotated[str, typer.Option("--format", help="svg, xlsx or json.")] = "svg",
    group_by: Annotated[str, typer.Option("--group-by", help="module, epic (theme) or category.")] = "module",
    output: OutputOpt = None, force: ForceOpt = False, lang: LangOpt = None, as_user: AsOpt = None,
) -> None:  # fmt: skip
    """Export the roadmap (plans, releases and planned requirements on a time axis)."""
    r = rt(ctx)
    from pmloop.core.errors import InvalidInput
    from pmloop.plans import charts, exports, selectors, views

    if fmt not in ("svg", "xlsx", "json"):
        raise InvalidInput("--format must be svg, xlsx or json.", field="format")
    actor = r.actor(as_user)
    ids = [r.product(actor, code).pk for code in products or []] or None
    with language(lang):
        rm = selectors.roadmap(actor=actor, product_ids=ids, group_by=group_by)
        if fmt == "json":
            from dataclasses import asdict

            r.print_json({**{k: v for k, v in asdict(rm).items() if k != "products"},
                          "products": [p.code for p in rm.products]})  # fmt: skip
            return
        if fmt == "svg":
            content = charts.roadmap_svg(
                rm, labels=views.chart_labels(), title=views._roadmap_title(rm)
            ).encode()
        else:
            content = exports.roadmap_xlsx(rm, views.stage_labels())
    stem = rm.products[0].code if len(rm.products) == 1 else "pmloop"
    write_output(r, content, f"{stem}-roadmap.{fmt}", output, force, False)


@roadmap_app.command("outlook")
def roadmap_outlook(ctx: typer.Context, products: Annotated[list[str] | None, typer.Argument(help="Product codes.")] = None,
                    as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Now / next / later (and just shipped), for talking to customers."""
    r = rt(ctx, as_json)
    from dataclasses import asdict

    from pmloop.plans import selectors

    actor = r.actor(as_user)
    ids = [r.product(actor, code).pk for code in products or []] or None
    cols = selectors.outlook(actor=actor, product_ids=ids)
    data = {k: [asdict(c) for c in v] for k, v in cols.items()}
    if as_json:
        r.print_json(data)
        return
    for key, cards in data.items():
        r.say(f"== {key} ==")
        for c in cards:
            r.say(f"- {c['title']}" + (f": {c['summary']}" if c["summary"] else ""))
