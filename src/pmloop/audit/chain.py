"""Pure hashing of operation-log entries (no database access)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

GENESIS = "0" * 64
HASHED_FIELDS = (
    "seq", "created_at", "actor_id", "actor_label", "via", "request_id", "action",
    "object_type", "object_id", "object_repr", "product_id", "before", "after", "note",
)  # fmt: skip


def canonical(values: dict[str, Any]) -> str:
    return json.dumps(values, sort_keys=True, ensure_ascii=False, separators=(",", ":"), default=str)


def entry_hash(prev_hash: str, values: dict[str, Any]) -> str:
    payload = {k: values.get(k) for k in HASHED_FIELDS}
    if hasattr(payload["created_at"], "isoformat"):
        payload["created_at"] = payload["created_at"].isoformat()
    return hashlib.sha256((prev_hash + canonical(payload)).encode()).hexdigest()
