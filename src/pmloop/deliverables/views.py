"""The launch-kit page (checklist, training, attendance) and the document downloads."""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from pmloop.accounts import permissions as acl
from pmloop.accounts import selectors as account_selectors
from pmloop.core.errors import DomainError
from pmloop.core.http import actor_of
from pmloop.deliverables import permissions as perms
from pmloop.deliverables import selectors, services
from pmloop.deliverables.forms import (
    AttendeeForm,
    ChecklistItemForm,
    KitForm,
    OwnerForm,
    RevokeForm,
    SessionForm,
    SignOffForm,
)
from pmloop.deliverables.selectors import DOC_FORMATS


def _members(actor, product_id: int) -> list:
    return [m.user for m in account_selectors.list_members(actor=actor, product_id=product_id)]


def _kit_page(request, release_id: int, status: int = 200, **forms):
    actor = actor_of(request)
    view = selectors.kit_for_release(actor=actor, release_id=release_id)
    release = view.release
    pid = release.product_id
    members = _members(actor, pid)
    context = {
        "product": release.product, "release": release, "view": view, "kit": view.kit, "tab": "releases",
        "can_edit": acl.can(actor, perms.EDIT, product_id=pid),
        "can_train": acl.can(actor, perms.TRAINING, product_id=pid),
        "can_sign": acl.can(actor, perms.SIGN_OFF, product_id=pid),
        "me": actor.user_id, "members": members, "doc_formats": DOC_FORMATS,
        "kit_form": forms.get("kit_form") or KitForm(),
        "item_form": forms.get("item_form") or ChecklistItemForm(members=members),
        "session_form": forms.get("session_form") or SessionForm(members=members),
        "error": forms.get("error"),
    }  # fmt: skip
    return render(request, "deliverables/kit.html", context, status=status)


@login_required
def kit(request, release_id: int):
    return _kit_page(request, release_id)


def _act(request, release_id: int, call, done: str, form=None, form_name: str | None = None):
    try:
        call()
    except DomainError as exc:
        if form is not None and form_name:
            form.add_domain_error(exc)
            return _kit_page(request, release_id, exc.status, **{form_name: form})
        return _kit_page(request, release_id, exc.status, error=exc.message)
    messages.success(request, done)
    return redirect("deliverables:kit", release_id=release_id)


@login_required
@require_POST
def kit_open(request, release_id: int):
    form = KitForm(request.POST)
    if not form.is_valid():
        return _kit_page(request, release_id, 422, kit_form=form)
    return _act(request, release_id, lambda: services.open_launch_kit(
        actor=actor_of(request), release_id=release_id, **form.cleaned_data),
        _("Launch kit opened with the standard checklist."), form, "kit_form")  # fmt: skip


@login_required
@require_POST
def item_add(request, release_id: int, kit_id: int):
    actor = actor_of(request)
    view = selectors.kit_for_release(actor=actor, release_id=release_id)
    form = ChecklistItemForm(request.POST, members=_members(actor, view.release.product_id))
    if not form.is_valid():
        return _kit_page(request, release_id, 422, item_form=form)
    return _act(request, release_id, lambda: services.add_checklist_item(actor=actor, kit_id=kit_id, **form.cleaned_data),
                _("Checklist item added."), form, "item_form")  # fmt: skip


@login_required
@require_POST
def item_owner(request, release_id: int, item_id: int):
    actor = actor_of(request)
    item = selectors.get_item(actor=actor, item_id=item_id)
    form = OwnerForm(request.POST, members=_members(actor, item.kit.product_id))
    if not form.is_valid():
        return _kit_page(request, release_id, 422, error=_("Choose an owner among the members."))
    return _act(request, release_id, lambda: services.update_checklist_item(
        actor=actor, item_id=item_id, expected_version=form.cleaned_data["version"],
        owner_id=form.cleaned_data["owner_id"]), _("Owner changed."))  # fmt: skip


@login_required
@require_POST
def item_sign_off(request, release_id: int, item_id: int):
    form = SignOffForm(request.POST)
    if not form.is_valid():
        return _kit_page(request, release_id, 422, error=_("Reload the page and sign off again."))
    return _act(request, release_id, lambda: services.sign_off(
        actor=actor_of(request), item_id=item_id, expected_version=form.cleaned_data["version"],
        note=form.cleaned_data["note"]), _("Signed off."))  # fmt: skip


@login_required
@require_POST
def item_revoke(request, release_id: int, item_id: int):
    form = RevokeForm(request.POST)
    if not form.is_valid():
        return _kit_page(request, release_id, 422, error=_("Say why the sign-off is revoked."))
    return _act(request, release_id, lambda: services.revoke_sign_off(
        actor=actor_of(request), item_id=item_id, expected_version=form.cleaned_data["version"],
        reason=form.cleaned_data["reason"]), _("Sign-off revoked."))  # fmt: skip


@login_required
@require_POST
def kit_goal(request, release_id: int, kit_id: int):
    form = KitForm(request.POST)
    version = request.POST.get("version", "")
    if not form.is_valid() or not version.isdigit():
        return _kit_page(request, release_id, 422, kit_form=form)
    return _act(request, release_id, lambda: services.update_launch_kit(
        actor=actor_of(request), kit_id=kit_id, expected_version=int(version),
        training_goal=form.cleaned_data["training_goal"]), _("Training goal saved."), form, "kit_form")  # fmt: skip


@login_required
@require_POST
def session_add(request, release_id: int, kit_id: int):
    actor = actor_of(request)
    view = selectors.kit_for_release(actor=actor, release_id=release_id)
    form = SessionForm(request.POST, members=_members(actor, view.release.product_id))
    if not form.is_valid():
        return _kit_page(request, release_id, 422, session_form=form)
    return _act(request, release_id, lambda: services.add_training_session(actor=actor, kit_id=kit_id, **form.cleaned_data),
                _("Training session planned."), form, "session_form")  # fmt: skip


@login_required
@require_POST
def attendee_add(request, release_id: int, session_id: int):
    form = AttendeeForm(request.POST)
    if not form.is_valid():
        return _kit_page(request, release_id, 422, error=_("Give the attendee's name."))
    return _act(request, release_id, lambda: services.add_attendee(
        actor=actor_of(request), session_id=session_id, **form.cleaned_data), _("Added to the sign-in sheet."))  # fmt: skip


@login_required
@require_POST
def attendance(request, release_id: int, attendee_id: int):
    signed = request.POST.get("signed_in") == "1"
    return _act(request, release_id, lambda: services.set_attendance(
        actor=actor_of(request), attendee_id=attendee_id, signed_in=signed),
        _("Signed in.") if signed else _("Sign-in cleared."))  # fmt: skip


# ---- downloads --------------------------------------------------------------------------------
def _download(content: bytes, filename: str, content_type: str) -> HttpResponse:
    ascii_name = unicodedata.normalize("NFKD", filename).encode("ascii", "ignore").decode()
    ascii_name = re.sub(r"[^A-Za-z0-9._-]+", "_", ascii_name).strip("_") or "download"
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response["Content-Length"] = str(len(content))
    response["Cache-Control"] = "private, no-store"
    return response


@login_required
@require_GET
def download(request, release_id: int, doc: str, fmt: str):
    return _download(
        *selectors.release_document(actor=actor_of(request), release_id=release_id, doc=doc, fmt=fmt)
    )


@login_required
@require_GET
def attendance_download(request, session_id: int, fmt: str):
    return _download(*selectors.attendance_document(actor=actor_of(request), session_id=session_id, fmt=fmt))
