"""`pmloop requirements …` and `pmloop inbox`: parse, call one service or selector, print.

Requirements are named by key (IMSDK-42) or id. Every change names the ``--version`` it read
(from `show`/`list`); a stale one exits 6. Spec sections are set with ``--set section=value``
(repeat it for each item of a list section; a rows section takes JSON; ``@FILE`` reads the
value from a file) or all at once with ``--spec-file sections.json``. Refusals exit with the
error's code: 2 bad input, 3 refused by a rule (the message says what is missing), 4 permission
denied, 5 not found, 6 stale version.
"""

from __future__ import annotations

import contextlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

import typer

requirements_app = typer.Typer(
    help="Requirements on the PRD template: write, review, change, deliver, close, export.",
    no_args_is_help=True,
)

AsOpt = Annotated[
    str | None,
    typer.Option("--as", envvar="PMLOOP_AS", help="Act as this user (default: the first active site admin)."),
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print JSON (for scripts).")]
VersionOpt = Annotated[
    int, typer.Option("--version", help="The version you read (from `show`/`list`); a stale one is refused.")
]
KeyArg = Annotated[str, typer.Argument(help="Requirement key, e.g. IMSDK-42, or its id.")]
ProductOpt = Annotated[str | None, typer.Option("--product", help="Product code, e.g. IMSDK.")]
SetOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--set",
        help="section=value; repeat for each item of a list section (why_chain, acceptance_criteria); "
        "rows sections (scenarios, performance, competitors) take JSON; value @FILE reads a file.",
    ),
]
SpecFileOpt = Annotated[
    Path | None, typer.Option("--spec-file", help='A JSON object of PRD sections, e.g. {"summary": "…"}.')
]
ReviewerOpt = Annotated[
    list[str] | None, typer.Option("--reviewer", help="A reviewer's user name (repeat for several).")
]
NoteOpt = Annotated[str, typer.Option("--note", help="A note for the operation log.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Language of the document: zh-hans or en.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write ('-' for standard output).")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]


def _rt(ctx: typer.Context, as_json: bool = False) -> Any:
    runtime = ctx.find_root().obj
    runtime.set_json(as_json)
    runtime.boot()
    return runtime


# ---- references and output ------------------------------------------------------------------
def _requirement(actor, key: str):
    from pmloop.requirements import selectors

    return selectors.get_by_key(actor=actor, key=key)


def _user_ids(r, names: list[str] | None) -> list[int] | None:
    if not names:
        return None
    return [r.user(n).pk for n in names]


def _module_id(actor, product_id: int | None, ref: str | None) -> int | None:
    """A module by id, or by its path in the product's tree (群聊/群公告)."""
    if ref is None or ref.strip() == "":
        return None
    from pmloop.core.errors import InvalidInput, NotFound
    from pmloop.products import selectors as product_selectors

    ref = ref.strip().strip("/")
    if product_id is None:
        if ref.isdigit():
            return int(ref)
        raise InvalidInput("Name a module by its path only together with --product.", field="module")

    def walk(nodes, prefix=""):
        for node in nodes:
            p = f"{prefix}{node.module.name}"
            yield node.module, p
            yield from walk(node.children, f"{p}/")

    for module, p in walk(product_selectors.module_tree(actor=actor, product_id=product_id)):
        if (ref.isdigit() and module.pk == int(ref)) or p == ref:
            return module.pk
    raise NotFound(f"The product has no module '{ref}'.", code="module_not_found")


def _value_of(raw: str) -> str:
    if raw.startswith("@") and len(raw) > 1:
        from pmloop.core.errors import InvalidInput

        try:
            return Path(raw[1:]).read_text(encoding="utf-8")
        except OSError as exc:
            raise InvalidInput(f"Cannot read {raw[1:]}: {exc.strerror}.", field="set") from exc
    return raw


