"""Launch kits: the checklist (owner and sign-off per item), training sessions, attendance."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as acl
from pmloop.accounts.models import Membership
from pmloop.audit import services as audit
from pmloop.core import events
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied
from pmloop.deliverables import permissions as perms
from pmloop.deliverables.choices import DEFAULT_CHECKLIST, CheckCategory
from pmloop.deliverables.models import Attendee, ChecklistItem, LaunchKit, TrainingSession
from pmloop.notifications import services as notifications
from pmloop.plans import selectors as plan_selectors

UNSET: Any = object()


def _text(value: str | None, field: str, max_len: int = 200, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise InvalidInput(_("This field is required."), field=field)
    if len(value) > max_len:
        raise InvalidInput(_("At most %(n)s characters.") % {"n": max_len}, field=field)
    return value


def _member(product_id: int, user_id: int | None, field: str) -> None:
    if user_id is not None and not Membership.objects.filter(product_id=product_id, user_id=user_id).exists():
        raise InvalidInput(_("That user is not a member of this product."), field=field)


def kit_url(kit: LaunchKit) -> str:
    return f"/launch/releases/{kit.release_id}/"


def _lock_kit(actor: Actor, kit_id: int) -> LaunchKit:
    kit = LaunchKit.objects.select_for_update().select_related("release").filter(pk=kit_id).first()
    if kit is None or not acl.can_see(actor, kit.product_id):
        raise NotFound(_("No such launch kit."), code="kit_not_found")
    return kit


def _lock_item(actor: Actor, item_id: int) -> ChecklistItem:
    item = (
        ChecklistItem.objects.select_for_update()
        .select_related("kit__release", "owner")
        .filter(pk=item_id)
        .first()
    )
    if item is None or not acl.can_see(actor, item.kit.product_id):
        raise NotFound(_("No such checklist item."), code="checklist_item_not_found")
    return item


def _lock_session(actor: Actor, session_id: int) -> TrainingSession:
    s = TrainingSession.objects.select_for_update().select_related("kit").filter(pk=session_id).first()
    if s is None or not acl.can_see(actor, s.kit.product_id):
        raise NotFound(_("No such training session."), code="session_not_found")
    return s


# ---- the kit ----------------------------------------------------------------------------------
@transaction.atomic
def open_launch_kit(*, actor: Actor, release_id: int, training_goal: str = "") -> LaunchKit:
    """The release's launch kit, with the standard checklist (functional, performance and
    security test sign-off, docs, training), every item owned by the release manager until
    reassigned. Refused if the kit exists."""
    release = plan_selectors.get_release(actor=actor, release_id=release_id)
    acl.require(actor, perms.EDIT, product_id=release.product_id)
    if LaunchKit.objects.filter(release_id=release.pk).exists():
        raise GuardFailed(_("Release %(v)s already has a launch kit.") % {"v": release.version_name},
                          code="kit_exists")  # fmt: skip
    kit = LaunchKit.objects.create(release=release, product_id=release.product_id, created_by=actor.user,
                                   training_goal=_text(training_goal, "training_goal", 5000, required=False))  # fmt: skip
    audit.record(
        actor=actor, action="deliverables.kit_opened", obj=kit, object_repr=f"{release.version_name}"
    )
    for pos, (category, title) in enumerate(DEFAULT_CHECKLIST):
        item = ChecklistItem.objects.create(kit=kit, category=category, title=str(title), owner_id=release.manager_id,
                                            position=pos)  # fmt: skip
        audit.record(actor=actor, action="deliverables.item_added", obj=item)
    events.emit("deliverables.kit_opened", kit_id=kit.pk, release_id=release.pk, product_id=kit.product_id)
    return kit


@transaction.atomic
def update_launch_kit(
    *, actor: Actor, kit_id: int, expected_version: int | None, training_goal: str
) -> LaunchKit:
    kit = _lock_kit(actor, kit_id)
    acl.require(actor, perms.TRAINING, product_id=kit.product_id)
    kit.ensure_version(expected_version)
    before = audit.snapshot(kit)
    kit.training_goal = _text(training_goal, "training_goal", 5000, required=False)
    kit.bump_version()
    kit.save(update_fields=["training_goal", "version", "updated_at"])
    audit.record(actor=actor, action="deliverables.kit_updated", obj=kit, before=before)
    return kit


# ---- checklist --------------------------------------------------------------------------------
@transaction.atomic
def add_checklist_item(
    *, actor: Actor, kit_id: int, category: str, title: str, owner_id: int
) -> ChecklistItem:
    kit = _lock_kit(actor, kit_id)
    acl.require(actor, perms.EDIT, product_id=kit.product_id)
    if category not in CheckCategory.values:
        raise InvalidInput(_("Category must be one of: %(v)s.") % {"v": ", ".join(CheckCategory.values)},
                           field="category")  # fmt: skip
    if owner_id is None:
        raise InvalidInput(_("Every checklist item has an owner."), field="owner_id")
    _member(kit.product_id, owner_id, "owner_id")
    item = ChecklistItem.objects.create(kit=kit, category=category, title=_text(title, "title"), owner_id=owner_id,
                                        position=kit.items.count())  # fmt: skip
    audit.record(actor=actor, action="deliverables.item_added", obj=item)
    return item


@transaction.atomic
def update_checklist_item(
    *, actor: Actor, item_id: int, expected_version: int | None, title: str | None = None,
    owner_id: int | None = None,
) -> ChecklistItem:  # fmt: skip
    """Rename or hand over an item. A signed-off item is settled: revoke the sign-off first."""
    item = _lock_item(actor, item_id)
    acl.require(actor, perms.EDIT, product_id=item.kit.product_id)
    item.ensure_version(expected_version)
    if item.signed_off:
        raise GuardFailed(_("“%(t)s” is signed off; revoke the sign-off before changing it.") % {"t": item.title},
                          code="signed_off")  # fmt: skip
    before = audit.snapshot(item)
    if title is not None:
        item.title = _text(title, "title")
    if owner_id is not None and owner_id != item.owner_id:
        _member(item.kit.product_id, owner_id, "owner_id")
        item.owner_id = owner_id
        notifications.notify(user_ids={owner_id}, kind="launch_item_assigned",
                             params={"item_id": item.pk, "item": item.title, "release_id": item.kit.release_id,
                                     "version": item.kit.release.version_name},
                             url=kit_url(item.kit), product_id=item.kit.product_id, obj=item,
                             exclude_user_id=actor.user_id)  # fmt: skip
    if audit.snapshot(item) == before:
        return item
    item.bump_version()
    item.save()
    audit.record(actor=actor, action="deliverables.item_updated", obj=item, before=before)
    return item


@transaction.atomic
def delete_checklist_item(*, actor: Actor, item_id: int, expected_version: int | None) -> None:
    item = _lock_item(actor, item_id)
    acl.require(actor, perms.EDIT, product_id=item.kit.product_id)
    item.ensure_version(expected_version)
    audit.record(
        actor=actor, action="deliverables.item_deleted", obj=item, before=audit.snapshot(item), after={}
    )
    item.delete()


@transaction.atomic
def sign_off(*, actor: Actor, item_id: int, expected_version: int | None, note: str = "") -> ChecklistItem:
    """The item's owner signs it off (the test lead for a test, the writer for the docs)."""
    item = _lock_item(actor, item_id)
    acl.require(actor, perms.SIGN_OFF, product_id=item.kit.product_id)
    item.ensure_version(expected_version)
    if item.signed_off:
        raise GuardFailed(_("“%(t)s” is already signed off.") % {"t": item.title}, code="already_signed_off")
    if actor.user_id != item.owner_id:
        raise PermissionDenied(_("Only its owner (%(u)s) signs off “%(t)s”; ask them, or hand the item over.")
                               % {"u": item.owner, "t": item.title}, code="not_item_owner")  # fmt: skip
    before = audit.snapshot(item)
    item.signed_off_by, item.signed_off_at = actor.user, timezone.now()
    item.note = _text(note, "note", 500, required=False)
    item.bump_version()
    item.save(update_fields=["signed_off_by", "signed_off_at", "note", "version", "updated_at"])
    audit.record(actor=actor, action="deliverables.signed_off", obj=item, before=before, note=item.note)
    events.emit("deliverables.signed_off", item_id=item.pk, product_id=item.kit.product_id)
    return item


