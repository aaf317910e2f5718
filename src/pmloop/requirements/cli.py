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
import dataclasses
import functools
import inspect
import json
import sys
import typing
from collections.abc import Callable, Iterator
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
TitleOpt = Annotated[str | None, typer.Option("--title", help="New title.")]
LangOpt = Annotated[str | None, typer.Option("--lang", help="Language of the document: zh-hans or en.")]
OutputOpt = Annotated[
    Path | None, typer.Option("--output", "-o", help="File to write ('-' for standard output).")
]
ForceOpt = Annotated[bool, typer.Option("--force", help="Overwrite the output file if it exists.")]
XlsxFormatOpt = Annotated[str, typer.Option("--format", help="xlsx.")]
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


# ---- what every command shares ------------------------------------------------------------------
@dataclasses.dataclass
class _Call:
    """One command's start: the booted runtime (``r``), ``--json``, and the actor named by
    ``--as``, looked up on first use (so a command may check its other input first)."""

    r: Any
    as_user: str | None
    json: bool

    @functools.cached_property
    def actor(self) -> Any:
        return self.r.actor(self.as_user)

    def emit(self, data: Any, **kwargs: Any) -> None:
        self.r.emit(data, as_json=self.json, **kwargs)

    def done(self, req, text: str) -> None:
        self.emit(req_out(req), text=f"{text} (version {req.version}).")


@dataclasses.dataclass
class ListFilters:
    """The filters of `list`, shared by `export-list` (the API's filters)."""

    product: ProductOpt = None
    q: QOpt = ""
    status: StatusOpt = None
    stage: StageOpt = None
    module: ModuleOpt = None
    priority: PriorityOpt = None
    owner: OwnerOpt = None
    sort: SortOpt = "newest"

    def query(self, c: _Call):
        from pmloop.requirements.selectors import RequirementQuery

        product_id = c.r.product(c.actor, self.product).pk if self.product else None
        return RequirementQuery(
            product_id=product_id, q=self.q, status=_split(self.status), stage=_split(self.stage),
            module_id=_module_id(c.actor, product_id, self.module), priority=list(self.priority or []),
            owner_id=c.r.user(self.owner).pk if self.owner else None, sort=self.sort,
        )  # fmt: skip


@dataclasses.dataclass
class ExportTo:
    """Where and in which language an export goes (`export`, `export-list`, `matrix`)."""

    output: OutputOpt = None
    force: ForceOpt = False
    lang: LangOpt = None


_GROUPS = (ListFilters, ExportTo)


def _options(cls: type) -> list[inspect.Parameter]:
    hints = typing.get_type_hints(cls, include_extras=True)
    return [
        inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.default, annotation=hints[f.name])
        for f in dataclasses.fields(cls)
    ]


def _session(func: Callable[..., None]) -> Callable[..., None]:
    """The typer command for ``func(c: _Call, …)``: ``ctx`` first, ``--as`` and ``--json``
    last, and each parameter typed ``ListFilters`` / ``ExportTo`` spread out in place into
    that group's options (their values come back as one instance)."""
    own = list(inspect.signature(func, eval_str=True).parameters.values())[1:]  # [0] is the _Call
    context = inspect.Parameter("ctx", inspect.Parameter.POSITIONAL_OR_KEYWORD, annotation=typer.Context)
    params, groups = [context], {}
    for p in own:
        if p.annotation in _GROUPS:
            groups[p.name] = p.annotation
            params += _options(p.annotation)
        else:
            params.append(p.replace(kind=inspect.Parameter.KEYWORD_ONLY))
    params += [
        inspect.Parameter("as_user", inspect.Parameter.KEYWORD_ONLY, default=None, annotation=AsOpt),
        inspect.Parameter("as_json", inspect.Parameter.KEYWORD_ONLY, default=False, annotation=JsonOpt),
    ]

    @functools.wraps(func)
    def command(
        ctx: typer.Context, *, as_user: str | None = None, as_json: bool = False, **kwargs: Any
    ) -> None:
        runtime = ctx.find_root().obj
        runtime.set_json(as_json)
        runtime.boot()
        for name, cls in groups.items():
            kwargs[name] = cls(**{f.name: kwargs.pop(f.name) for f in dataclasses.fields(cls)})
        func(_Call(runtime, as_user, as_json), **kwargs)

    command.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    command.__annotations__ = {p.name: p.annotation for p in params}
    return command


