"""Accounts: users, API tokens, product membership, login with throttling."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import authenticate
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from pmloop.accounts import permissions as perms
from pmloop.accounts.models import ApiToken, LoginFailure, Membership, TokenScope, User
from pmloop.accounts.roles import Role
from pmloop.audit import services as audit
from pmloop.core.actor import Actor
from pmloop.core.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied

TOKEN_PREFIX = "pml_"  # noqa: S105  (a public prefix, not a secret)


# ---- users -------------------------------------------------------------------------------
def _check_password(password: str, user: User | None = None) -> None:
    try:
        validate_password(password, user)
    except ValidationError as exc:
        raise InvalidInput(" ".join(exc.messages), field="password") from exc


@transaction.atomic
def create_user(
    *,
    actor: Actor,
    username: str,
    password: str,
    email: str = "",
    display_name: str = "",
    is_admin: bool = False,
) -> User:
    perms.require(actor, perms.MANAGE_USERS)
    username = (username or "").strip()
    if not username or len(username) > 150:
        raise InvalidInput(_("A user name of 1–150 characters is required."), field="username")
    if User.objects.filter(username__iexact=username).exists():
        raise InvalidInput(_("The user name '%(u)s' is taken.") % {"u": username}, field="username")
    if len(display_name) > 100:
        raise InvalidInput(_("The display name may have at most 100 characters."), field="display_name")
    user = User(username=username, email=email.strip(), display_name=display_name.strip())
    user.is_superuser = user.is_staff = bool(is_admin)
    _check_password(password, user)
    user.set_password(password)
    user.save()
    audit.record(actor=actor, action="accounts.user_created", obj=user)
    return user


@transaction.atomic
def set_password(*, actor: Actor, user_id: int, password: str) -> User:
    if actor.user_id != user_id:
        perms.require(actor, perms.MANAGE_USERS)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such user."))
    _check_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    audit.record(actor=actor, action="accounts.password_changed", obj=user, note="password changed")
    return user


@transaction.atomic
def set_language(*, actor: Actor, user_id: int, language: str) -> User:
    """Store the language a user reads pmloop in: their own choice (or a site admin's for them)."""
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    if actor.read_only:
        raise PermissionDenied(_("This API token is read-only."), code="read_only_token")
    if actor.user_id != user_id:
        perms.require(actor, perms.MANAGE_USERS)
    codes = [code for code, _name in settings.LANGUAGES]
    if language not in codes:
        raise InvalidInput(
            _("Unknown language %(l)s: use one of %(codes)s.") % {"l": language, "codes": ", ".join(codes)},
            field="language",
        )
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such user."))
    if user.language == language:
        return user
    before = audit.snapshot(user)
    user.language = language
    user.save(update_fields=["language"])
    audit.record(actor=actor, action="accounts.language_changed", obj=user, before=before)
    return user


@transaction.atomic
def set_user_active(*, actor: Actor, user_id: int, active: bool) -> User:
    perms.require(actor, perms.MANAGE_USERS)
    user = User.objects.select_for_update().filter(pk=user_id).first()
    if user is None:
        raise NotFound(_("No such user."))
    if actor.user_id == user_id and not active:
        raise GuardFailed(_("You cannot deactivate yourself."), code="self_deactivate")
    before = audit.snapshot(user)
    user.is_active = active
    user.save(update_fields=["is_active"])
    audit.record(
        actor=actor, action="accounts.user_activated" if active else "accounts.user_deactivated",
        obj=user, before=before,
    )  # fmt: skip
    return user


# ---- login -------------------------------------------------------------------------------
def _throttled(username: str, ip: str) -> bool:
    since = timezone.now() - timedelta(seconds=settings.PMLOOP_LOGIN_WINDOW_SECONDS)
    limit = settings.PMLOOP_LOGIN_MAX_FAILURES
    recent = LoginFailure.objects.filter(created_at__gte=since)
    if recent.filter(username__iexact=username).count() >= limit:
        return True
    return bool(ip) and recent.filter(ip=ip).count() >= limit * 4


def login_check(*, username: str, password: str, ip: str = "") -> User:
    """Authenticate a user name and password, refusing after repeated failures.

    A refusal for throttling is a PermissionDenied with code 'throttled'; a wrong password is
    an InvalidInput that never says which of the two was wrong."""
    username = (username or "").strip()
    if _throttled(username, ip):
        minutes = max(1, settings.PMLOOP_LOGIN_WINDOW_SECONDS // 60)
        raise PermissionDenied(
            _("Too many failed logins. Wait %(m)s minutes and try again.") % {"m": minutes},
            code="throttled",
        )
    user = authenticate(username=username, password=password)
    if user is None:
        with transaction.atomic():
            LoginFailure.objects.create(username=username[:150], ip=ip[:45])
        raise InvalidInput(_("Wrong user name or password."), code="bad_credentials")
    with transaction.atomic():
        LoginFailure.objects.filter(username__iexact=username).delete()
    return user


# ---- API tokens --------------------------------------------------------------------------
def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass
class NewToken:
    token: ApiToken
    raw: str  # shown once, never stored


@transaction.atomic
def create_api_token(
    *, actor: Actor, name: str, scope: str = TokenScope.READ, expires_in_days: int | None = None
) -> NewToken:
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    if actor.read_only:
        raise PermissionDenied(_("A read-only token cannot create tokens."), code="read_only_token")
    name = (name or "").strip()
    if not name or len(name) > 100:
        raise InvalidInput(_("Give the token a name of 1–100 characters."), field="name")
    if scope not in TokenScope.values:
        raise InvalidInput(_("Scope must be 'read' or 'write'."), field="scope")
    if expires_in_days is not None and not 1 <= expires_in_days <= 3650:
        raise InvalidInput(_("Expiry must be between 1 and 3650 days."), field="expires_in_days")
    prefix = secrets.token_hex(4)
    secret = secrets.token_urlsafe(32)
    raw = f"{TOKEN_PREFIX}{prefix}_{secret}"
    token = ApiToken.objects.create(
        user=actor.user,
        name=name,
        prefix=prefix,
        key_hash=_hash(raw),
        scope=scope,
        expires_at=timezone.now() + timedelta(days=expires_in_days) if expires_in_days else None,
    )
    audit.record(actor=actor, action="accounts.token_created", obj=token)
    return NewToken(token=token, raw=raw)


@transaction.atomic
def revoke_api_token(*, actor: Actor, token_id: int) -> ApiToken:
    token = ApiToken.objects.select_for_update().filter(pk=token_id).first()
    if token is None or (token.user_id != actor.user_id and not actor.is_admin):
        raise NotFound(_("No such token."))
    if actor.read_only:
        raise PermissionDenied(_("A read-only token cannot revoke tokens."), code="read_only_token")
    if token.revoked_at is not None:
        raise GuardFailed(_("This token is already revoked."), code="already_revoked")
    before = audit.snapshot(token)
    token.revoked_at = timezone.now()
    token.save(update_fields=["revoked_at"])
    audit.record(actor=actor, action="accounts.token_revoked", obj=token, before=before)
    return token


def resolve_token(raw: str) -> ApiToken | None:
    """The active token for a raw secret, or None. Constant-time comparison of the hash."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    try:
        prefix = raw[len(TOKEN_PREFIX) :].split("_", 1)[0]
    except IndexError:
        return None
    token = ApiToken.objects.select_related("user").filter(prefix=prefix).first()
    if token is None or not secrets.compare_digest(token.key_hash, _hash(raw)):
        return None
    if not token.is_active or not token.user.is_active:
        return None
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=5):
        # Throttled bookkeeping write: at most one UPDATE per token per 5 minutes.
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token


# ---- membership --------------------------------------------------------------------------
def _check_role(role: str) -> None:
    if role not in Role.values:
        raise InvalidInput(
            _("Unknown role '%(r)s'; use one of: %(all)s.") % {"r": role, "all": ", ".join(Role.values)},
            field="role",
        )


def grant_creator_ownership(*, actor: Actor, product, user=None) -> Membership | None:
    """Make the creator of a new product (or ``user``, when the system creates it on someone's
    behalf) its owner. Only products.services calls this, inside create_product's transaction
    (the creator cannot yet pass MANAGE_MEMBERS)."""
    user = user or actor.user
    if user is None:
        return None
    membership = Membership.objects.create(user=user, product=product, role=Role.OWNER)
    perms.forget(actor)
    audit.record(actor=actor, action="accounts.member_added", obj=membership, product_id=product.pk)
    return membership


@transaction.atomic
def add_member(*, actor: Actor, product_id: int, user_id: int, role: str) -> Membership:
    perms.require(actor, perms.MANAGE_MEMBERS, product_id=product_id)
    ensure_product_exists(product_id)
    _check_role(role)
    user = User.objects.filter(pk=user_id, is_active=True).first()
    if user is None:
        raise InvalidInput(_("No active user with that id."), field="user_id")
    try:
        with transaction.atomic():
            membership = Membership.objects.create(user=user, product_id=product_id, role=role)
    except IntegrityError as exc:
        raise GuardFailed(
            _("%(u)s is already a member of this product; change their role instead.") % {"u": user},
            code="already_member",
        ) from exc
    audit.record(actor=actor, action="accounts.member_added", obj=membership)
    return membership


def ensure_product_exists(product_id: int) -> None:
    """NotFound unless the product exists. ``require`` lets site admins through for any id,
    so an admin's call on a missing product must be stopped here, not by the database."""
    product_model = Membership._meta.get_field("product").related_model
    if not product_model.objects.filter(pk=product_id).exists():
        raise NotFound(_("No such product, or you are not a member of it."), code="product_not_found")


def _check_not_product_owner(membership: Membership) -> None:
    """Product.owner must stay an owner-role member (update_product only hands ownership to
    one); move ownership first, then demote or remove the former owner."""
    if membership.product.owner_id == membership.user_id:
        raise GuardFailed(
            _("%(u)s is the product's owner: make another owner the product's owner first.")
            % {"u": membership.user},
            code="product_owner",
        )


def _owner_count(product_id: int) -> int:
    return Membership.objects.filter(product_id=product_id, role=Role.OWNER).count()


@transaction.atomic
def change_member_role(*, actor: Actor, product_id: int, user_id: int, role: str) -> Membership:
    perms.require(actor, perms.MANAGE_MEMBERS, product_id=product_id)
    _check_role(role)
    membership = Membership.objects.select_for_update().filter(product_id=product_id, user_id=user_id).first()
    if membership is None:
        raise NotFound(_("That user is not a member of this product."))
    if membership.role == Role.OWNER and role != Role.OWNER and _owner_count(product_id) <= 1:
        raise GuardFailed(
            _("A product needs at least one owner: make someone else owner first."), code="last_owner"
        )
    if role != Role.OWNER:
        _check_not_product_owner(membership)
    before = audit.snapshot(membership)
    membership.role = role
    membership.save(update_fields=["role"])
    audit.record(actor=actor, action="accounts.member_role_changed", obj=membership, before=before)
    return membership


@transaction.atomic
def remove_member(*, actor: Actor, product_id: int, user_id: int) -> None:
    perms.require(actor, perms.MANAGE_MEMBERS, product_id=product_id)
    membership = Membership.objects.select_for_update().filter(product_id=product_id, user_id=user_id).first()
    if membership is None:
        raise NotFound(_("That user is not a member of this product."))
    if membership.role == Role.OWNER and _owner_count(product_id) <= 1:
        raise GuardFailed(
            _("A product needs at least one owner: make someone else owner first."), code="last_owner"
        )
    _check_not_product_owner(membership)
    before = audit.snapshot(membership)
    audit.record(
        actor=actor, action="accounts.member_removed", obj=membership, before=before, after={},
    )  # fmt: skip
    membership.delete()