@transaction.atomic
def revoke_sign_off(
    *, actor: Actor, item_id: int, expected_version: int | None, reason: str
) -> ChecklistItem:
    """Take a sign-off back (a retest failed): its owner or a manager, with a reason."""
    item = _lock_item(actor, item_id)
    acl.require(actor, perms.SIGN_OFF, product_id=item.kit.product_id)
    item.ensure_version(expected_version)
    if not item.signed_off:
        raise GuardFailed(_("“%(t)s” is not signed off.") % {"t": item.title}, code="not_signed_off")
    if actor.user_id != item.owner_id and not acl.can(actor, perms.EDIT, product_id=item.kit.product_id):
        raise PermissionDenied(_("Only the item's owner or a product manager revokes a sign-off."),
                               code="not_item_owner")  # fmt: skip
    reason = _text(reason, "reason", 500)
    before = audit.snapshot(item)
    item.signed_off_by, item.signed_off_at, item.note = None, None, ""
    item.bump_version()
    item.save(update_fields=["signed_off_by", "signed_off_at", "note", "version", "updated_at"])
    audit.record(actor=actor, action="deliverables.sign_off_revoked", obj=item, before=before, note=reason)
    return item


# ---- training ---------------------------------------------------------------------------------
def _when(value: Any) -> datetime:
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value)
        except ValueError as exc:
            raise InvalidInput(_("Give a date and time like 2026-11-20 14:00."), field="starts_at") from exc
    if not isinstance(value, datetime):
        raise InvalidInput(_("Give a date and time like 2026-11-20 14:00."), field="starts_at")
    if timezone.is_naive(value):
        value = timezone.make_aware(value, timezone.get_current_timezone())
    return value


