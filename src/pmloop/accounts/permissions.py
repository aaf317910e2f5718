"""The one place permission questions are answered: ``can``, ``require``, ``visible_to``.

Each app declares its action vocabulary with ``define`` in its own ``permissions.py``; an
action names the roles that may perform it and whether it writes. Read-only API tokens are
refused every write action. Site admins may do everything.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from pmloop.accounts.roles import ALL_ROLES, Role
from pmloop.core.actor import Actor
from pmloop.core.errors import NotFound, PermissionDenied


@dataclass(frozen=True)
class Action:
    name: str
    roles: frozenset[str]
    write: bool = True


ACTIONS: dict[str, Action] = {}


def define(name: str, roles: frozenset[str] | set[str], *, write: bool = True) -> Action:
    action = Action(name=name, roles=frozenset(roles), write=write)
    ACTIONS[name] = action
    return action


# Actions of this app.
MANAGE_MEMBERS = define("accounts.manage_members", {Role.OWNER})
VIEW_MEMBERS = define("accounts.view_members", ALL_ROLES, write=False)
MANAGE_USERS = define("accounts.manage_users", set())  # site admins only
MANAGE_OWN_TOKENS = define("accounts.manage_own_tokens", set())  # checked per user, not product


def _roles(actor: Actor) -> dict[int, str]:
    """product_id → role for the actor; one query per actor, memoised on it."""
    if "roles" not in actor.cache:
        from pmloop.accounts.models import Membership

        if not actor.is_authenticated or actor.user is None:
            actor.cache["roles"] = {}
        else:
            actor.cache["roles"] = dict(
                Membership.objects.filter(user_id=actor.user.pk).values_list("product_id", "role")
            )
    return actor.cache["roles"]


def forget(actor: Actor) -> None:
    """Drop memoised roles after a membership change within the same actor's life."""
    actor.cache.pop("roles", None)


def role_of(actor: Actor, product_id: int) -> str | None:
    if actor.is_admin:
        return Role.OWNER
    return _roles(actor).get(product_id)


def visible_product_ids(actor: Actor) -> set[int] | None:
    """The products the actor may see; None means every product (site admin)."""
    if actor.is_admin:
        return None
    return set(_roles(actor))


def visible_within(actor: Actor, product_id: int | None) -> set[int] | None:
    """The products a list asked for ``product_id`` (None: any product) may show the actor:
    that one product if the actor sees it, else none; without a product, every product the
    actor sees (None = all, site admins)."""
    if product_id is None:
        return visible_product_ids(actor)
    return {product_id} if can_see(actor, product_id) else set()


def can_see(actor: Actor, product_id: int | None) -> bool:
    if product_id is None:
        return actor.is_admin
    ids = visible_product_ids(actor)
    return ids is None or product_id in ids


def can(actor: Actor, action: Action | str, *, product_id: int | None = None) -> bool:
    act = ACTIONS[action] if isinstance(action, str) else action
    if not actor.is_authenticated:
        return False
    if act.write and actor.read_only:
        return False
    if actor.is_admin:
        return True
    if product_id is None:
        return False
    role = _roles(actor).get(product_id)
    return role is not None and role in act.roles


def require(actor: Actor, action: Action | str, *, product_id: int | None = None) -> None:
    """Raise unless the actor may perform ``action`` on the product.

    Not a member: NotFound (a product you may not see does not exist for you).
    Member without the role, or a read-only token: PermissionDenied naming the action.
    """
    act = ACTIONS[action] if isinstance(action, str) else action
    if can(actor, act, product_id=product_id):
        return
    if not actor.is_authenticated:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    if act.write and actor.read_only:
        raise PermissionDenied(
            _("This API token is read-only; '%(action)s' needs a read-write token.") % {"action": act.name},
            code="read_only_token",
        )
    if product_id is not None and not can_see(actor, product_id):
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")
    role = role_of(actor, product_id) if product_id is not None else None
    if role is None:
        raise PermissionDenied(
            _("Only a site admin may do '%(action)s'.") % {"action": act.name}, code="admin_only"
        )
    allowed = ", ".join(sorted(str(Role(r).label) for r in act.roles)) or _("site admins")
    raise PermissionDenied(
        _("Your role on this product (%(role)s) may not do '%(action)s'; it needs: %(allowed)s.")
        % {"role": Role(role).label, "action": act.name, "allowed": allowed},
        code="role_forbidden",
    )


def visible_to(actor: Actor, queryset: QuerySet, *, field: str = "product_id") -> QuerySet:
    ids = visible_product_ids(actor)
    if ids is None:
        return queryset
    return queryset.filter(**{f"{field}__in": ids})
