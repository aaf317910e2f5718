"""The launch-kit API: checklist, sign-offs, training sessions, attendance, documents."""

from __future__ import annotations

import base64

from django.http import HttpRequest
from ninja import Query, Router, Status

from pmloop.core.http import ERRORS, READ_ERRORS, actor_of, requires
from pmloop.deliverables import permissions as perms
from pmloop.deliverables import selectors, services
from pmloop.deliverables.schemas import (
    AttendanceIn,
    AttendeeIn,
    AttendeeOut,
    ChecklistItemIn,
    ChecklistItemOut,
    ChecklistItemPatch,
    DocumentOut,
    KitIn,
    KitOut,
    KitPatch,
    RevokeIn,
    SessionIn,
    SessionOut,
    SignOffIn,
)
from pmloop.plans.schemas import VersionIn

router = Router(tags=["launch kits"])


def _session(s) -> dict:
    return {**{k: getattr(s, k) for k in ("id", "title", "starts_at", "duration_minutes", "location", "audience",
                                          "trainer_id", "customer_id", "agenda", "version")},
            "attendees": list(s.attendees.all())}  # fmt: skip


def kit_out(request: HttpRequest, release_id: int) -> dict:
    view = selectors.kit_for_release(actor=actor_of(request), release_id=release_id)
    return {"id": view.kit.pk if view.kit else None, "release_id": view.release.pk,
            "training_goal": view.kit.training_goal if view.kit else "", "version": view.kit.version if view.kit else None,
            "signed_off": view.signed_off, "items": view.items, "sessions": [_session(s) for s in view.sessions]}  # fmt: skip


@router.get("/releases/{int:release_id}", response={200: KitOut, **READ_ERRORS},
            summary="A release's launch kit (id null until opened)", openapi_extra=requires(perms.VIEW))  # fmt: skip
def get_kit(request: HttpRequest, release_id: int):
    return kit_out(request, release_id)


@router.post("/releases/{int:release_id}", response={201: KitOut, **ERRORS},
             summary="Open the launch kit (standard checklist)", openapi_extra=requires(perms.EDIT))  # fmt: skip
def open_kit(request: HttpRequest, release_id: int, body: KitIn):
    services.open_launch_kit(actor=actor_of(request), release_id=release_id, training_goal=body.training_goal)
    return Status(201, kit_out(request, release_id))


@router.patch("/kits/{int:kit_id}", response={200: KitOut, **ERRORS}, summary="Change the training goal",
              openapi_extra=requires(perms.TRAINING))  # fmt: skip
def update_kit(request: HttpRequest, kit_id: int, body: KitPatch):
    kit = services.update_launch_kit(actor=actor_of(request), kit_id=kit_id, expected_version=body.version,
                                     training_goal=body.training_goal)  # fmt: skip
    return kit_out(request, kit.release_id)


@router.post("/kits/{int:kit_id}/items", response={201: ChecklistItemOut, **ERRORS},
             summary="Add a checklist item", openapi_extra=requires(perms.EDIT))  # fmt: skip
def add_item(request: HttpRequest, kit_id: int, body: ChecklistItemIn):
    return Status(201, services.add_checklist_item(actor=actor_of(request), kit_id=kit_id, **body.dict()))


@router.patch("/items/{int:item_id}", response={200: ChecklistItemOut, **ERRORS},
              summary="Rename or hand over a checklist item", openapi_extra=requires(perms.EDIT))  # fmt: skip
def update_item(request: HttpRequest, item_id: int, body: ChecklistItemPatch):
    data = body.dict(exclude_unset=True)
    version = data.pop("version")
    return services.update_checklist_item(
        actor=actor_of(request), item_id=item_id, expected_version=version, **data
    )


@router.delete("/items/{int:item_id}", response={204: None, **ERRORS}, summary="Delete a checklist item",
               openapi_extra=requires(perms.EDIT))  # fmt: skip
def delete_item(request: HttpRequest, item_id: int, version: Query[VersionIn]):
    services.delete_checklist_item(actor=actor_of(request), item_id=item_id, expected_version=version.version)
    return Status(204, None)


