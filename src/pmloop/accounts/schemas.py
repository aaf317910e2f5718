from __future__ import annotations

from datetime import datetime
from typing import Literal

from ninja import Field, Schema

from pmloop.accounts.models import TokenScope
from pmloop.accounts.roles import Role


class UserOut(Schema):
    id: int
    username: str
    display_name: str
    email: str
    is_admin: bool = Field(..., alias="is_superuser")
    is_active: bool
    language: str = Field("", description='The language the user chose ("" = none yet): zh-hans or en')


class UserIn(Schema):
    username: str = Field(..., min_length=1, max_length=150)
    password: str = Field(..., min_length=1, max_length=200)
    email: str = Field("", max_length=254)
    display_name: str = Field("", max_length=100)
    is_admin: bool = False


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    scope: TokenScope = TokenScope.READ
    expires_in_days: int | None = Field(None, ge=1, le=3650)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    scope: TokenScope
    created_at: datetime
    expires_at: datetime | None
    last_used_at: datetime | None
    revoked_at: datetime | None


class NewTokenOut(TokenOut):
    token: str = Field(..., description="The secret. Shown once: copy it now.")


class MemberOut(Schema):
    user: UserOut
    role: Role
    created_at: datetime


class MemberIn(Schema):
    user_id: int
    role: Role


class MemberRoleIn(Schema):
    role: Role


Language = Literal["zh-hans", "en"]
"""The codes of settings.LANGUAGES (a test keeps the two in step)."""


class MePatch(Schema):
    language: Language = Field(..., description="The language to read pmloop in")

    model_config = {"extra": "forbid"}
