"""`pmloop release notes|manual` and `pmloop launch …`: the launch kit from the command line.

``pmloop release notes v3.2 --format docx`` writes the release notes; ``manual`` the user
manual. ``pmloop launch`` opens a release's kit, lists and signs off its checklist, plans
training sessions, keeps the sign-in sheet and exports the checklist, training plan and sheets.
The commands join the ``release`` group of ``pmloop.plans.cli`` (this app sits above plans)."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pmloop.plans.cli import (
    AsOpt,
    ForceOpt,
    JsonOpt,
    LangOpt,
    OutputOpt,
    ProductOpt,
    VersionNameArg,
    VersionOpt,
    find_release,
    language,
    release_app,
    rt,
    write_output,
)

launch_app = typer.Typer(help="Launch kits (上线准备): checklist sign-off, training (培训), sign-in sheets (签到表).",
                         no_args_is_help=True)  # fmt: skip

FormatOpt = Annotated[str, typer.Option("--format", "-f", help="md, docx or pdf (the checklist also xlsx).")]


def _document(ctx, version_name, product, doc, fmt, output, force, lang, as_user, as_json) -> None:
    r = rt(ctx, as_json)
    from pmloop.deliverables import selectors

    actor = r.actor(as_user)
    with language(lang):
        release = find_release(r, actor, version_name, product)
        content, name, _ctype = selectors.release_document(
            actor=actor, release_id=release.pk, doc=doc, fmt=fmt
        )
    write_output(r, content, name, output, force, as_json)


@release_app.command("notes")
def release_notes(ctx: typer.Context, version_name: VersionNameArg, fmt: FormatOpt = "md", product: ProductOpt = None,
                  output: OutputOpt = None, force: ForceOpt = False, lang: LangOpt = None, as_user: AsOpt = None,
                  as_json: JsonOpt = False) -> None:  # fmt: skip
    """Write a release's notes (发布说明) as Markdown, Word or PDF."""
    _document(ctx, version_name, product, "notes", fmt, output, force, lang, as_user, as_json)


@release_app.command("manual")
def release_manual(ctx: typer.Context, version_name: VersionNameArg, fmt: FormatOpt = "docx", product: ProductOpt = None,
                   output: OutputOpt = None, force: ForceOpt = False, lang: LangOpt = None, as_user: AsOpt = None,
                   as_json: JsonOpt = False) -> None:  # fmt: skip
    """Write the user manual (操作使用说明书): a section per requirement."""
    _document(ctx, version_name, product, "manual", fmt, output, force, lang, as_user, as_json)