@transaction.atomic
def add_training_session(
    *, actor: Actor, kit_id: int, title: str, starts_at: datetime | str, duration_minutes: int = 60,
    location: str = "", audience: str = "", trainer_id: int | None = None, customer_id: int | None = None,
    agenda: str = "",
) -> TrainingSession:  # fmt: skip
    kit = _lock_kit(actor, kit_id)
    acl.require(actor, perms.TRAINING, product_id=kit.product_id)
    if not 1 <= int(duration_minutes or 0) <= 24 * 60:
        raise InvalidInput(_("A session lasts between 1 minute and 24 hours."), field="duration_minutes")
    _member(kit.product_id, trainer_id, "trainer_id")
    if customer_id is not None:
        from pmloop.customers.models import Customer

        if not Customer.objects.filter(pk=customer_id, product_id=kit.product_id).exists():
            raise InvalidInput(_("The customer must be a customer of this product."), field="customer_id")
    session = TrainingSession.objects.create(
        kit=kit, title=_text(title, "title"), starts_at=_when(starts_at), duration_minutes=int(duration_minutes),
        location=_text(location, "location", required=False), audience=_text(audience, "audience", required=False),
        trainer_id=trainer_id, customer_id=customer_id, agenda=_text(agenda, "agenda", 20000, required=False),
    )  # fmt: skip
    audit.record(actor=actor, action="deliverables.session_added", obj=session)
    return session


@transaction.atomic
def delete_training_session(*, actor: Actor, session_id: int, expected_version: int | None) -> None:
    session = _lock_session(actor, session_id)
    acl.require(actor, perms.TRAINING, product_id=session.kit.product_id)
    session.ensure_version(expected_version)
    if session.attendees.filter(signed_in_at__isnull=False).exists():
        raise GuardFailed(_("People have signed in to this session; its sheet is a record and stays."),
                          code="session_has_sign_ins")  # fmt: skip
    audit.record(actor=actor, action="deliverables.session_deleted", obj=session, before=audit.snapshot(session),
                 after={})  # fmt: skip
    session.attendees.all().delete()
    session.delete()


@transaction.atomic
def add_attendee(
    *, actor: Actor, session_id: int, name: str, organisation: str = "", contact: str = ""
) -> Attendee:
    session = _lock_session(actor, session_id)
    acl.require(actor, perms.TRAINING, product_id=session.kit.product_id)
    name = _text(name, "name", 100)
    organisation = _text(organisation, "organisation", required=False)
    if session.attendees.filter(name=name, organisation=organisation).exists():
        raise InvalidInput(_("%(n)s of %(o)s is already on the sheet.") % {"n": name, "o": organisation or "—"},
                           field="name")  # fmt: skip
    person = Attendee.objects.create(session=session, name=name, organisation=organisation,
                                     contact=_text(contact, "contact", required=False))  # fmt: skip
    audit.record(
        actor=actor, action="deliverables.attendee_added", obj=person, product_id=session.kit.product_id
    )
    return person


@transaction.atomic
def set_attendance(*, actor: Actor, attendee_id: int, signed_in: bool) -> Attendee:
    person = (
        Attendee.objects.select_for_update().select_related("session__kit").filter(pk=attendee_id).first()
    )
    if person is None or not acl.can_see(actor, person.session.kit.product_id):
        raise NotFound(_("No such attendee."), code="attendee_not_found")
    acl.require(actor, perms.TRAINING, product_id=person.session.kit.product_id)
    if (person.signed_in_at is not None) == signed_in:
        raise GuardFailed(_("%(n)s is already marked so.") % {"n": person.name}, code="no_change")
    before = audit.snapshot(person)
    person.signed_in_at = timezone.now() if signed_in else None
    person.save(update_fields=["signed_in_at", "updated_at"])
    audit.record(actor=actor, action="deliverables.signed_in" if signed_in else "deliverables.sign_in_cleared",
                 obj=person, before=before, product_id=person.session.kit.product_id)  # fmt: skip
    return person


@transaction.atomic
def remove_attendee(*, actor: Actor, attendee_id: int) -> None:
    person = (
        Attendee.objects.select_for_update().select_related("session__kit").filter(pk=attendee_id).first()
    )
    if person is None or not acl.can_see(actor, person.session.kit.product_id):
        raise NotFound(_("No such attendee."), code="attendee_not_found")
    acl.require(actor, perms.TRAINING, product_id=person.session.kit.product_id)
    if person.signed_in_at is not None:
        raise GuardFailed(
            _("%(n)s has signed in; clear the sign-in first.") % {"n": person.name}, code="signed_in"
        )
    audit.record(actor=actor, action="deliverables.attendee_removed", obj=person, before=audit.snapshot(person),
                 after={}, product_id=person.session.kit.product_id)  # fmt: skip
    person.delete()