def _command(name: str) -> Callable[[Callable[..., None]], Callable[..., None]]:
    def register(func: Callable[..., None]) -> Callable[..., None]:
        return requirements_app.command(name)(_session(func))

    return register


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


def req_out(req) -> dict[str, Any]:
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
        **req_out(req),
        "spec": req.spec,
        "reviewers": [u.username for u in req.reviewers.all()],
        "criteria": [
            {"n": n, "id": c.pk, "text": c.text, "verified": c.verified, "verified_at": c.verified_at}
            for n, c in enumerate(req.criteria.all(), 1)
        ],
    }


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


# ---- list and show -----------------------------------------------------------------------------
@_command("list")
def req_list(
    c: _Call,
    filters: ListFilters,
    page: Annotated[int, typer.Option("--page", help="Page number.")] = 1,
    page_size: Annotated[int, typer.Option("--page-size", help="Rows per page (1–200).")] = 50,
) -> None:
    """List and search requirements (the API's filters)."""
    from pmloop.requirements import selectors

    query = filters.query(c)
    found = selectors.list_page(actor=c.actor, query=query, page=page, page_size=page_size)
    items = [req_out(req) for req in found.items]
    if c.json:
        c.r.print_json({"items": items, "count": found.count, "page": found.page, "page_size": found.page_size,
                        "pages": found.pages, "count_capped": found.count_capped})  # fmt: skip
        return
    c.emit(items, columns=["key", "title", "status", "stage", "priority", "owner", "PRD", "voices", "version"],
           rows=[[i["key"], i["title"], i["status"], i["stage"], i["priority"], i["owner"] or "",
                  f"{i['completeness']}%", i["voices"], i["version"]] for i in items])  # fmt: skip
    if found.pages > 1:
        c.r.note(f"page {found.page} of {found.pages} ({found.count} requirements); --page for more")


@_command("show")
def req_show(c: _Call, key: KeyArg, lang: LangOpt = None) -> None:
    """Show a requirement: its PRD as Markdown (or its fields, spec and criteria as JSON)."""
    from pmloop.requirements import documents, exporters

    req = _requirement(c.actor, key)
    if c.json:
        c.r.print_json(_detail_out(req))
        return
    with _language(lang):
        text = exporters.requirement_markdown(documents.requirement_doc(actor=c.actor, requirement_id=req.pk))
    typer.echo(text, nl=False)
    c.r.note(f"{req.key}: version {req.version} (pass --version {req.version} to change it)")


# ---- writing -----------------------------------------------------------------------------------
@_command("create")
def req_create(
    c: _Call,
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
) -> None:
    """Create a requirement (a draft) on the PRD template."""
    from pmloop.requirements import services

    actor, r = c.actor, c.r
    p = r.product(actor, product)
    req = services.create_requirement(
        actor=actor, product_id=p.pk, title=title, spec=_spec(set_, spec_file),
        module_id=_module_id(actor, p.pk, module), category=category, priority=priority, estimate=estimate,
        owner_id=r.user(owner).pk if owner else None, reviewer_ids=_user_ids(r, reviewer),
        parent_id=_requirement(actor, parent).pk if parent else None, note=note,
    )  # fmt: skip
    c.done(req, f"Created {req.key} '{req.title}' as a draft, PRD {req.completeness}%")


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


@_command("from-pool")
def req_from_pool(
    c: _Call,
    pool_item: Annotated[str, typer.Argument(help="Pool item key (IMSDK-P12) or id.")],
    title: Annotated[str | None, typer.Option("--title", help="Title (default: the item's).")] = None,
    owner: OwnerOpt = None,
    reviewer: ReviewerOpt = None,
) -> None:
    """Create a requirement prefilled from a pool item (the customer's words become its background)."""
    from pmloop.requirements import services

    actor = c.actor
    fields: dict[str, Any] = {}
    if owner:
        fields["owner_id"] = c.r.user(owner).pk
    if reviewer:
        fields["reviewer_ids"] = _user_ids(c.r, reviewer)
    req = services.create_from_pool_item(
        actor=actor, pool_item_id=_pool_item_id(c.r, actor, pool_item), title=title, **fields
    )
    c.done(req, f"Created {req.key} '{req.title}' from {pool_item}")


