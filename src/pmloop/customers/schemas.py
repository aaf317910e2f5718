from __future__ import annotations

from datetime import datetime

from ninja import Field, Schema

from pmloop.customers.choices import Industry, Tier


class UserRef(Schema):
    id: int
    username: str
    display_name: str


class ContactOut(Schema):
    id: int
    customer_id: int
    name: str
    title: str
    email: str
    phone: str
    notes: str
    created_at: datetime
    updated_at: datetime


class CustomerOut(Schema):
    id: int
    product_id: int
    name: str
    industry: Industry
    tier: Tier
    weight: int
    owner: UserRef | None
    notes: str
    archived: bool
    version: int
    created_at: datetime
    updated_at: datetime


class CustomerDetailOut(CustomerOut):
    contacts: list[ContactOut]

    @staticmethod
    def resolve_contacts(obj) -> list:
        return list(obj.contacts.all())


class CustomerIn(Schema):
    product_id: int
    name: str = Field(..., min_length=1, max_length=200)
    industry: Industry = Industry.OTHER
    tier: Tier = Tier.STANDARD
    weight: int | None = Field(None, ge=1, le=100, description="1–100; default from the tier (10/5/2/1)")
    owner_id: int | None = Field(None, description="A member of the product (typically sales)")
    notes: str = Field("", max_length=20000)


class CustomerPatch(Schema):
    version: int = Field(..., ge=1, description="The version you read; a stale one gets 409")
    name: str | None = Field(None, min_length=1, max_length=200)
    industry: Industry | None = None
    tier: Tier | None = None
    weight: int | None = Field(None, ge=1, le=100)
    owner_id: int | None = Field(None, description="null clears the owner; leave out to keep it")
    notes: str | None = Field(None, max_length=20000)


class ArchiveIn(Schema):
    version: int = Field(..., ge=1)
    archived: bool = True


class CustomerFilters(Schema):
    product_id: int | None = None
    q: str = Field("", max_length=100, description="Part of the name, notes or a contact's name")
    industry: Industry | None = None
    tier: Tier | None = None
    owner_id: int | None = None
    include_archived: bool = False
    page: int = Field(1, ge=1)
    page_size: int = Field(50, ge=1, le=200)


class ContactIn(Schema):
    name: str = Field(..., min_length=1, max_length=100)
    title: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=50)
    notes: str = Field("", max_length=20000)


class ContactPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=100)
    title: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=50)
    notes: str | None = Field(None, max_length=20000)
