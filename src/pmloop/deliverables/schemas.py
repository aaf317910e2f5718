from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from pmloop.deliverables.choices import CheckCategory


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class KitIn(Schema):
    training_goal: str = Field("", max_length=5000)


class KitPatch(Schema):
    version: int = Field(..., ge=1)
    training_goal: str = Field(..., max_length=5000)


class ChecklistItemIn(Schema):
    category: CheckCategory
    title: str = Field(..., min_length=1, max_length=200)
    owner_id: int


class ChecklistItemPatch(Schema):
    version: int = Field(..., ge=1)
    title: str | None = Field(None, min_length=1, max_length=200)
    owner_id: int | None = None


class SignOffIn(Schema):
    version: int = Field(..., ge=1)
    note: str = Field("", max_length=500)


class RevokeIn(Schema):
    version: int = Field(..., ge=1)
    reason: str = Field(..., min_length=1, max_length=500)


class ChecklistItemOut(Schema):
    id: int
    category: CheckCategory
    title: str
    owner: UserRef
    signed_off_by: UserRef | None
    signed_off_at: datetime | None
    note: str
    version: int


class SessionIn(Schema):
    title: str = Field(..., min_length=1, max_length=200)
    starts_at: datetime
    duration_minutes: int = Field(60, ge=1, le=1440)
    location: str = Field("", max_length=200)
    audience: str = Field("", max_length=200)
    trainer_id: int | None = None
    customer_id: int | None = None
    agenda: str = Field("", max_length=20000)


class AttendeeIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    organisation: str = Field("", max_length=200)
    contact: str = Field("", max_length=200)


class AttendanceIn(Schema):
    signed_in: bool


class AttendeeOut(Schema):
    id: int
    name: str
    organisation: str
    contact: str
    signed_in_at: datetime | None


class SessionOut(Schema):
    id: int
    title: str
    starts_at: datetime
    duration_minutes: int
    location: str
    audience: str
    trainer_id: int | None
    customer_id: int | None
    agenda: str
    version: int
    attendees: list[AttendeeOut]


class KitOut(Schema):
    id: int | None = Field(description="null until the kit is opened")
    release_id: int
    training_goal: str
    version: int | None
    signed_off: int
    items: list[ChecklistItemOut]
    sessions: list[SessionOut]


class DocumentOut(Schema):
    filename: str
    content_type: str
    size: int
    content_base64: str
