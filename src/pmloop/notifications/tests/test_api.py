"""The notifications API contract: your own inbox only, paging, the unread filter and count,
marking some or all read, the one error shape."""

from __future__ import annotations

import pytest
from django.urls import path

from pmloop.notifications import services
from pmloop.notifications.api import router
from pmloop.notifications.models import Notification

API = "/api/v1/notifications"
FIELDS = {
    "id", "kind", "params", "title", "body", "url", "product_id", "object_type", "object_id", "created_at", "read_at", "read",
}  # fmt: skip


def _registered() -> bool:
    from pmloop.config.api import api

    return any(r is router for _prefix, r in api._routers)


def _test_api():
    """Until config/api.py mounts the router, mount it on an API built like the real one
    (same class, authentication and error handlers) for these tests."""
    from ninja.errors import AuthenticationError, HttpError, ValidationError

    from pmloop.config import api as cfg
    from pmloop.core.errors import DomainError

    napi = cfg.PmloopAPI(urls_namespace="notifications-test-api", auth=[cfg.TokenAuth(), cfg.SessionUser()])
    for exc, handler in [
        (DomainError, cfg.on_domain_error),
        (ValidationError, cfg.on_validation_error),
        (AuthenticationError, cfg.on_auth_error),
        (HttpError, cfg.on_http_error),
    ]:
        napi.add_exception_handler(exc, handler)
    napi.add_router("/notifications", router)
    return napi


urlpatterns = [] if _registered() else [path("api/v1/", _test_api().urls)]
pytestmark = [pytest.mark.django_db] + ([] if _registered() else [pytest.mark.urls(__name__)])


def assert_error(response, status: int, code: str | None = None, field: str | None = None):
    assert response.status_code == status, response.content
    body = response.json()
    assert set(body) == {"code", "message", "fields", "missing"}, body
    assert body["message"]
    if code:
        assert body["code"] == code, body
    if field:
        assert field in [f["field"] for f in body["fields"]], body
    return body


@pytest.fixture
def alice(make_user):
    return make_user("alice")


@pytest.fixture
def bob(make_user):
    return make_user("bob")


@pytest.fixture
def inbox(alice, bob):
    """Alice has 3 notifications (the oldest read), Bob has 1."""
    made = [
        services.notify(user_ids=[alice.pk], kind="review_requested", title=f"评审请求 {n}", body="请评审",
                        url=f"/requirements/{n}/", product_id=None)[0]
        for n in range(3)
    ]  # fmt: skip
    services.notify(user_ids=[bob.pk], kind="verdict_given", title="bob's")
    Notification.objects.filter(pk=made[0].pk).update(read_at="2020-01-01T00:00:00Z")
    return made


def c(api_client, user):
    return api_client(user)


def test_list_is_yours_newest_first_with_every_field(api_client, alice, inbox):
    r = c(api_client, alice).get(API)
    assert r.status_code == 200
    body = r.json()
    assert (body["count"], body["page"], body["pages"]) == (3, 1, 1)
    assert set(body["items"][0]) == FIELDS
    assert [i["title"] for i in body["items"]] == ["评审请求 2", "评审请求 1", "评审请求 0"]
    assert [i["read"] for i in body["items"]] == [False, False, True]
    assert body["items"][0]["url"] == "/requirements/2/" and body["items"][0]["kind"] == "review_requested"


def test_unread_filter_and_count(api_client, alice, bob, inbox):
    client = c(api_client, alice)
    unread = client.get(API, {"unread": "true"}).json()
    assert unread["count"] == 2 and all(not i["read"] for i in unread["items"])
    assert client.get(f"{API}/unread-count").json() == {"unread": 2}
    assert c(api_client, bob).get(f"{API}/unread-count").json() == {"unread": 1}


