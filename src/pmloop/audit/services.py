"""The only writer of the operation log. Called explicitly by every service, inside its
transaction, so the entry commits or rolls back with the change it describes."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid
from typing import Any

from django.db import connection, models, transaction
from django.utils import timezone

from pmloop.audit.chain import GENESIS, entry_hash
from pmloop.audit.models import AuditEntry
from pmloop.core.actor import Actor

_ADVISORY_LOCK_KEY = 7_320_011  # any constant; serialises appends on PostgreSQL


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, list | tuple | set):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value


def snapshot(obj: models.Model, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """The audited fields of ``obj`` as JSON-ready values (NetBox-style before/after)."""
    names = fields or getattr(obj, "audit_fields", ())
    return {name: _jsonable(getattr(obj, name)) for name in names}


def _lock_chain() -> None:
    # SQLite: writers are already serialised (IMMEDIATE transactions). PostgreSQL: take a
    # transaction-scoped advisory lock so two appends cannot read the same chain head.
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("SELECT pg_advisory_xact_lock(%s)", [_ADVISORY_LOCK_KEY])


def record(
    *,
    actor: Actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = None,
    object_repr: str | None = None,
    product_id: int | None = None,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
    note: str = "",
) -> AuditEntry:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("audit.record must run inside the service's transaction")
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk if object_id is None else object_id
        object_repr = object_repr or str(obj)
        if after is None and getattr(obj, "audit_fields", None):
            after = snapshot(obj)
        if product_id is None:
            product_id = getattr(obj, "product_id", None)
    _lock_chain()
    head = AuditEntry.objects.order_by("-seq").values_list("seq", "hash").first()
    seq, prev_hash = (head[0] + 1, head[1]) if head else (1, GENESIS)
    values: dict[str, Any] = {
        "seq": seq,
        "created_at": timezone.now(),
        "actor_id": actor.user_id,
        "actor_label": actor.label[:150],
        "via": actor.via,
        "request_id": actor.request_id,
        "action": action,
        "object_type": object_type or "",
        "object_id": str(object_id if object_id is not None else ""),
        "object_repr": (object_repr or "")[:200],
        "product_id": product_id,
        # Round-trip through JSON so what is hashed is exactly what the database gives back.
        "before": json.loads(json.dumps(_jsonable(before))) if before is not None else None,
        "after": json.loads(json.dumps(_jsonable(after))) if after is not None else None,
        "note": note or "",
    }
    entry = AuditEntry(**values, prev_hash=prev_hash, hash=entry_hash(prev_hash, values))
    entry.save()
    return entry
