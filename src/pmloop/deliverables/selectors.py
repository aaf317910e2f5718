"""Reads of launch kits, and the read models the document exporters are fed with."""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.core.actor import Actor
from pmloop.core.errors import InvalidInput, NotFound
from pmloop.deliverables.exporters import documents as docs
from pmloop.deliverables.models import Attendee, ChecklistItem, LaunchKit, TrainingSession
from pmloop.plans import selectors as plan_selectors
from pmloop.plans.models import Release
from pmloop.requirements.models import RequirementVersion


def _name(user) -> str:
    return str(user) if user is not None else ""


@dataclass
class KitView:
    release: Release
    kit: LaunchKit | None
    items: list[ChecklistItem]
    sessions: list[TrainingSession]

    @property
    def signed_off(self) -> int:
        return sum(1 for i in self.items if i.signed_off)


def kit_for_release(*, actor: Actor, release_id: int) -> KitView:
    """The release and its launch kit (None until opened), with checklist and sessions."""
    release = plan_selectors.get_release(actor=actor, release_id=release_id)
    kit = LaunchKit.objects.filter(release_id=release.pk).first()
    if kit is None:
        return KitView(release, None, [], [])
    items = list(kit.items.select_related("owner", "signed_off_by").order_by("position", "id"))
    sessions = list(
        kit.sessions.select_related("trainer", "customer")
        .prefetch_related("attendees")
        .order_by("starts_at", "id")
    )
    return KitView(release, kit, items, sessions)


def get_session(*, actor: Actor, session_id: int) -> TrainingSession:
    s = (
        TrainingSession.objects.select_related("kit__release", "trainer", "customer")
        .filter(pk=session_id)
        .first()
    )
    if s is None or not acl.can_see(actor, s.kit.product_id):
        raise NotFound(_("No such training session."), code="session_not_found")
    return s


def get_item(*, actor: Actor, item_id: int) -> ChecklistItem:
    item = ChecklistItem.objects.select_related("kit", "owner").filter(pk=item_id).first()
    if item is None or not acl.can_see(actor, item.kit.product_id):
        raise NotFound(_("No such checklist item."), code="checklist_item_not_found")
    return item


def get_attendee(*, actor: Actor, attendee_id: int) -> Attendee:
    person = Attendee.objects.select_related("session__kit").filter(pk=attendee_id).first()
    if person is None or not acl.can_see(actor, person.session.kit.product_id):
        raise NotFound(_("No such attendee."), code="attendee_not_found")
    return person


# ---- read models for the documents ------------------------------------------------------------
def release_data(*, actor: Actor, release_id: int) -> docs.ReleaseData:
    """What a release ships. A released release reads its frozen content: each requirement's
    spec at the version it shipped with, whatever changed since."""
    release = plan_selectors.get_release(actor=actor, release_id=release_id)
    items = plan_selectors.release_items(actor=actor, release_id=release.pk)
    frozen = {}
    if release.frozen:
        wanted = [(i.requirement_id, i.snapshot.get("spec_version")) for i in items if i.snapshot]
        for v in RequirementVersion.objects.filter(requirement_id__in=[r for r, _n in wanted]):
            if (v.requirement_id, v.number) in wanted:
                frozen[v.requirement_id] = v
    shipped = []
    for i in items:
        r = i.requirement
        version = frozen.get(r.pk)
        spec = dict(version.spec if version else r.spec or {})
        title = version.title if version else r.title
        shipped.append(docs.ShippedRequirement(
            key=r.key, title=title, module=(i.snapshot or {}).get("module") or (r.module.name if r.module_id else ""),
            category=str(r.get_category_display()), stage=str(r.get_stage_display()),
            summary=spec.get("summary") or "", value=spec.get("value") or "", scenarios=list(spec.get("scenarios") or []),
            functional_design=spec.get("functional_design") or "", override_reason=i.override_reason,
        ))  # fmt: skip
    return docs.ReleaseData(
        product=release.product.name, version=release.version_name, title=release.title,
        description=release.description, status=str(release.get_status_display()), released=release.frozen,
        day=release.date, manager=_name(release.manager), requirements=shipped, generated_at=timezone.now(),
    )  # fmt: skip