def _spec(set_values: list[str] | None, spec_file: Path | None) -> dict[str, Any] | None:
    """The sections given on the command line: the file first, then each --set over it."""
    from pmloop.core.errors import InvalidInput
    from pmloop.requirements import spec as prd

    if not set_values and spec_file is None:
        return None
    spec: dict[str, Any] = {}
    if spec_file is not None:
        if spec_file.suffix.lower() != ".json":
            raise InvalidInput(
                "--spec-file takes a .json file: an object of PRD sections.", field="spec-file"
            )
        try:
            loaded = json.loads(spec_file.read_text(encoding="utf-8"))
        except OSError as exc:
            raise InvalidInput(f"Cannot read {spec_file}: {exc.strerror}.", field="spec-file") from exc
        except ValueError as exc:
            raise InvalidInput(f"{spec_file} is not valid JSON: {exc}.", field="spec-file") from exc
        if not isinstance(loaded, dict):
            raise InvalidInput(f"{spec_file} must hold a JSON object of sections.", field="spec-file")
        spec.update(loaded)
    given: dict[str, list[str]] = {}
    for item in set_values or []:
        key, sep, raw = item.partition("=")
        if not sep or not key.strip():
            raise InvalidInput(f"--set takes section=value, not '{item}'.", field="set")
        given.setdefault(key.strip(), []).append(_value_of(raw))
    for key, values in given.items():
        section = prd.BY_KEY.get(key)
        if section is None or section.kind == "text":
            spec[key] = "\n".join(values)  # an unknown section is refused by the service, by name
        elif section.kind == "list":
            items: list[Any] = []
            for v in values:
                items.extend(_json_list(v, key) if v.lstrip().startswith("[") else [v])
            spec[key] = [i for i in items if not isinstance(i, str) or i.strip()]
        else:
            rows: list[Any] = []
            for v in values:
                if v.strip():
                    rows.extend(_json_list(v, key))
            spec[key] = rows
    return spec


def _json_list(raw: str, key: str) -> list[Any]:
    from pmloop.core.errors import InvalidInput

    try:
        value = json.loads(raw)
    except ValueError as exc:
        raise InvalidInput(f"--set {key}=… must be JSON here: {exc}.", field=f"spec.{key}") from exc
    return value if isinstance(value, list) else [value]


def _req_out(req) -> dict[str, Any]:
    return {
        "id": req.pk,
        "key": req.key,
        "title": req.title,
        "product": req.product.code,
        "module": req.module.name if req.module_id else None,
        "module_id": req.module_id,
        "category": req.category,
        "priority": req.priority,
        "estimate": req.estimate,
        "owner": req.owner.username if req.owner_id else None,
        "status": req.status,
        "stage": req.stage,
        "close_reason": req.close_reason,
        "spec_version": req.spec_version,
        "completeness": req.completeness,
        "voices": req.voices,
        "version": req.version,
        "created_at": req.created_at,
        "updated_at": req.updated_at,
    }


def _detail_out(req) -> dict[str, Any]:
    return {
        **_req_out(req),
        "spec": req.spec,
        "reviewers": [u.username for u in req.reviewers.all()],
        "criteria": [
            {"n": n, "id": c.pk, "text": c.text, "verified": c.verified, "verified_at": c.verified_at}
            for n, c in enumerate(req.criteria.all(), 1)
        ],
    }


def _done(r, req, as_json: bool, text: str) -> None:
    r.emit(_req_out(req), as_json=as_json, text=f"{text} (version {req.version}).")


@contextlib.contextmanager
def _language(lang: str | None) -> Iterator[None]:
    from django.conf import settings
    from django.utils import translation

    if not lang:
        yield
        return
    codes = [code for code, _name in settings.LANGUAGES]
    if lang.lower() not in codes:
        from pmloop.core.errors import InvalidInput

        raise InvalidInput(f"--lang must be one of: {', '.join(codes)}.", field="lang")
    with translation.override(lang.lower()):
        yield


def _target(output: Path | None, default: str, force: bool) -> Path | None:
    """Where to write: None for standard output. Refuses to overwrite without --force."""
    if output is not None and str(output) == "-":
        return None
    path = output or Path(default)
    if path.exists() and not force:
        from pmloop.core.errors import InvalidInput

        raise InvalidInput(f"{path} exists; pass --force to overwrite it.", field="output")
    return path


def _write(r, path: Path | None, content: bytes, as_json: bool, what: str) -> None:
    if path is None:
        sys.stdout.buffer.write(content)
        sys.stdout.flush()
        return
    path.write_bytes(content)
    r.emit({"file": str(path), "bytes": len(content)}, as_json=as_json,
           text=f"Wrote {what} to {path} ({len(content):,} bytes).")  # fmt: skip


