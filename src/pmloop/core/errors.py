"""Typed domain errors. Services raise them; each front renders them its own way.

Every error carries a stable ``code`` (for programs and tests), a ``message`` a user can act
on, and optionally the ``field`` at fault and the list of what is ``missing``.
"""

from __future__ import annotations

from typing import Any


class DomainError(Exception):
    status = 400
    exit_code = 1
    default_code = "error"

    def __init__(
        self,
        message: str,
        *,
        code: str | None = None,
        field: str | None = None,
        missing: list[Any] | None = None,
        fields: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.message = str(message)
        self.code = code or self.default_code
        self.field = field
        self.missing = list(missing or [])
        self.fields = dict(fields or {})
        if field and field not in self.fields:
            self.fields[field] = self.message

    def as_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "fields": [{"field": k, "message": str(v)} for k, v in self.fields.items()],
            "missing": self.missing,
        }


class InvalidInput(DomainError):
    status = 422
    exit_code = 2
    default_code = "invalid"


class GuardFailed(DomainError):
    """A state transition or rule refused: the message says what is missing (防呆)."""

    status = 422
    exit_code = 3
    default_code = "guard_failed"


class PermissionDenied(DomainError):
    status = 403
    exit_code = 4
    default_code = "forbidden"


class NotFound(DomainError):
    """Also raised for objects the actor may not see: existence is not leaked."""

    status = 404
    exit_code = 5
    default_code = "not_found"


class Conflict(DomainError):
    status = 409
    exit_code = 6
    default_code = "conflict"