@launch_app.command("open")
def launch_open(ctx: typer.Context, version_name: VersionNameArg, product: ProductOpt = None,
                goal: Annotated[str, typer.Option("--goal", help="The customer training goal.")] = "",
                as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Open a release's launch kit with the standard checklist."""
    r = rt(ctx, as_json)
    from pmloop.deliverables import services

    actor = r.actor(as_user)
    kit = services.open_launch_kit(actor=actor, release_id=find_release(r, actor, version_name, product).pk,
                                   training_goal=goal)  # fmt: skip
    r.emit({"kit_id": kit.pk}, as_json=as_json, text=f"Opened launch kit {kit.pk} for {version_name}.")


def _item_out(i) -> dict[str, Any]:
    return {"id": i.pk, "category": i.category, "title": i.title, "owner": i.owner.username,
            "signed_off_by": i.signed_off_by.username if i.signed_off_by_id else None,
            "signed_off_at": i.signed_off_at, "version": i.version}  # fmt: skip


@launch_app.command("checklist")
def launch_checklist(ctx: typer.Context, version_name: VersionNameArg, product: ProductOpt = None,
                     as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """A release's launch checklist: each item, its owner and sign-off."""
    r = rt(ctx, as_json)
    from pmloop.deliverables import selectors

    actor = r.actor(as_user)
    view = selectors.kit_for_release(actor=actor, release_id=find_release(r, actor, version_name, product).pk)
    items = [_item_out(i) for i in view.items]
    r.emit(items, as_json=as_json, columns=["id", "category", "item", "owner", "signed off", "version"],
           rows=[[i["id"], i["category"], i["title"], i["owner"], i["signed_off_by"] or "—", i["version"]] for i in items])  # fmt: skip


@launch_app.command("sign-off")
def launch_sign_off(ctx: typer.Context, item_id: Annotated[int, typer.Argument(help="Checklist item id.")],
                    version: VersionOpt, note: Annotated[str, typer.Option("--note", help="e.g. the test report.")] = "",
                    as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Sign off a checklist item (its owner only)."""
    r = rt(ctx, as_json)
    from pmloop.deliverables import services

    item = services.sign_off(actor=r.actor(as_user), item_id=item_id, expected_version=version, note=note)
    r.emit(_item_out(item), as_json=as_json, text=f"Signed off '{item.title}'.")


@launch_app.command("session")
def launch_session(
    ctx: typer.Context, version_name: VersionNameArg, title: Annotated[str, typer.Argument(help="Session title.")],
    starts: Annotated[str, typer.Option("--starts", help="e.g. '2026-12-02 14:00'.")],
    minutes: Annotated[int, typer.Option("--minutes", help="Duration.")] = 60,
    location: Annotated[str, typer.Option("--location")] = "", product: ProductOpt = None,
    as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Plan a customer training session."""
    r = rt(ctx, as_json)
    from pmloop.deliverables import selectors, services

    actor = r.actor(as_user)
    view = selectors.kit_for_release(actor=actor, release_id=find_release(r, actor, version_name, product).pk)
    if view.kit is None:
        from pmloop.core.errors import GuardFailed

        raise GuardFailed(f"Release {version_name} has no launch kit yet: `pmloop launch open {version_name}`.",
                          code="no_kit")  # fmt: skip
    s = services.add_training_session(actor=actor, kit_id=view.kit.pk, title=title, starts_at=starts,
                                      duration_minutes=minutes, location=location)  # fmt: skip
    r.emit({"session_id": s.pk}, as_json=as_json, text=f"Planned session {s.pk}: {s.title}.")


@launch_app.command("attendee")
def launch_attendee(ctx: typer.Context, session_id: Annotated[int, typer.Argument(help="Session id.")],
                    name: Annotated[str, typer.Argument(help="Full name.")],
                    organisation: Annotated[str, typer.Option("--org", help="Company or school.")] = "",
                    contact: Annotated[str, typer.Option("--contact")] = "",
                    signed_in: Annotated[bool, typer.Option("--signed-in", help="Mark them signed in now.")] = False,
                    as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Put someone on a session's sign-in sheet (optionally signed in)."""
    r = rt(ctx, as_json)
    from pmloop.deliverables import services

    actor = r.actor(as_user)
    person = services.add_attendee(actor=actor, session_id=session_id, name=name, organisation=organisation,
                                   contact=contact)  # fmt: skip
    if signed_in:
        person = services.set_attendance(actor=actor, attendee_id=person.pk, signed_in=True)
    r.emit({"attendee_id": person.pk}, as_json=as_json, text=f"Added {person.name} (id {person.pk}).")


@launch_app.command("export")
def launch_export(
    ctx: typer.Context, version_name: VersionNameArg,
    doc: Annotated[str, typer.Option("--doc", help="checklist, training, notes or manual.")] = "checklist",
    fmt: FormatOpt = "xlsx", product: ProductOpt = None, output: OutputOpt = None, force: ForceOpt = False,
    lang: LangOpt = None, as_user: AsOpt = None, as_json: JsonOpt = False,
) -> None:  # fmt: skip
    """Write a launch document (default: the checklist as Excel)."""
    _document(ctx, version_name, product, doc, fmt, output, force, lang, as_user, as_json)


@launch_app.command("attendance")
def launch_attendance(ctx: typer.Context, session_id: Annotated[int, typer.Argument(help="Session id.")],
                      fmt: FormatOpt = "xlsx", output: OutputOpt = None, force: ForceOpt = False, lang: LangOpt = None,
                      as_user: AsOpt = None, as_json: JsonOpt = False) -> None:  # fmt: skip
    """Write a session's sign-in sheet (签到表) as xlsx, pdf, docx or md."""
    r = rt(ctx, as_json)
    from pmloop.deliverables import selectors

    with language(lang):
        content, name, _ctype = selectors.attendance_document(
            actor=r.actor(as_user), session_id=session_id, fmt=fmt
        )
    write_output(r, content, name, output, force, as_json)