# ---- list and show -----------------------------------------------------------------------------
def _split(values: list[str] | None) -> list[str]:
    return [v.strip() for raw in values or [] for v in raw.split(",") if v.strip()]


def _query(r, actor, *, product, q, status, stage, module, priority, owner, sort):
    from pmloop.requirements.selectors import RequirementQuery

    product_id = r.product(actor, product).pk if product else None
    return RequirementQuery(
        product_id=product_id, q=q, status=_split(status), stage=_split(stage),
        module_id=_module_id(actor, product_id, module), priority=list(priority or []),
        owner_id=r.user(owner).pk if owner else None, sort=sort,
    )  # fmt: skip


StatusOpt = Annotated[
    list[str] | None,
    typer.Option("--status", help="draft, reviewing, active, changing, closed (repeatable)."),
]
StageOpt = Annotated[
    list[str] | None,
    typer.Option("--stage", help="wait, planned, developing, testing, released, accepted (repeatable)."),
]
ModuleOpt = Annotated[str | None, typer.Option("--module", help="Module id, or its path with --product.")]
PriorityOpt = Annotated[list[int] | None, typer.Option("--priority", help="1–4 (repeatable).")]
OwnerOpt = Annotated[str | None, typer.Option("--owner", help="Owner's user name.")]
QOpt = Annotated[str, typer.Option("--q", help="Words (Chinese or English) or a key like IMSDK-42.")]
SortOpt = Annotated[
    str, typer.Option("--sort", help="newest, oldest, priority, voices, updated or completeness.")
]