@router.post("/items/{int:item_id}/sign-off", response={200: ChecklistItemOut, **ERRORS},
             summary="Sign off a checklist item (its owner)", openapi_extra=requires(perms.SIGN_OFF))  # fmt: skip
def sign_off(request: HttpRequest, item_id: int, body: SignOffIn):
    return services.sign_off(
        actor=actor_of(request), item_id=item_id, expected_version=body.version, note=body.note
    )


@router.post("/items/{int:item_id}/revoke", response={200: ChecklistItemOut, **ERRORS},
             summary="Revoke a sign-off, with a reason", openapi_extra=requires(perms.SIGN_OFF))  # fmt: skip
def revoke(request: HttpRequest, item_id: int, body: RevokeIn):
    return services.revoke_sign_off(actor=actor_of(request), item_id=item_id, expected_version=body.version,
                                    reason=body.reason)  # fmt: skip


@router.post("/kits/{int:kit_id}/sessions", response={201: SessionOut, **ERRORS},
             summary="Plan a customer training session", openapi_extra=requires(perms.TRAINING))  # fmt: skip
def add_session(request: HttpRequest, kit_id: int, body: SessionIn):
    s = services.add_training_session(actor=actor_of(request), kit_id=kit_id, **body.dict())
    return Status(201, _session(s))


@router.delete("/sessions/{int:session_id}", response={204: None, **ERRORS},
               summary="Delete a training session nobody signed in to", openapi_extra=requires(perms.TRAINING))  # fmt: skip
def delete_session(request: HttpRequest, session_id: int, version: Query[VersionIn]):
    services.delete_training_session(
        actor=actor_of(request), session_id=session_id, expected_version=version.version
    )
    return Status(204, None)


@router.post("/sessions/{int:session_id}/attendees", response={201: AttendeeOut, **ERRORS},
             summary="Put someone on the sign-in sheet", openapi_extra=requires(perms.TRAINING))  # fmt: skip
def add_attendee(request: HttpRequest, session_id: int, body: AttendeeIn):
    return Status(201, services.add_attendee(actor=actor_of(request), session_id=session_id, **body.dict()))


@router.post("/attendees/{int:attendee_id}/attendance", response={200: AttendeeOut, **ERRORS},
             summary="Mark (or clear) a sign-in", openapi_extra=requires(perms.TRAINING))  # fmt: skip
def set_attendance(request: HttpRequest, attendee_id: int, body: AttendanceIn):
    return services.set_attendance(actor=actor_of(request), attendee_id=attendee_id, signed_in=body.signed_in)


@router.delete("/attendees/{int:attendee_id}", response={204: None, **ERRORS},
               summary="Take someone off the sign-in sheet", openapi_extra=requires(perms.TRAINING))  # fmt: skip
def remove_attendee(request: HttpRequest, attendee_id: int):
    services.remove_attendee(actor=actor_of(request), attendee_id=attendee_id)
    return Status(204, None)


def _document_out(content: bytes, filename: str, content_type: str) -> dict:
    return {"filename": filename, "content_type": content_type, "size": len(content),
            "content_base64": base64.b64encode(content).decode("ascii")}  # fmt: skip


@router.get("/releases/{int:release_id}/documents/{doc}", response={200: DocumentOut, **READ_ERRORS},
            summary="A launch document (notes, manual, checklist, training) as md, docx, pdf or xlsx, base64",
            openapi_extra=requires(perms.VIEW))  # fmt: skip
def release_document(request: HttpRequest, release_id: int, doc: str, format: str = "md"):
    return _document_out(
        *selectors.release_document(actor=actor_of(request), release_id=release_id, doc=doc, fmt=format)
    )


@router.get("/sessions/{int:session_id}/attendance", response={200: DocumentOut, **READ_ERRORS},
            summary="A session's sign-in sheet as md, docx, pdf or xlsx, base64", openapi_extra=requires(perms.VIEW))  # fmt: skip
def attendance_document(request: HttpRequest, session_id: int, format: str = "xlsx"):
    return _document_out(
        *selectors.attendance_document(actor=actor_of(request), session_id=session_id, fmt=format)
    )
