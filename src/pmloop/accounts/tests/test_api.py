"""The accounts API contract: status codes, the error shape, tokens, members, CSRF."""

from __future__ import annotations

import pytest
from django.test import Client

from pmloop.accounts.models import ApiToken, Membership, User
from pmloop.accounts.roles import Role
from pmloop.audit.models import AuditEntry

pytestmark = pytest.mark.django_db
API = "/api/v1"


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) == {"code", "message", "fields", "missing"}, body
    assert body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        assert field in [f["field"] for f in body["fields"]], body
    return body


def post(client, path, data):
    return client.post(API + path, data=data, content_type="application/json")


# ---- who am I -----------------------------------------------------------------------------
def test_me(owner, api_client, token_client):
    assert api_client(owner).get(f"{API}/accounts/me").json()["username"] == "owner"
    c, _ = token_client(owner, "read")
    body = c.get(f"{API}/accounts/me").json()
    assert body == {
        "id": owner.pk, "username": "owner", "display_name": "", "email": "", "is_admin": False, "is_active": True,
        "language": "",
    }  # fmt: skip
    assert_error(Client().get(f"{API}/accounts/me"), 401, "unauthenticated")


# ---- users --------------------------------------------------------------------------------
def test_list_users_paginates_and_filters(owner, make_user, api_client):
    for i in range(7):
        make_user(f"dev{i}", display_name=f"Developer {i}")
    make_user("ghost", is_active=False)
    c = api_client(owner)
    page = c.get(f"{API}/accounts/users", {"page_size": 3, "page": 2}).json()
    assert (page["count"], page["page"], page["page_size"], page["pages"]) == (8, 2, 3, 3)
    assert [u["username"] for u in page["items"]] == ["dev3", "dev4", "dev5"]
    found = c.get(f"{API}/accounts/users", {"q": "loper 6"}).json()
    assert [u["username"] for u in found["items"]] == ["dev6"]
    assert "ghost" not in [u["username"] for u in c.get(f"{API}/accounts/users").json()["items"]]
    assert_error(c.get(f"{API}/accounts/users", {"page": 0}), 422, field="page")
    assert_error(c.get(f"{API}/accounts/users", {"page_size": 201}), 422, field="page_size")


def test_admin_creates_user(admin, api_client):
    r = post(
        api_client(admin),
        "/accounts/users",
        {"username": "carol", "password": "pw-Secret-123", "is_admin": True},
    )
    assert r.status_code == 201
    assert r.json()["is_admin"] is True and "password" not in r.json()
    assert User.objects.get(username="carol").is_superuser


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"username": "owner", "password": "pw-Secret-123"}, "username"),
        ({"username": "", "password": "pw-Secret-123"}, "username"),
        ({"username": "x" * 151, "password": "pw-Secret-123"}, "username"),
        ({"username": "dan", "password": "short"}, "password"),
        ({"username": "dan"}, "password"),
        ({"username": "dan", "password": "pw-Secret-123", "display_name": "d" * 101}, "display_name"),
        ({"username": "dan", "password": "pw-Secret-123", "is_admin": "maybe"}, "is_admin"),
    ],
)
def test_create_user_validation(admin, owner, api_client, body, field):
    users, log = User.objects.count(), AuditEntry.objects.count()
    assert_error(post(api_client(admin), "/accounts/users", body), 422, field=field)
    assert User.objects.count() == users and AuditEntry.objects.count() == log


def test_non_admin_cannot_create_users(owner, api_client):
    assert_error(
        post(api_client(owner), "/accounts/users", {"username": "x", "password": "pw-Secret-123"}), 403
    )
    assert not User.objects.filter(username="x").exists()