@requirements_app.command("list")
def req_list(
    ctx: typer.Context,
    product: ProductOpt = None,
    q: QOpt = "",
    status: StatusOpt = None,
    stage: StageOpt = None,
    module: ModuleOpt = None,
    priority: PriorityOpt = None,
    owner: OwnerOpt = None,
    sort: SortOpt = "newest",
    page: Annotated[int, typer.Option("--page", help="Page number.")] = 1,
    page_size: Annotated[int, typer.Option("--page-size", help="Rows per page (1–200).")] = 50,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List and search requirements (the API's filters)."""
    r = _rt(ctx, as_json)
    from pmloop.core.pagination import count_limit_for, paginate
    from pmloop.requirements import selectors

    actor = r.actor(as_user)
    query = _query(r, actor, product=product, q=q, status=status, stage=stage, module=module,
                   priority=priority, owner=owner, sort=sort)  # fmt: skip
    found = paginate(
        selectors.list_requirements(actor=actor, query=query),
        page=page,
        page_size=page_size,
        count_limit=count_limit_for(q),
    )
    items = [_req_out(req) for req in found.items]
    if as_json:
        r.print_json({"items": items, "count": found.count, "page": found.page, "page_size": found.page_size,
                      "pages": found.pages, "count_capped": found.count_capped})  # fmt: skip
        return
    r.emit(items, as_json=False,
           columns=["key", "title", "status", "stage", "priority", "owner", "PRD", "voices", "version"],
           rows=[[i["key"], i["title"], i["status"], i["stage"], i["priority"], i["owner"] or "",
                  f"{i['completeness']}%", i["voices"], i["version"]] for i in items])  # fmt: skip
    if found.pages > 1:
        r.note(f"page {found.page} of {found.pages} ({found.count} requirements); --page for more")


@requirements_app.command("show")
def req_show(
    ctx: typer.Context, key: KeyArg, lang: LangOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False
) -> None:
    """Show a requirement: its PRD as Markdown (or its fields, spec and criteria as JSON)."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import exporters
    from pmloop.requirements.export_views import requirement_doc

    actor = r.actor(as_user)
    req = _requirement(actor, key)
    if as_json:
        r.print_json(_detail_out(req))
        return
    with _language(lang):
        text = exporters.requirement_markdown(requirement_doc(actor=actor, requirement_id=req.pk))
    typer.echo(text, nl=False)
    r.note(f"{req.key}: version {req.version} (pass --version {req.version} to change it)")


# ---- writing -----------------------------------------------------------------------------------
@requirements_app.command("create")
def req_create(
    ctx: typer.Context,
    title: Annotated[str, typer.Argument(help="One line, e.g. '群组角色权限'.")],
    product: Annotated[str, typer.Option("--product", help="Product code, e.g. IMSDK.")],
    module: ModuleOpt = None,
    priority: Annotated[int, typer.Option("--priority", help="1 urgent … 4 low.")] = 3,
    category: Annotated[
        str, typer.Option("--category", help="feature, interface, performance, …")
    ] = "feature",
    estimate: Annotated[str | None, typer.Option("--estimate", help="Person-days.")] = None,
    owner: OwnerOpt = None,
    reviewer: ReviewerOpt = None,
    parent: Annotated[str | None, typer.Option("--parent", help="Parent requirement key (epic).")] = None,
    spec_file: SpecFileOpt = None,
    set_: SetOpt = None,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a requirement (a draft) on the PRD template."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    p = r.product(actor, product)
    req = services.create_requirement(
        actor=actor, product_id=p.pk, title=title, spec=_spec(set_, spec_file),
        module_id=_module_id(actor, p.pk, module), category=category, priority=priority, estimate=estimate,
        owner_id=r.user(owner).pk if owner else None, reviewer_ids=_user_ids(r, reviewer),
        parent_id=_requirement(actor, parent).pk if parent else None, note=note,
    )  # fmt: skip
    _done(r, req, as_json, f"Created {req.key} '{req.title}' as a draft, PRD {req.completeness}%")


def _pool_item_id(r, actor, ref: str) -> int:
    from pmloop.core.errors import InvalidInput
    from pmloop.pool import selectors as pool_selectors

    ref = ref.strip()
    if ref.isdigit():
        return int(ref)
    code, sep, number = ref.upper().rpartition("-")
    number = number.removeprefix("P")
    if not sep or not code or not number.isdigit():
        raise InvalidInput("Give a pool item key like IMSDK-P12, or its id.", field="pool_item")
    product = r.product(actor, code)
    return pool_selectors.get_item_by_key(actor=actor, product_id=product.pk, number=int(number)).pk


@requirements_app.command("from-pool")
def req_from_pool(
    ctx: typer.Context,
    pool_item: Annotated[str, typer.Argument(help="Pool item key (IMSDK-P12) or id.")],
    title: Annotated[str | None, typer.Option("--title", help="Title (default: the item's).")] = None,
    owner: OwnerOpt = None,
    reviewer: ReviewerOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Create a requirement prefilled from a pool item (the customer's words become its background)."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    fields: dict[str, Any] = {}
    if owner:
        fields["owner_id"] = r.user(owner).pk
    if reviewer:
        fields["reviewer_ids"] = _user_ids(r, reviewer)
    req = services.create_from_pool_item(
        actor=actor, pool_item_id=_pool_item_id(r, actor, pool_item), title=title, **fields
    )
    _done(r, req, as_json, f"Created {req.key} '{req.title}' from {pool_item}")


@requirements_app.command("edit")
def req_edit(
    ctx: typer.Context,
    key: KeyArg,
    version: VersionOpt,
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    set_: SetOpt = None,
    spec_file: SpecFileOpt = None,
    module: ModuleOpt = None,
    priority: Annotated[int | None, typer.Option("--priority", help="1 urgent … 4 low.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="feature, interface, …")] = None,
    estimate: Annotated[str | None, typer.Option("--estimate", help="Person-days ('' clears).")] = None,
    owner: OwnerOpt = None,
    reviewer: ReviewerOpt = None,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Edit a draft's title and sections, or any open requirement's fields."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    req = _requirement(actor, key)
    fields: dict[str, Any] = {}
    if module is not None:
        fields["module_id"] = _module_id(actor, req.product_id, module)
    if estimate is not None:
        fields["estimate"] = estimate or None
    if owner is not None:
        fields["owner_id"] = r.user(owner).pk
    req = services.update_requirement(
        actor=actor, requirement_id=req.pk, expected_version=version, title=title, spec=_spec(set_, spec_file),
        category=category, priority=priority, reviewer_ids=_user_ids(r, reviewer), note=note, **fields,
    )  # fmt: skip
    _done(r, req, as_json, f"Saved {req.key}, spec v{req.spec_version}, PRD {req.completeness}%")


# ---- review and change -------------------------------------------------------------------------
@requirements_app.command("submit")
def req_submit(
    ctx: typer.Context,
    key: KeyArg,
    version: VersionOpt,
    reviewer: ReviewerOpt = None,
    skip_review: Annotated[
        bool, typer.Option("--skip-review", help="Activate without review (if the product lets you).")
    ] = False,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Submit a draft for review (the PRD must be complete)."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    req = services.submit_for_review(
        actor=actor, requirement_id=_requirement(actor, key).pk, expected_version=version,
        reviewer_ids=_user_ids(r, reviewer), skip_review=skip_review, note=note,
    )  # fmt: skip
    _done(r, req, as_json, f"{req.key} is now {req.get_status_display()}")


@requirements_app.command("verdict")
def req_verdict(
    ctx: typer.Context,
    key: KeyArg,
    verdict: Annotated[str, typer.Argument(help="pass, clarify, reject, or revert (for a change).")],
    comment: Annotated[str, typer.Option("--comment", help="Why (needed for all but pass).")] = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Give your review verdict."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    req = services.record_review_verdict(
        actor=actor,
        requirement_id=_requirement(actor, key).pk,
        verdict=verdict.strip().lower(),
        comment=comment,
    )
    _done(r, req, as_json, f"Verdict '{verdict}' recorded on {req.key}; it is {req.get_status_display()}")


@requirements_app.command("change")
def req_change(
    ctx: typer.Context,
    key: KeyArg,
    version: VersionOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it must change.")],
    impact: Annotated[str, typer.Option("--impact", help="What the change affects.")] = "",
    title: Annotated[str | None, typer.Option("--title", help="New title.")] = None,
    set_: SetOpt = None,
    spec_file: SpecFileOpt = None,
    reviewer: ReviewerOpt = None,
    no_submit: Annotated[
        bool, typer.Option("--no-submit", help="Keep the change being written; submit it later.")
    ] = False,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Request a change to an active requirement (reason, impact, new text), re-reviewed."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    req = _requirement(actor, key)
    change = services.request_change(
        actor=actor, requirement_id=req.pk, expected_version=version, reason=reason, impact=impact,
        title=title, spec=_spec(set_, spec_file), reviewer_ids=_user_ids(r, reviewer), submit=not no_submit,
    )  # fmt: skip
    data = {"id": change.pk, "requirement": req.key, "reason": change.reason, "impact": change.impact,
            "status": change.status, "base_version": change.base_version}  # fmt: skip
    r.emit(data, as_json=as_json,
           text=f"Change #{change.pk} on {req.key}: {change.get_status_display()} (from spec v{change.base_version}).")  # fmt: skip


# ---- delivery and closing ----------------------------------------------------------------------
@requirements_app.command("stage")
def req_stage(
    ctx: typer.Context,
    key: KeyArg,
    stage: Annotated[str, typer.Argument(help="wait, planned, developing, testing, released or accepted.")],
    version: VersionOpt,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Move the delivery stage ('accepted' needs every acceptance criterion verified)."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    req = services.set_stage(actor=actor, requirement_id=_requirement(actor, key).pk, expected_version=version,
                             stage=stage.strip().lower(), note=note)  # fmt: skip
    _done(r, req, as_json, f"{req.key} is at stage {req.get_stage_display()}")


@requirements_app.command("verify")
def req_verify(
    ctx: typer.Context,
    key: KeyArg,
    criterion: Annotated[str, typer.Argument(help="The criterion's number in `show` (1, 2 …), or id:ID.")],
    undo: Annotated[bool, typer.Option("--undo", help="Mark it not verified again.")] = False,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Verify an acceptance criterion (or --undo it)."""
    r = _rt(ctx, as_json)
    from pmloop.core.errors import InvalidInput, NotFound
    from pmloop.requirements import services

    actor = r.actor(as_user)
    req = _requirement(actor, key)
    criteria = list(req.criteria.all())
    ref = criterion.strip().lower()
    if ref.startswith("id:") and ref[3:].isdigit():
        found = [c for c in criteria if c.pk == int(ref[3:])]
    elif ref.isdigit():
        found = criteria[int(ref) - 1 : int(ref)] if int(ref) >= 1 else []
    else:
        raise InvalidInput("Name the criterion by its number (1, 2 …) or as id:ID.", field="criterion")
    if not found:
        raise NotFound(f"{req.key} has no acceptance criterion {criterion} (it has {len(criteria)}).",
                       code="criterion_not_found")  # fmt: skip
    crit = services.set_criterion_verified(
        actor=actor, criterion_id=found[0].pk, verified=not undo, note=note
    )
    data = {"requirement": req.key, "id": crit.pk, "n": criteria.index(found[0]) + 1, "text": crit.text,
            "verified": crit.verified}  # fmt: skip
    mark = "✓" if crit.verified else "☐"
    r.emit(data, as_json=as_json, text=f"{mark} {req.key} criterion {data['n']}: {crit.text}")


@requirements_app.command("close")
def req_close(
    ctx: typer.Context,
    key: KeyArg,
    reason: Annotated[
        str, typer.Argument(help="done, subdivided, duplicate, postponed, will_not_do, cancelled, by_design.")
    ],
    version: VersionOpt,
    duplicate_of: Annotated[
        str | None, typer.Option("--duplicate-of", help="The requirement this one duplicates.")
    ] = None,
    note: NoteOpt = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Close a requirement with a reason ('done' needs every acceptance criterion verified)."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    req = _requirement(actor, key)
    dup_id = _requirement(actor, duplicate_of).pk if duplicate_of else None
    req = services.close_requirement(actor=actor, requirement_id=req.pk, expected_version=version,
                                     reason=reason.strip().lower(), duplicate_of_id=dup_id, note=note)  # fmt: skip
    _done(r, req, as_json, f"Closed {req.key} ({req.get_close_reason_display()})")


@requirements_app.command("reopen")
def req_reopen(
    ctx: typer.Context,
    key: KeyArg,
    version: VersionOpt,
    note: Annotated[str, typer.Option("--note", help="Why it is reopened (required).")] = "",
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Reopen a closed requirement (back to draft)."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import services

    actor = r.actor(as_user)
    req = services.reopen_requirement(
        actor=actor, requirement_id=_requirement(actor, key).pk, expected_version=version, note=note
    )
    _done(r, req, as_json, f"Reopened {req.key} as a draft")


# ---- documents ---------------------------------------------------------------------------------
FORMATS = {"md": ".md", "docx": ".docx"}


@requirements_app.command("export")
def req_export(
    ctx: typer.Context,
    key: KeyArg,
    fmt: Annotated[str, typer.Option("--format", help="md or docx.")] = "md",
    output: OutputOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export a requirement on the PRD template: Markdown (to standard output unless -o) or
    Word (to KEY.docx unless -o)."""
    r = _rt(ctx, as_json)
    from pmloop.core.errors import InvalidInput
    from pmloop.requirements import exporters
    from pmloop.requirements.export_views import requirement_doc

    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise InvalidInput("--format must be md or docx.", field="format")
    actor = r.actor(as_user)
    req = _requirement(actor, key)
    if fmt == "md" and output is None:
        output = Path("-")
    target = _target(output, f"{req.key}{FORMATS[fmt]}", force)
    with _language(lang):
        doc = requirement_doc(actor=actor, requirement_id=req.pk)
        content = (
            exporters.requirement_markdown(doc).encode("utf-8")
            if fmt == "md"
            else exporters.requirement_docx(doc)
        )
    _write(r, target, content, as_json, f"{req.key} ({fmt})")


def _xlsx_only(fmt: str) -> None:
    if fmt.strip().lower() != "xlsx":
        from pmloop.core.errors import InvalidInput

        raise InvalidInput("--format must be xlsx.", field="format")


@requirements_app.command("export-list")
def req_export_list(
    ctx: typer.Context,
    fmt: Annotated[str, typer.Option("--format", help="xlsx.")] = "xlsx",
    product: ProductOpt = None,
    q: QOpt = "",
    status: StatusOpt = None,
    stage: StageOpt = None,
    module: ModuleOpt = None,
    priority: PriorityOpt = None,
    owner: OwnerOpt = None,
    sort: SortOpt = "newest",
    output: OutputOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export a requirement list (the `list` filters) as an Excel sheet."""
    r = _rt(ctx, as_json)
    from django.utils import timezone

    from pmloop.requirements import exporters
    from pmloop.requirements.export_views import list_rows

    _xlsx_only(fmt)
    actor = r.actor(as_user)
    query = _query(r, actor, product=product, q=q, status=status, stage=stage, module=module,
                   priority=priority, owner=owner, sort=sort)  # fmt: skip
    target = _target(output, f"{product.upper() if product else 'pmloop'}-requirements-"
                             f"{timezone.localdate().isoformat()}.xlsx", force)  # fmt: skip
    with _language(lang):
        content = exporters.requirements_xlsx(list_rows(actor=actor, query=query))
    _write(r, target, content, as_json, "the requirement list")


@requirements_app.command("matrix")
def req_matrix(
    ctx: typer.Context,
    product: Annotated[str, typer.Argument(help="Product code, e.g. IMSDK.")],
    fmt: Annotated[str, typer.Option("--format", help="xlsx.")] = "xlsx",
    output: OutputOpt = None,
    force: ForceOpt = False,
    lang: LangOpt = None,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Export a product's traceability matrix: pool item ↔ requirement ↔ review ↔ stage."""
    r = _rt(ctx, as_json)
    from django.utils import timezone

    from pmloop.requirements import exporters
    from pmloop.requirements.export_views import matrix_lines

    _xlsx_only(fmt)
    actor = r.actor(as_user)
    p = r.product(actor, product)
    target = _target(output, f"{p.code}-traceability-{timezone.localdate().isoformat()}.xlsx", force)
    with _language(lang):
        content = exporters.matrix_xlsx(matrix_lines(actor=actor, product_id=p.pk))
    _write(r, target, content, as_json, f"the traceability matrix of {p.code}")


@requirements_app.command("diff")
def req_diff(
    ctx: typer.Context,
    key: KeyArg,
    a: Annotated[int, typer.Argument(help="The older spec version, e.g. 1.")],
    b: Annotated[int, typer.Argument(help="The newer spec version, e.g. 2.")],
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Show what changed between two spec versions, section by section."""
    r = _rt(ctx, as_json)
    from pmloop.requirements import selectors

    actor = r.actor(as_user)
    req = _requirement(actor, key)
    d = selectors.diff_versions(actor=actor, requirement_id=req.pk, a=a, b=b)
    if as_json:
        r.print_json({"requirement": req.key, "a": a, "b": b, "sections": [
            {"key": s.key, "label": s.label, "before": s.before, "after": s.after, "unified": s.unified}
            for s in d.sections]})  # fmt: skip
        return
    if not d.sections:
        typer.echo(f"{req.key}: v{a} and v{b} have the same text.")
        return
    for s in d.sections:
        typer.echo(f"## {s.label} ({s.key})")
        typer.echo(s.unified)
        typer.echo("")


# ---- inbox -----------------------------------------------------------------------------------------
def inbox(
    ctx: typer.Context,
    unread: Annotated[bool, typer.Option("--unread", help="Only unread notifications.")] = False,
    mark_read: Annotated[bool, typer.Option("--mark-read", help="Mark the ones shown as read.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=500, help="At most this many, newest first.")
    ] = 50,
    as_user: AsOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Your notifications: review requests, verdicts, changes, releases."""
    r = _rt(ctx, as_json)
    from pmloop.notifications import selectors, services

    actor = r.actor(as_user)
    shown = list(selectors.inbox(actor=actor, unread_only=unread)[:limit])
    marked = 0
    if mark_read:
        ids = [n.pk for n in shown if n.read_at is None]
        marked = services.mark_read(actor=actor, notification_ids=ids) if ids else 0
    items = [{"id": n.pk, "kind": n.kind, "title": n.title, "body": n.body, "url": n.url,
              "product_id": n.product_id, "created_at": n.created_at, "read": n.read_at is not None}
             for n in shown]  # fmt: skip
    if as_json:
        r.print_json({"items": items, "marked_read": marked})
        return
    r.emit(items, as_json=False, columns=["id", "when", "", "title"],
           rows=[[i["id"], _local(i["created_at"]), "" if i["read"] else "●", i["title"]]
                 for i in items])  # fmt: skip
    if mark_read:
        r.note(f"{marked} marked read.")


def _local(value) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
