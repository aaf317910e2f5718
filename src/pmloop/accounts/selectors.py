from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as perms
from pmloop.accounts.models import ApiToken, Membership, User
from pmloop.core.actor import Actor
from pmloop.core.errors import NotFound, PermissionDenied


def list_members(*, actor: Actor, product_id: int) -> QuerySet[Membership]:
    perms.require(actor, perms.VIEW_MEMBERS, product_id=product_id)
    if actor.is_admin:  # require lets admins through for any id
        product_model = Membership._meta.get_field("product").related_model
        if not product_model.objects.filter(pk=product_id).exists():
            raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
    return (
        Membership.objects.filter(product_id=product_id)
        .select_related("user")
        .order_by("role", "user__username")
    )


def list_users(*, actor: Actor, q: str = "") -> QuerySet[User]:
    """Users an actor may pick from (to add as members): active users; admins see all."""
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    qs = User.objects.exclude(username="system").order_by("username")
    if not actor.is_admin:
        qs = qs.filter(is_active=True)
    if q:
        qs = qs.filter(username__icontains=q) | qs.filter(display_name__icontains=q)
    return qs


def list_tokens(*, actor: Actor) -> QuerySet[ApiToken]:
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    return ApiToken.objects.filter(user_id=actor.user.pk)