@_command("edit")
def req_edit(
    c: _Call,
    key: KeyArg,
    version: VersionOpt,
    title: TitleOpt = None,
    set_: SetOpt = None,
    spec_file: SpecFileOpt = None,
    module: ModuleOpt = None,
    priority: Annotated[int | None, typer.Option("--priority", help="1 urgent … 4 low.")] = None,
    category: Annotated[str | None, typer.Option("--category", help="feature, interface, …")] = None,
    estimate: Annotated[str | None, typer.Option("--estimate", help="Person-days ('' clears).")] = None,
    owner: OwnerOpt = None,
    reviewer: ReviewerOpt = None,
    note: NoteOpt = "",
) -> None:
    """Edit a draft's title and sections, or any open requirement's fields."""
    from pmloop.requirements import services

    actor = c.actor
    req = _requirement(actor, key)
    fields: dict[str, Any] = {}
    if module is not None:
        fields["module_id"] = _module_id(actor, req.product_id, module)
    if estimate is not None:
        fields["estimate"] = estimate or None
    if owner is not None:
        fields["owner_id"] = c.r.user(owner).pk
    req = services.update_requirement(
        actor=actor, requirement_id=req.pk, expected_version=version, title=title, spec=_spec(set_, spec_file),
        category=category, priority=priority, reviewer_ids=_user_ids(c.r, reviewer), note=note, **fields,
    )  # fmt: skip
    c.done(req, f"Saved {req.key}, spec v{req.spec_version}, PRD {req.completeness}%")


# ---- review and change -------------------------------------------------------------------------
@_command("submit")
def req_submit(
    c: _Call,
    key: KeyArg,
    version: VersionOpt,
    reviewer: ReviewerOpt = None,
    skip_review: Annotated[
        bool, typer.Option("--skip-review", help="Activate without review (if the product lets you).")
    ] = False,
    note: NoteOpt = "",
) -> None:
    """Submit a draft for review (the PRD must be complete)."""
    from pmloop.requirements import services

    req = services.submit_for_review(
        actor=c.actor, requirement_id=_requirement(c.actor, key).pk, expected_version=version,
        reviewer_ids=_user_ids(c.r, reviewer), skip_review=skip_review, note=note,
    )  # fmt: skip
    c.done(req, f"{req.key} is now {req.get_status_display()}")


@_command("verdict")
def req_verdict(
    c: _Call,
    key: KeyArg,
    verdict: Annotated[str, typer.Argument(help="pass, clarify, reject, or revert (for a change).")],
    comment: Annotated[str, typer.Option("--comment", help="Why (needed for all but pass).")] = "",
) -> None:
    """Give your review verdict."""
    from pmloop.requirements import services

    req = services.record_review_verdict(
        actor=c.actor,
        requirement_id=_requirement(c.actor, key).pk,
        verdict=verdict.strip().lower(),
        comment=comment,
    )
    c.done(req, f"Verdict '{verdict}' recorded on {req.key}; it is {req.get_status_display()}")


@_command("change")
def req_change(
    c: _Call,
    key: KeyArg,
    version: VersionOpt,
    reason: Annotated[str, typer.Option("--reason", help="Why it must change.")],
    impact: Annotated[str, typer.Option("--impact", help="What the change affects.")] = "",
    title: TitleOpt = None,
    set_: SetOpt = None,
    spec_file: SpecFileOpt = None,
    reviewer: ReviewerOpt = None,
    no_submit: Annotated[
        bool, typer.Option("--no-submit", help="Keep the change being written; submit it later.")
    ] = False,
) -> None:
    """Request a change to an active requirement (reason, impact, new text), re-reviewed."""
    from pmloop.requirements import services

    req = _requirement(c.actor, key)
    change = services.request_change(
        actor=c.actor, requirement_id=req.pk, expected_version=version, reason=reason, impact=impact,
        title=title, spec=_spec(set_, spec_file), reviewer_ids=_user_ids(c.r, reviewer), submit=not no_submit,
    )  # fmt: skip
    data = {"id": change.pk, "requirement": req.key, "reason": change.reason, "impact": change.impact,
            "status": change.status, "base_version": change.base_version}  # fmt: skip
    c.emit(data, text=f"Change #{change.pk} on {req.key}: {change.get_status_display()} "
                      f"(from spec v{change.base_version}).")  # fmt: skip


