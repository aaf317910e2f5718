from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from pmloop.accounts import permissions
from pmloop.audit.chain import GENESIS, HASHED_FIELDS, entry_hash
from pmloop.audit.models import AuditEntry
from pmloop.core.actor import Actor
from pmloop.core.errors import NotFound, PermissionDenied


def list_entries(
    *,
    actor: Actor,
    product_id: int | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    actor_id: int | None = None,
    action: str | None = None,
    since: datetime | None = None,
    until: datetime | None = None,
) -> QuerySet[AuditEntry]:
    """Entries the actor may read: those of products they belong to (admins: all, and the
    site-wide entries such as users and tokens)."""
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    qs = AuditEntry.objects.all()
    ids = permissions.visible_product_ids(actor)
    if ids is not None:
        qs = qs.filter(product_id__in=ids)
    if product_id is not None:
        if not permissions.can_see(actor, product_id):
            raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
        qs = qs.filter(product_id=product_id)
    if object_type:
        qs = qs.filter(object_type=object_type)
    if object_id:
        qs = qs.filter(object_id=str(object_id))
    if actor_id is not None:
        qs = qs.filter(actor_id=actor_id)
    if action:
        qs = qs.filter(Q(action=action) | Q(action__startswith=action.rstrip(".") + "."))
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    return qs.order_by("-seq")


def history(*, actor: Actor, obj) -> QuerySet[AuditEntry]:
    return list_entries(actor=actor, object_type=obj._meta.label_lower, object_id=str(obj.pk))


@dataclass
class VerifyResult:
    ok: bool
    checked: int
    first_bad_seq: int | None = None
    reason: str = ""


def _walk(chunk: int = 2000) -> Iterator[AuditEntry]:
    last = 0
    while True:
        rows = list(AuditEntry.objects.filter(seq__gt=last).order_by("seq")[:chunk])
        if not rows:
            return
        yield from rows
        last = rows[-1].seq


def verify_chain(progress=None) -> VerifyResult:
    """Walk the whole log and recompute every hash. Reports the first entry that was
    changed, removed (a gap in seq or a broken link) or inserted."""
    prev_hash, expected_seq, checked = GENESIS, 1, 0
    for entry in _walk():
        if entry.seq != expected_seq:
            return VerifyResult(False, checked, expected_seq, f"entry #{expected_seq} is missing")
        if entry.prev_hash != prev_hash:
            return VerifyResult(
                False, checked, entry.seq, f"entry #{entry.seq} does not link to the one before"
            )
        values = {f: getattr(entry, f) for f in HASHED_FIELDS}
        if entry_hash(prev_hash, values) != entry.hash:
            return VerifyResult(
                False, checked, entry.seq, f"entry #{entry.seq} was altered after it was written"
            )
        prev_hash, expected_seq, checked = entry.hash, expected_seq + 1, checked + 1
        if progress:
            progress(checked)
    return VerifyResult(True, checked)