# ---- tokens -------------------------------------------------------------------------------
def test_token_is_shown_once(owner, api_client):
    c = api_client(owner)
    r = post(c, "/accounts/tokens", {"name": "ci", "scope": "write", "expires_in_days": 7})
    assert r.status_code == 201
    created = r.json()
    assert created["token"].startswith("pml_") and created["scope"] == "write" and created["expires_at"]
    listed = c.get(f"{API}/accounts/tokens").json()
    assert [t["id"] for t in listed] == [created["id"]]
    assert "token" not in listed[0] and created["token"] not in str(listed)
    assert listed[0]["prefix"] in created["token"]
    # the token works, and only for its owner's data
    tc = Client(HTTP_AUTHORIZATION=f"Bearer {created['token']}")
    assert tc.get(f"{API}/accounts/me").json()["username"] == "owner"


def test_token_defaults_to_read_only(owner, api_client):
    r = post(api_client(owner), "/accounts/tokens", {"name": "reader"})
    assert r.json()["scope"] == "read"
    tc = Client(HTTP_AUTHORIZATION=f"Bearer {r.json()['token']}")
    assert_error(post(tc, "/products", {"code": "RO", "name": "x"}), 403, "read_only_token")


@pytest.mark.parametrize(
    ("body", "field"),
    [({"name": ""}, "name"), ({"name": "n" * 101}, "name"), ({"name": "x", "scope": "root"}, "scope"),
     ({"name": "x", "expires_in_days": 0}, "expires_in_days"), ({}, "name")],
)  # fmt: skip
def test_create_token_validation(owner, api_client, body, field):
    assert_error(post(api_client(owner), "/accounts/tokens", body), 422, field=field)
    assert not ApiToken.objects.exists()


def test_revoke_token(owner, api_client, token_client):
    tc, new = token_client(owner, "write")
    c = api_client(owner)
    r = post(c, f"/accounts/tokens/{new.token.pk}/revoke", {})
    assert r.status_code == 200 and r.json()["revoked_at"]
    assert_error(tc.get(f"{API}/accounts/me"), 401, "unauthenticated")
    assert_error(post(c, f"/accounts/tokens/{new.token.pk}/revoke", {}), 422, "already_revoked")


def test_cannot_revoke_someone_elses_token(owner, make_user, api_client, token_client):
    _, new = token_client(owner, "write")
    assert_error(post(api_client(make_user("eve")), f"/accounts/tokens/{new.token.pk}/revoke", {}), 404)
    assert_error(post(api_client(owner), "/accounts/tokens/987654/revoke", {}), 404)
    assert ApiToken.objects.get(pk=new.token.pk).revoked_at is None


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer pml_deadbeef_xxxxxxxx", "Token pml_x", "Bearer ", "Basic dXNlcjpwdw=="],
)
def test_bad_authorization_header_is_401(header, db):
    assert_error(Client(HTTP_AUTHORIZATION=header).get(f"{API}/products"), 401, "unauthenticated")


# ---- session auth and CSRF ----------------------------------------------------------------
def test_session_writes_need_csrf_token_writes_do_not(owner, token_client):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(owner)
    assert browser.get(f"{API}/accounts/me").status_code == 200  # reads need no CSRF token
    body = assert_error(post(browser, "/accounts/tokens", {"name": "x"}), 403)
    assert "CSRF" in body["message"]
    assert not ApiToken.objects.exists()
    # with the cookie and the matching header the same write passes
    secret = "a" * 32
    browser.cookies["csrftoken"] = secret
    r = browser.post(
        f"{API}/accounts/tokens", data={"name": "x"}, content_type="application/json", HTTP_X_CSRFTOKEN=secret
    )
    assert r.status_code == 201
    # a token client never needs one
    tc, _ = token_client(owner, "write")
    tc_strict = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION=tc.defaults["HTTP_AUTHORIZATION"])
    assert post(tc_strict, "/accounts/tokens", {"name": "y"}).status_code == 201