# ---- delivery and closing ----------------------------------------------------------------------
@_command("stage")
def req_stage(
    c: _Call,
    key: KeyArg,
    stage: Annotated[str, typer.Argument(help="wait, planned, developing, testing, released or accepted.")],
    version: VersionOpt,
    note: NoteOpt = "",
) -> None:
    """Move the delivery stage ('accepted' needs every acceptance criterion verified)."""
    from pmloop.requirements import services

    req = services.set_stage(actor=c.actor, requirement_id=_requirement(c.actor, key).pk,
                             expected_version=version, stage=stage.strip().lower(), note=note)  # fmt: skip
    c.done(req, f"{req.key} is at stage {req.get_stage_display()}")


@_command("verify")
def req_verify(
    c: _Call,
    key: KeyArg,
    criterion: Annotated[str, typer.Argument(help="The criterion's number in `show` (1, 2 …), or id:ID.")],
    undo: Annotated[bool, typer.Option("--undo", help="Mark it not verified again.")] = False,
    note: NoteOpt = "",
) -> None:
    """Verify an acceptance criterion (or --undo it)."""
    from pmloop.core.errors import InvalidInput, NotFound
    from pmloop.requirements import services

    req = _requirement(c.actor, key)
    criteria = list(req.criteria.all())
    ref = criterion.strip().lower()
    if ref.startswith("id:") and ref[3:].isdigit():
        found = [crit for crit in criteria if crit.pk == int(ref[3:])]
    elif ref.isdigit():
        found = criteria[int(ref) - 1 : int(ref)] if int(ref) >= 1 else []
    else:
        raise InvalidInput("Name the criterion by its number (1, 2 …) or as id:ID.", field="criterion")
    if not found:
        raise NotFound(f"{req.key} has no acceptance criterion {criterion} (it has {len(criteria)}).",
                       code="criterion_not_found")  # fmt: skip
    crit = services.set_criterion_verified(
        actor=c.actor, criterion_id=found[0].pk, verified=not undo, note=note
    )
    data = {"requirement": req.key, "id": crit.pk, "n": criteria.index(found[0]) + 1, "text": crit.text,
            "verified": crit.verified}  # fmt: skip
    mark = "✓" if crit.verified else "☐"
    c.emit(data, text=f"{mark} {req.key} criterion {data['n']}: {crit.text}")


@_command("close")
def req_close(
    c: _Call,
    key: KeyArg,
    reason: Annotated[
        str, typer.Argument(help="done, subdivided, duplicate, postponed, will_not_do, cancelled, by_design.")
    ],
    version: VersionOpt,
    duplicate_of: Annotated[
        str | None, typer.Option("--duplicate-of", help="The requirement this one duplicates.")
    ] = None,
    note: NoteOpt = "",
) -> None:
    """Close a requirement with a reason ('done' needs every acceptance criterion verified)."""
    from pmloop.requirements import services

    req = _requirement(c.actor, key)
    dup_id = _requirement(c.actor, duplicate_of).pk if duplicate_of else None
    req = services.close_requirement(actor=c.actor, requirement_id=req.pk, expected_version=version,
                                     reason=reason.strip().lower(), duplicate_of_id=dup_id, note=note)  # fmt: skip
    c.done(req, f"Closed {req.key} ({req.get_close_reason_display()})")


@_command("reopen")
def req_reopen(
    c: _Call,
    key: KeyArg,
    version: VersionOpt,
    note: Annotated[str, typer.Option("--note", help="Why it is reopened (required).")] = "",
) -> None:
    """Reopen a closed requirement (back to draft)."""
    from pmloop.requirements import services

    req = services.reopen_requirement(
        actor=c.actor, requirement_id=_requirement(c.actor, key).pk, expected_version=version, note=note
    )
    c.done(req, f"Reopened {req.key} as a draft")


# ---- documents ---------------------------------------------------------------------------------
FORMATS = {"md": ".md", "docx": ".docx"}


@_command("export")
def req_export(
    c: _Call,
    key: KeyArg,
    fmt: Annotated[str, typer.Option("--format", help="md or docx.")] = "md",
    *,
    to: ExportTo,
) -> None:
    """Export a requirement on the PRD template: Markdown (to standard output unless -o) or
    Word (to KEY.docx unless -o)."""
    from pmloop.core.errors import InvalidInput
    from pmloop.requirements import documents, exporters

    fmt = fmt.strip().lower()
    if fmt not in FORMATS:
        raise InvalidInput("--format must be md or docx.", field="format")
    req = _requirement(c.actor, key)
    output = Path("-") if fmt == "md" and to.output is None else to.output
    target = _target(output, f"{req.key}{FORMATS[fmt]}", to.force)
    with _language(to.lang):
        doc = documents.requirement_doc(actor=c.actor, requirement_id=req.pk)
        content = (
            exporters.requirement_markdown(doc).encode("utf-8")
            if fmt == "md"
            else exporters.requirement_docx(doc)
        )
    _write(c.r, target, content, c.json, f"{req.key} ({fmt})")


