from __future__ import annotations

from django.http import HttpRequest
from ninja import Query, Router, Schema, Status

from pmloop.accounts import permissions as perms
from pmloop.accounts import selectors, services
from pmloop.accounts.schemas import (
    MemberIn,
    MemberOut,
    MemberRoleIn,
    MePatch,
    NewTokenOut,
    TokenIn,
    TokenOut,
    UserIn,
    UserOut,
)
from pmloop.core.http import ERRORS, READ_ERRORS, PageOut, actor_of, page_out, requires
from pmloop.core.pagination import paginate

router = Router(tags=["accounts"])


class UserFilters(Schema):
    q: str = ""
    page: int = 1
    page_size: int = 50


@router.get("/me", response={200: UserOut, **READ_ERRORS}, summary="Who am I")
def me(request: HttpRequest):
    return request.user


@router.patch("/me", response={200: UserOut, **ERRORS}, summary="Change my own settings (language)")
def update_me(request: HttpRequest, body: MePatch):
    return services.set_language(actor=actor_of(request), user_id=request.user.pk, language=body.language)


@router.get(
    "/users", response={200: PageOut[UserOut], **READ_ERRORS}, summary="List users (to add as members)"
)
def list_users(request: HttpRequest, filters: Query[UserFilters]):
    qs = selectors.list_users(actor=actor_of(request), q=filters.q[:100])
    return page_out(paginate(qs, page=filters.page, page_size=filters.page_size))


@router.post(
    "/users",
    response={201: UserOut, **ERRORS},
    summary="Create a user (site admins)",
    openapi_extra=requires(perms.MANAGE_USERS),
)
def create_user(request: HttpRequest, body: UserIn):
    return Status(201, services.create_user(actor=actor_of(request), **body.dict()))


@router.get("/tokens", response={200: list[TokenOut], **READ_ERRORS}, summary="Your API tokens")
def list_tokens(request: HttpRequest):
    return list(selectors.list_tokens(actor=actor_of(request)))


@router.post(
    "/tokens",
    response={201: NewTokenOut, **ERRORS},
    summary="Create an API token (shown once)",
    openapi_extra=requires(perms.MANAGE_OWN_TOKENS),
)
def create_token(request: HttpRequest, body: TokenIn):
    new = services.create_api_token(actor=actor_of(request), **body.dict())
    out = TokenOut.from_orm(new.token).dict()
    return Status(201, {**out, "token": new.raw})


@router.post(
    "/tokens/{int:token_id}/revoke",
    response={200: TokenOut, **ERRORS},
    summary="Revoke a token",
    openapi_extra=requires(perms.MANAGE_OWN_TOKENS),
)
def revoke_token(request: HttpRequest, token_id: int):
    return services.revoke_api_token(actor=actor_of(request), token_id=token_id)


@router.get(
    "/products/{int:product_id}/members",
    response={200: list[MemberOut], **READ_ERRORS},
    summary="Members",
    openapi_extra=requires(perms.VIEW_MEMBERS),
)
def list_members(request: HttpRequest, product_id: int):
    return list(selectors.list_members(actor=actor_of(request), product_id=product_id))


@router.post(
    "/products/{int:product_id}/members",
    response={201: MemberOut, **ERRORS},
    summary="Add a member",
    openapi_extra=requires(perms.MANAGE_MEMBERS),
)
def add_member(request: HttpRequest, product_id: int, body: MemberIn):
    return Status(201, services.add_member(actor=actor_of(request), product_id=product_id, **body.dict()))


@router.put(
    "/products/{int:product_id}/members/{int:user_id}",
    response={200: MemberOut, **ERRORS},
    summary="Change role",
    openapi_extra=requires(perms.MANAGE_MEMBERS),
)
def change_role(request: HttpRequest, product_id: int, user_id: int, body: MemberRoleIn):
    return services.change_member_role(
        actor=actor_of(request), product_id=product_id, user_id=user_id, role=body.role
    )


@router.delete(
    "/products/{int:product_id}/members/{int:user_id}",
    response={204: None, **ERRORS},
    summary="Remove a member",
    openapi_extra=requires(perms.MANAGE_MEMBERS),
)
def remove_member(request: HttpRequest, product_id: int, user_id: int):
    services.remove_member(actor=actor_of(request), product_id=product_id, user_id=user_id)
    return Status(204, None)