def test_no_session_and_no_token_is_401_not_a_csrf_error(db):
    strict = Client(enforce_csrf_checks=True)
    assert_error(post(strict, "/products", {"code": "AB", "name": "x"}), 401, "unauthenticated")
    bad = Client(enforce_csrf_checks=True, HTTP_AUTHORIZATION="Bearer pml_dead_beef")
    assert_error(post(bad, "/products", {"code": "AB", "name": "x"}), 401, "unauthenticated")


def test_inactive_users_session_is_refused(owner, api_client):
    c = api_client(owner)
    User.objects.filter(pk=owner.pk).update(is_active=False)
    assert_error(c.get(f"{API}/accounts/me"), 401)


# ---- members ------------------------------------------------------------------------------
def test_members_list_add_change_remove(product, owner, make_user, api_client):
    c = api_client(owner)
    dev = make_user("dev")
    r = post(c, f"/accounts/products/{product.pk}/members", {"user_id": dev.pk, "role": "developer"})
    assert r.status_code == 201 and r.json()["role"] == "developer" and r.json()["user"]["username"] == "dev"
    listed = c.get(f"{API}/accounts/products/{product.pk}/members").json()
    assert {(m["user"]["username"], m["role"]) for m in listed} == {("owner", "owner"), ("dev", "developer")}
    r = c.put(
        f"{API}/accounts/products/{product.pk}/members/{dev.pk}",
        {"role": "pm"},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["role"] == "pm"
    r = c.delete(f"{API}/accounts/products/{product.pk}/members/{dev.pk}")
    assert r.status_code == 204 and r.content == b""
    assert not Membership.objects.filter(user=dev).exists()
    actions = list(AuditEntry.objects.filter(via="web").order_by("seq").values_list("action", flat=True))
    assert actions == []  # API calls are logged as via=api
    actions = list(AuditEntry.objects.filter(via="api").order_by("seq").values_list("action", flat=True))
    assert actions == ["accounts.member_added", "accounts.member_role_changed", "accounts.member_removed"]


def test_member_refusals(product, owner, member, make_user, api_client):
    c = api_client(owner)
    viewer = member(Role.VIEWER, "v")
    stranger = make_user("stranger")
    before = set(Membership.objects.values_list("user_id", "role"))
    assert_error(
        post(c, f"/accounts/products/{product.pk}/members", {"user_id": stranger.pk, "role": "king"}),
        422,
        field="role",
    )
    assert_error(
        post(c, f"/accounts/products/{product.pk}/members", {"user_id": 987654, "role": "pm"}),
        422,
        field="user_id",
    )
    assert_error(
        post(c, f"/accounts/products/{product.pk}/members", {"user_id": viewer.pk, "role": "pm"}),
        422,
        "already_member",
    )
    assert_error(post(c, f"/accounts/products/{product.pk}/members", {"role": "pm"}), 422, field="user_id")
    assert_error(c.delete(f"{API}/accounts/products/{product.pk}/members/{owner.pk}"), 422, "last_owner")
    assert_error(c.delete(f"{API}/accounts/products/{product.pk}/members/{stranger.pk}"), 404)
    assert_error(
        api_client(viewer).delete(f"{API}/accounts/products/{product.pk}/members/{owner.pk}"),
        403,
        "role_forbidden",
    )
    assert_error(post(api_client(admin_user := make_user("adm", admin=True)), "/accounts/products/987654/members",
                      {"user_id": stranger.pk, "role": "pm"}), 404, "product_not_found")  # fmt: skip
    assert_error(
        api_client(admin_user).get(f"{API}/accounts/products/987654/members"), 404, "product_not_found"
    )
    assert set(Membership.objects.values_list("user_id", "role")) == before


def test_members_of_another_product_are_not_found(product, other_product, api_client):
    outsider = api_client(other_product.owner)
    a = assert_error(outsider.get(f"{API}/accounts/products/{product.pk}/members"), 404)
    b = assert_error(outsider.get(f"{API}/accounts/products/987654/members"), 404)
    assert a == b  # no hint whether the product exists
