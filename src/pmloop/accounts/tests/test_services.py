"""accounts.services: users, login throttling, API tokens, product membership.

Every refusal is checked three ways: the error (type, code, field), the object reloaded
unchanged, and no new operation-log entry. Every success checks its operation-log entry.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from django.utils import timezone

from pmloop.accounts import services
from pmloop.accounts.models import ApiToken, LoginFailure, Membership, User
from pmloop.accounts.roles import Role
from pmloop.audit.models import AuditEntry
from pmloop.core.errors import GuardFailed, InvalidInput, NotFound, PermissionDenied

pytestmark = pytest.mark.django_db


def last_entry() -> AuditEntry | None:
    return AuditEntry.objects.order_by("-seq").first()


@pytest.fixture
def log_mark():
    """Call to get the number of operation-log entries written since the fixture was made."""
    start = AuditEntry.objects.count()
    return lambda: AuditEntry.objects.count() - start


def memberships(product) -> dict[str, str]:
    return {
        m.user.username: m.role for m in Membership.objects.filter(product=product).select_related("user")
    }


# ---- users --------------------------------------------------------------------------------
def test_admin_creates_user_and_it_is_audited(admin, actor_for, log_mark):
    user = services.create_user(
        actor=actor_for(admin), username="  alice ", password="pw-Secret-123", display_name="Alice"
    )
    assert user.username == "alice" and user.check_password("pw-Secret-123")
    assert not user.is_superuser
    entry = last_entry()
    assert log_mark() == 1
    assert (entry.action, entry.actor_id, entry.object_id) == (
        "accounts.user_created",
        admin.pk,
        str(user.pk),
    )
    assert entry.after["username"] == "alice" and entry.before is None
    assert "password" not in entry.after


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"username": "OWNER"}, "username"),  # taken, case-insensitively
        ({"password": "short"}, "password"),
        ({"password": "12345678901"}, "password"),  # entirely numeric
        ({"display_name": "d" * 101}, "display_name"),
    ],
)
def test_create_user_refuses_bad_input(admin, owner, actor_for, log_mark, kwargs, field):
    args = {"username": "bob", "password": "pw-Secret-123", **kwargs}
    before = User.objects.count()
    with pytest.raises(InvalidInput) as exc:
        services.create_user(actor=actor_for(admin), **args)
    assert exc.value.field == field and exc.value.message
    assert User.objects.count() == before and log_mark() == 0


def test_only_site_admins_create_users(owner, actor_for, log_mark):
    with pytest.raises(PermissionDenied) as exc:
        services.create_user(actor=actor_for(owner), username="bob", password="pw-Secret-123")
    assert exc.value.code == "admin_only"
    assert not User.objects.filter(username="bob").exists() and log_mark() == 0


def test_read_only_admin_cannot_create_users(admin, actor_for, log_mark):
    with pytest.raises(PermissionDenied) as exc:
        services.create_user(actor=actor_for(admin, read_only=True), username="bob", password="pw-Secret-123")
    assert exc.value.code == "read_only_token"
    assert not User.objects.filter(username="bob").exists() and log_mark() == 0


def test_user_changes_own_password_but_not_anothers(owner, make_user, actor_for, log_mark):
    other = make_user("other")
    services.set_password(actor=actor_for(owner), user_id=owner.pk, password="new-Secret-456")
    owner.refresh_from_db()
    assert owner.check_password("new-Secret-456")
    assert last_entry().action == "accounts.password_changed" and log_mark() == 1
    with pytest.raises(PermissionDenied):
        services.set_password(actor=actor_for(owner), user_id=other.pk, password="new-Secret-456")
    other.refresh_from_db()
    assert other.check_password("pw-Secret-123") and log_mark() == 1


def test_admin_cannot_deactivate_self(admin, actor_for, log_mark):
    with pytest.raises(GuardFailed) as exc:
        services.set_user_active(actor=actor_for(admin), user_id=admin.pk, active=False)
    assert exc.value.code == "self_deactivate"
    admin.refresh_from_db()
    assert admin.is_active and log_mark() == 0


def test_admin_deactivates_user(admin, owner, actor_for, log_mark):
    services.set_user_active(actor=actor_for(admin), user_id=owner.pk, active=False)
    owner.refresh_from_db()
    assert not owner.is_active
    entry = last_entry()
    assert entry.action == "accounts.user_deactivated"
    assert entry.before["is_active"] is True and entry.after["is_active"] is False


# ---- login throttling ---------------------------------------------------------------------
@pytest.fixture
def three_tries(settings):
    settings.PMLOOP_LOGIN_MAX_FAILURES = 3
    settings.PMLOOP_LOGIN_WINDOW_SECONDS = 600
    return 3


def test_login_check_accepts_right_password(owner):
    assert services.login_check(username="owner", password="pw-Secret-123") == owner


def test_wrong_password_does_not_say_which_part_was_wrong(owner):
    with pytest.raises(InvalidInput) as wrong_pw:
        services.login_check(username="owner", password="nope")
    with pytest.raises(InvalidInput) as no_user:
        services.login_check(username="nobody", password="nope")
    assert wrong_pw.value.code == no_user.value.code == "bad_credentials"
    assert wrong_pw.value.message == no_user.value.message


def test_login_is_throttled_after_max_failures_even_with_right_password(owner, three_tries):
    for _ in range(three_tries):
        with pytest.raises(InvalidInput):
            services.login_check(username="owner", password="wrong", ip="10.0.0.1")
    with pytest.raises(PermissionDenied) as exc:
        services.login_check(username="owner", password="pw-Secret-123", ip="10.0.0.2")
    assert exc.value.code == "throttled"
    assert "minutes" in exc.value.message
    # the name is matched case-insensitively, so 'OWNER' is throttled too
    with pytest.raises(PermissionDenied):
        services.login_check(username="OWNER", password="pw-Secret-123")


def test_success_before_the_limit_resets_the_count(owner, three_tries):
    for _ in range(three_tries - 1):
        with pytest.raises(InvalidInput):
            services.login_check(username="owner", password="wrong")
    assert services.login_check(username="owner", password="pw-Secret-123") == owner
    assert not LoginFailure.objects.filter(username__iexact="owner").exists()
    for _ in range(three_tries - 1):  # a fresh allowance
        with pytest.raises(InvalidInput):
            services.login_check(username="owner", password="wrong")
    assert services.login_check(username="owner", password="pw-Secret-123") == owner


def test_failures_outside_the_window_do_not_count(owner, three_tries):
    for _ in range(three_tries):
        with pytest.raises(InvalidInput):
            services.login_check(username="owner", password="wrong")
    LoginFailure.objects.update(created_at=timezone.now() - timedelta(seconds=601))
    assert services.login_check(username="owner", password="pw-Secret-123") == owner


def test_one_address_guessing_many_names_is_throttled(owner, three_tries):
    for i in range(three_tries * 4):
        with pytest.raises(InvalidInput):
            services.login_check(username=f"guess{i}", password="wrong", ip="10.9.9.9")
    with pytest.raises(PermissionDenied) as exc:
        services.login_check(username="owner", password="pw-Secret-123", ip="10.9.9.9")
    assert exc.value.code == "throttled"
    # another address is not affected
    assert services.login_check(username="owner", password="pw-Secret-123", ip="10.1.1.1") == owner


# ---- API tokens ---------------------------------------------------------------------------
def test_token_secret_is_shown_once_and_only_its_sha256_is_stored(owner, actor_for, log_mark):
    new = services.create_api_token(actor=actor_for(owner), name="ci", scope="write", expires_in_days=30)
    assert new.raw.startswith(services.TOKEN_PREFIX + new.token.prefix + "_")
    stored = ApiToken.objects.get(pk=new.token.pk)
    assert stored.key_hash == hashlib.sha256(new.raw.encode()).hexdigest()
    # the secret is in no column of the token row
    row = ApiToken.objects.filter(pk=stored.pk).values().get()
    assert all(new.raw not in str(v) for v in row.values())
    secret_part = new.raw.rsplit("_", 1)[-1]
    assert all(secret_part not in str(v) for v in row.values())
    # nor in the operation log
    entry = last_entry()
    assert entry.action == "accounts.token_created" and entry.actor_id == owner.pk and log_mark() == 1
    dumped = str(AuditEntry.objects.filter(pk=entry.pk).values().get())
    assert new.raw not in dumped and stored.key_hash not in dumped and secret_part not in dumped
    assert entry.after["scope"] == "write" and entry.after["expires_at"]


def test_resolve_token_finds_active_token_and_rejects_tampered(owner, actor_for):
    new = services.create_api_token(actor=actor_for(owner), name="ci")
    assert services.resolve_token(new.raw).pk == new.token.pk
    assert services.resolve_token(new.raw[:-1] + ("A" if new.raw[-1] != "A" else "B")) is None
    assert services.resolve_token("") is None
    assert services.resolve_token("pml_") is None
    assert services.resolve_token("Bearer " + new.raw) is None
    assert services.resolve_token("pml_00000000_" + "x" * 43) is None


def test_revoked_or_expired_token_does_not_authenticate(owner, actor_for, log_mark):
    revoked = services.create_api_token(actor=actor_for(owner), name="r")
    expired = services.create_api_token(actor=actor_for(owner), name="e", expires_in_days=1)
    services.revoke_api_token(actor=actor_for(owner), token_id=revoked.token.pk)
    entry = last_entry()
    assert entry.action == "accounts.token_revoked" and entry.before["revoked_at"] is None
    assert entry.after["revoked_at"]
    ApiToken.objects.filter(pk=expired.token.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    assert services.resolve_token(revoked.raw) is None
    assert services.resolve_token(expired.raw) is None


def test_token_of_deactivated_user_does_not_authenticate(owner, admin, actor_for):
    new = services.create_api_token(actor=actor_for(owner), name="ci")
    services.set_user_active(actor=actor_for(admin), user_id=owner.pk, active=False)
    assert services.resolve_token(new.raw) is None


def test_revoke_twice_is_refused(owner, actor_for, log_mark):
    new = services.create_api_token(actor=actor_for(owner), name="ci")
    services.revoke_api_token(actor=actor_for(owner), token_id=new.token.pk)
    revoked_at = ApiToken.objects.get(pk=new.token.pk).revoked_at
    mark = log_mark()
    with pytest.raises(GuardFailed) as exc:
        services.revoke_api_token(actor=actor_for(owner), token_id=new.token.pk)
    assert exc.value.code == "already_revoked"
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at == revoked_at and log_mark() == mark


def test_cannot_revoke_someone_elses_token_but_admin_can(owner, make_user, admin, actor_for, log_mark):
    new = services.create_api_token(actor=actor_for(owner), name="ci")
    mark = log_mark()
    with pytest.raises(NotFound):
        services.revoke_api_token(actor=actor_for(make_user("mallory")), token_id=new.token.pk)
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is None and log_mark() == mark
    services.revoke_api_token(actor=actor_for(admin), token_id=new.token.pk)
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is not None


def test_read_only_actor_cannot_create_or_revoke_tokens(owner, actor_for, log_mark):
    new = services.create_api_token(actor=actor_for(owner), name="ci")
    mark, count = log_mark(), ApiToken.objects.count()
    ro = actor_for(owner, read_only=True)
    with pytest.raises(PermissionDenied) as created:
        services.create_api_token(actor=ro, name="more")
    with pytest.raises(PermissionDenied) as revoked:
        services.revoke_api_token(actor=ro, token_id=new.token.pk)
    assert created.value.code == revoked.value.code == "read_only_token"
    assert ApiToken.objects.count() == count and log_mark() == mark
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is None


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"name": ""}, "name"),
        ({"name": "   "}, "name"),
        ({"name": "n" * 101}, "name"),
        ({"scope": "admin"}, "scope"),
        ({"expires_in_days": 0}, "expires_in_days"),
        ({"expires_in_days": 3651}, "expires_in_days"),
    ],
)
def test_create_token_validates_input(owner, actor_for, log_mark, kwargs, field):
    with pytest.raises(InvalidInput) as exc:
        services.create_api_token(actor=actor_for(owner), **{"name": "ci", **kwargs})
    assert exc.value.field == field
    assert not ApiToken.objects.exists() and log_mark() == 0


def test_anonymous_cannot_create_tokens(actor_for, db):
    with pytest.raises(PermissionDenied) as exc:
        services.create_api_token(actor=actor_for(None), name="x")
    assert exc.value.code == "unauthenticated"


# ---- membership ---------------------------------------------------------------------------
def test_owner_adds_member_and_it_is_audited(product, owner, make_user, actor_for, log_mark):
    dev = make_user("dev")
    m = services.add_member(
        actor=actor_for(owner), product_id=product.pk, user_id=dev.pk, role=Role.DEVELOPER
    )
    assert m.role == "developer"
    entry = last_entry()
    assert (entry.action, entry.actor_id, entry.product_id) == ("accounts.member_added", owner.pk, product.pk)
    assert entry.after == {"user_id": dev.pk, "product_id": product.pk, "role": "developer"}
    assert log_mark() == 1


@pytest.mark.parametrize(
    ("user_kind", "role", "error", "code", "field"),
    [
        ("new", "boss", InvalidInput, "invalid", "role"),
        ("new", "", InvalidInput, "invalid", "role"),
        ("missing", "viewer", InvalidInput, "invalid", "user_id"),
        ("inactive", "viewer", InvalidInput, "invalid", "user_id"),
        ("member", "viewer", GuardFailed, "already_member", None),
    ],
)
def test_add_member_refusals(product, owner, member, make_user, actor_for, log_mark, user_kind, role, error, code, field):  # fmt: skip
    users = {
        "new": lambda: make_user("new"),
        "missing": lambda: User(pk=987654),
        "inactive": lambda: make_user("gone", is_active=False),
        "member": lambda: member(Role.PM, "already"),
    }
    user = users[user_kind]()
    before, mark = memberships(product), log_mark()
    with pytest.raises(error) as exc:
        services.add_member(actor=actor_for(owner), product_id=product.pk, user_id=user.pk, role=role)
    assert exc.value.code == code and exc.value.field == field and exc.value.message
    assert memberships(product) == before and log_mark() == mark


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.OWNER])
def test_only_owners_manage_members(product, member, make_user, actor_for, log_mark, role):
    actor = actor_for(member(role, "m"))
    victim = member(Role.VIEWER, "victim")
    newbie = make_user("newbie")
    before, mark = memberships(product), log_mark()
    calls = [
        lambda: services.add_member(actor=actor, product_id=product.pk, user_id=newbie.pk, role="viewer"),
        lambda: services.change_member_role(actor=actor, product_id=product.pk, user_id=victim.pk, role="pm"),
        lambda: services.remove_member(actor=actor, product_id=product.pk, user_id=victim.pk),
    ]
    for call in calls:
        with pytest.raises(PermissionDenied) as exc:
            call()
        assert exc.value.code == "role_forbidden"
        assert "accounts.manage_members" in exc.value.message
    assert memberships(product) == before and log_mark() == mark


def test_non_member_gets_not_found_not_forbidden(product, other_product, make_user, actor_for, log_mark):
    from pmloop.accounts.models import Membership as M

    outsider = M.objects.get(product=other_product).user
    newbie = make_user("newbie")
    with pytest.raises(NotFound) as exc:
        services.add_member(
            actor=actor_for(outsider), product_id=product.pk, user_id=newbie.pk, role="viewer"
        )
    assert exc.value.code == "product_not_found"
    assert not M.objects.filter(user=newbie).exists() and log_mark() == 0


def test_change_role_is_audited_with_before_and_after(product, owner, member, actor_for, log_mark):
    dev = member(Role.DEVELOPER, "dev")
    services.change_member_role(actor=actor_for(owner), product_id=product.pk, user_id=dev.pk, role=Role.PM)
    assert memberships(product)["dev"] == "pm"
    entry = last_entry()
    assert entry.action == "accounts.member_role_changed"
    assert entry.before["role"] == "developer" and entry.after["role"] == "pm"


def test_change_role_refusals(product, owner, member, make_user, actor_for, log_mark):
    dev = member(Role.DEVELOPER, "dev")
    stranger = make_user("stranger")
    before, mark = memberships(product), log_mark()
    with pytest.raises(InvalidInput) as bad_role:
        services.change_member_role(actor=actor_for(owner), product_id=product.pk, user_id=dev.pk, role="god")
    assert bad_role.value.field == "role"
    with pytest.raises(NotFound):
        services.change_member_role(
            actor=actor_for(owner), product_id=product.pk, user_id=stranger.pk, role="pm"
        )
    with pytest.raises(NotFound):
        services.remove_member(actor=actor_for(owner), product_id=product.pk, user_id=stranger.pk)
    assert memberships(product) == before and log_mark() == mark


def test_last_owner_can_be_neither_demoted_nor_removed(product, owner, actor_for, log_mark):
    before, mark = memberships(product), log_mark()
    with pytest.raises(GuardFailed) as demote:
        services.change_member_role(
            actor=actor_for(owner), product_id=product.pk, user_id=owner.pk, role="pm"
        )
    with pytest.raises(GuardFailed) as remove:
        services.remove_member(actor=actor_for(owner), product_id=product.pk, user_id=owner.pk)
    assert demote.value.code == remove.value.code == "last_owner"
    assert "owner" in demote.value.message
    assert memberships(product) == before == {"owner": "owner"} and log_mark() == mark


def test_second_owner_can_be_demoted_and_removed(product, owner, member, actor_for, log_mark):
    second = member(Role.OWNER, "second")
    services.change_member_role(
        actor=actor_for(owner), product_id=product.pk, user_id=second.pk, role="viewer"
    )
    services.remove_member(actor=actor_for(owner), product_id=product.pk, user_id=second.pk)
    assert memberships(product) == {"owner": "owner"}
    entry = last_entry()
    assert entry.action == "accounts.member_removed"
    assert entry.before["role"] == "viewer" and entry.after == {}


def test_products_designated_owner_keeps_the_owner_role(product, owner, member, actor_for, log_mark):
    """Product.owner must stay an owner-role member (the rule update_product enforces on an
    owner change); another owner may not demote or remove them before ownership moves."""
    second = member(Role.OWNER, "second")
    before, mark = memberships(product), log_mark()
    with pytest.raises(GuardFailed) as demote:
        services.change_member_role(
            actor=actor_for(second), product_id=product.pk, user_id=owner.pk, role="pm"
        )
    with pytest.raises(GuardFailed) as remove:
        services.remove_member(actor=actor_for(second), product_id=product.pk, user_id=owner.pk)
    assert demote.value.code == remove.value.code == "product_owner"
    assert memberships(product) == before and log_mark() == mark


def test_admin_cannot_add_member_to_a_product_that_does_not_exist(admin, make_user, actor_for, log_mark):
    user = make_user("u")
    with pytest.raises(NotFound) as exc:
        services.add_member(actor=actor_for(admin), product_id=987654, user_id=user.pk, role="viewer")
    assert exc.value.code == "product_not_found"
    assert not Membership.objects.filter(user=user).exists() and log_mark() == 0


def test_role_cache_is_refreshed_after_creating_a_product(owner, actor_for):
    from pmloop.accounts import permissions
    from pmloop.products import services as product_services

    actor = actor_for(owner)
    assert permissions.visible_product_ids(actor) == set()  # memoised: no products yet
    p = product_services.create_product(actor=actor, code="NEW", name="New")
    assert permissions.can(actor, "products.edit", product_id=p.pk)


def test_admin_user_operations_on_missing_user_are_not_found(admin, actor_for, log_mark):
    with pytest.raises(NotFound):
        services.set_password(actor=actor_for(admin), user_id=987654, password="pw-Secret-123")
    with pytest.raises(NotFound):
        services.set_user_active(actor=actor_for(admin), user_id=987654, active=False)
    assert log_mark() == 0