def test_paging(api_client, alice, inbox):
    client = c(api_client, alice)
    first = client.get(API, {"page_size": 2}).json()
    second = client.get(API, {"page_size": 2, "page": 2}).json()
    assert (first["pages"], len(first["items"]), len(second["items"])) == (2, 2, 1)
    assert {i["id"] for i in first["items"]}.isdisjoint({i["id"] for i in second["items"]})
    assert client.get(API, {"page": 9}).json()["items"] == []
    assert_error(client.get(API, {"page_size": 0}), 422, "invalid", "page_size")
    assert_error(client.get(API, {"page_size": 201}), 422, "invalid", "page_size")
    assert_error(client.get(API, {"unread": "maybe"}), 422, "invalid", "unread")


def test_mark_some_read(api_client, alice, inbox):
    client = c(api_client, alice)
    r = client.post(f"{API}/read", {"ids": [inbox[1].pk]}, content_type="application/json")
    assert r.status_code == 200 and r.json() == {"marked": 1, "unread": 1}
    assert Notification.objects.get(pk=inbox[1].pk).read_at is not None
    assert Notification.objects.get(pk=inbox[2].pk).read_at is None
    # already read: nothing more to mark, not an error
    again = client.post(f"{API}/read", {"ids": [inbox[1].pk, inbox[0].pk]}, content_type="application/json")
    assert again.json() == {"marked": 0, "unread": 1}


@pytest.mark.parametrize("body", [{"all": True}, {}])
def test_mark_all_read(api_client, alice, bob, inbox, body):
    r = c(api_client, alice).post(f"{API}/read", body, content_type="application/json")
    assert r.json() == {"marked": 2, "unread": 0}
    assert Notification.objects.filter(user=bob, read_at__isnull=True).count() == 1  # not Bob's


def test_someone_elses_notification_is_not_found_and_nothing_changes(api_client, alice, bob, inbox):
    before = list(Notification.objects.order_by("pk").values_list("pk", "read_at"))
    r = c(api_client, bob).post(f"{API}/read", {"ids": [inbox[2].pk]}, content_type="application/json")
    assert_error(r, 404, "not_found")
    assert str(inbox[2].pk) in r.json()["message"]
    assert list(Notification.objects.order_by("pk").values_list("pk", "read_at")) == before


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"ids": [1], "all": True}, "body"),
        ({"all": False}, "body"),
        ({"ids": []}, "ids"),
        ({"ids": ["x"]}, "ids"),
        ({"ids": [1], "colour": "red"}, "colour"),
    ],
)
def test_mark_read_validation(api_client, alice, inbox, body, field):
    before = Notification.objects.filter(read_at__isnull=True).count()
    r = c(api_client, alice).post(f"{API}/read", body, content_type="application/json")
    assert_error(r, 422, "invalid")
    assert any(f["field"].startswith(field) or f["field"].endswith(field) for f in r.json()["fields"]), (
        r.json()
    )
    assert Notification.objects.filter(read_at__isnull=True).count() == before


def test_anonymous_gets_401(client, inbox):
    for response in (client.get(API), client.get(f"{API}/unread-count"),
                     client.post(f"{API}/read", {}, content_type="application/json")):  # fmt: skip
        assert_error(response, 401, "unauthenticated")


def test_token_clients_read_their_own_inbox(token_client, alice, inbox):
    client, _token = token_client(alice, "read")
    assert client.get(API).json()["count"] == 3
    assert client.get(f"{API}/unread-count").json() == {"unread": 2}


def test_a_read_only_token_cannot_mark_read(token_client, alice, inbox):
    client, _token = token_client(alice, "read")
    r = client.post(f"{API}/read", {"all": True}, content_type="application/json")
    assert_error(r, 403, "read_only_token")


def test_every_operation_is_documented():
    from pmloop.config.api import api

    schema = (api if _registered() else _test_api()).get_openapi_schema()
    ops = [op for p, methods in schema["paths"].items() if "/notifications" in p for op in methods.values()]
    assert len(ops) == 3
    for op in ops:
        assert op.get("summary") and "200" in {str(k) for k in op["responses"]}