def checklist_data(*, actor: Actor, release_id: int) -> docs.ChecklistData:
    view = kit_for_release(actor=actor, release_id=release_id)
    rel = release_data(actor=actor, release_id=release_id)
    return docs.ChecklistData(release=rel, items=[
        docs.CheckLine(category=str(i.get_category_display()), title=i.title, owner=_name(i.owner),
                       signed_off_by=_name(i.signed_off_by), signed_off_at=i.signed_off_at, note=i.note)
        for i in view.items
    ])  # fmt: skip


def _session_data(s: TrainingSession) -> docs.SessionData:
    return docs.SessionData(
        title=s.title, starts_at=s.starts_at, duration_minutes=s.duration_minutes, location=s.location,
        audience=s.audience, trainer=_name(s.trainer), customer=s.customer.name if s.customer_id else "",
        agenda=s.agenda,
        attendees=[docs.AttendeeLine(a.name, a.organisation, a.contact, a.signed_in_at) for a in s.attendees.all()],
    )  # fmt: skip


def training_data(*, actor: Actor, release_id: int) -> docs.TrainingData:
    view = kit_for_release(actor=actor, release_id=release_id)
    rel = release_data(actor=actor, release_id=release_id)
    return docs.TrainingData(release=rel, goal=view.kit.training_goal if view.kit else "",
                             sessions=[_session_data(s) for s in view.sessions])  # fmt: skip


def session_data(*, actor: Actor, session_id: int) -> tuple[docs.SessionData, docs.ReleaseData]:
    s = get_session(actor=actor, session_id=session_id)
    rel = release_data(actor=actor, release_id=s.kit.release_id)
    return _session_data(s), rel


# ---- documents as files -------------------------------------------------------------------------
DOCUMENTS = ("notes", "manual", "checklist", "training")
DOC_FORMATS = {"notes": ("md", "docx", "pdf"), "manual": ("md", "docx", "pdf"),
               "checklist": ("md", "docx", "pdf", "xlsx"), "training": ("md", "docx", "pdf")}  # fmt: skip
ATTENDANCE_FORMATS = ("md", "docx", "pdf", "xlsx")
FILE_STEMS = {"notes": "release-notes", "manual": "user-manual", "checklist": "launch-checklist",
              "training": "training-plan"}  # fmt: skip


def _check_format(fmt: str, allowed: tuple[str, ...]) -> None:
    if fmt not in allowed:
        raise InvalidInput(_("Format must be one of: %(f)s.") % {"f": ", ".join(allowed)}, field="format")


def _slug(text: str) -> str:
    import re

    return re.sub(r"[^\w.-]+", "-", text, flags=re.UNICODE).strip("-") or "release"


def release_document(*, actor: Actor, release_id: int, doc: str, fmt: str) -> tuple[bytes, str, str]:
    """(content, file name, content type) of a release's launch document."""
    if doc not in DOCUMENTS:
        raise InvalidInput(_("Document must be one of: %(d)s.") % {"d": ", ".join(DOCUMENTS)}, field="doc")
    _check_format(fmt, DOC_FORMATS[doc])
    release = plan_selectors.get_release(actor=actor, release_id=release_id)
    name = f"{release.product.code}-{_slug(release.version_name)}-{FILE_STEMS[doc]}.{fmt}"
    if doc == "checklist":
        data = checklist_data(actor=actor, release_id=release_id)
        if fmt == "xlsx":
            return docs.checklist_xlsx(data), name, docs.blocks.XLSX_TYPE
        document = docs.checklist(data)
    elif doc == "training":
        document = docs.training_plan(training_data(actor=actor, release_id=release_id))
    else:
        rel = release_data(actor=actor, release_id=release_id)
        document = docs.release_notes(rel) if doc == "notes" else docs.manual(rel)
    content, ctype = docs.render(document, fmt)
    return content, name, ctype


def attendance_document(*, actor: Actor, session_id: int, fmt: str) -> tuple[bytes, str, str]:
    _check_format(fmt, ATTENDANCE_FORMATS)
    session, rel = session_data(actor=actor, session_id=session_id)
    s = get_session(actor=actor, session_id=session_id)
    name = f"{s.kit.release.product.code}-{_slug(rel.version)}-sign-in-{s.pk}.{fmt}"
    if fmt == "xlsx":
        return docs.attendance_xlsx(session), name, docs.blocks.XLSX_TYPE
    content, ctype = docs.render(docs.attendance(session, rel), fmt)
    return content, name, ctype