def _xlsx_only(fmt: str) -> None:
    if fmt.strip().lower() != "xlsx":
        from pmloop.core.errors import InvalidInput

        raise InvalidInput("--format must be xlsx.", field="format")


@_command("export-list")
def req_export_list(c: _Call, fmt: XlsxFormatOpt = "xlsx", *, filters: ListFilters, to: ExportTo) -> None:
    """Export a requirement list (the `list` filters) as an Excel sheet."""
    from django.utils import timezone

    from pmloop.requirements import documents, exporters

    _xlsx_only(fmt)
    query = filters.query(c)
    prefix = filters.product.upper() if filters.product else "pmloop"
    target = _target(to.output, f"{prefix}-requirements-{timezone.localdate().isoformat()}.xlsx", to.force)
    with _language(to.lang):
        content = exporters.requirements_xlsx(documents.list_rows(actor=c.actor, query=query))
    _write(c.r, target, content, c.json, "the requirement list")


@_command("matrix")
def req_matrix(
    c: _Call,
    product: Annotated[str, typer.Argument(help="Product code, e.g. IMSDK.")],
    fmt: XlsxFormatOpt = "xlsx",
    *,
    to: ExportTo,
) -> None:
    """Export a product's traceability matrix: pool item ↔ requirement ↔ review ↔ stage."""
    from django.utils import timezone

    from pmloop.requirements import documents, exporters

    _xlsx_only(fmt)
    p = c.r.product(c.actor, product)
    target = _target(to.output, f"{p.code}-traceability-{timezone.localdate().isoformat()}.xlsx", to.force)
    with _language(to.lang):
        content = exporters.matrix_xlsx(documents.matrix_lines(actor=c.actor, product_id=p.pk))
    _write(c.r, target, content, c.json, f"the traceability matrix of {p.code}")


@_command("diff")
def req_diff(
    c: _Call,
    key: KeyArg,
    a: Annotated[int, typer.Argument(help="The older spec version, e.g. 1.")],
    b: Annotated[int, typer.Argument(help="The newer spec version, e.g. 2.")],
) -> None:
    """Show what changed between two spec versions, section by section."""
    from pmloop.requirements import selectors

    req = _requirement(c.actor, key)
    d = selectors.diff_versions(actor=c.actor, requirement_id=req.pk, a=a, b=b)
    if c.json:
        c.r.print_json({"requirement": req.key, "a": a, "b": b, "sections": [
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
@_session
def inbox(
    c: _Call,
    unread: Annotated[bool, typer.Option("--unread", help="Only unread notifications.")] = False,
    mark_read: Annotated[bool, typer.Option("--mark-read", help="Mark the ones shown as read.")] = False,
    limit: Annotated[
        int, typer.Option("--limit", min=1, max=500, help="At most this many, newest first.")
    ] = 50,
) -> None:
    """Your notifications: review requests, verdicts, changes, releases."""
    from pmloop.notifications import selectors, services

    shown = list(selectors.inbox(actor=c.actor, unread_only=unread)[:limit])
    marked = 0
    if mark_read:
        ids = [n.pk for n in shown if n.read_at is None]
        marked = services.mark_read(actor=c.actor, notification_ids=ids) if ids else 0
    # Worded now, in the active language, not the sender's (notifications.kinds).
    items = [{"id": n.pk, "kind": n.kind, "title": t.title, "body": t.body, "url": t.url,
              "product_id": n.product_id, "created_at": n.created_at, "read": n.read_at is not None}
             for n, t in ((n, n.rendered()) for n in shown)]  # fmt: skip
    if c.json:
        c.r.print_json({"items": items, "marked_read": marked})
        return
    c.emit(items, columns=["id", "when", "", "title"],
           rows=[[i["id"], _local(i["created_at"]), "" if i["read"] else "●", i["title"]]
                 for i in items])  # fmt: skip
    if mark_read:
        c.r.note(f"{marked} marked read.")


def _local(value) -> str:
    from django.utils import timezone

    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M")
