"""The inbox: unread first, open (marks read, goes to the object), mark one or all read, the
badge fragment the shell polls; nobody sees another user's notifications."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from pmloop.notifications import services
from pmloop.notifications.models import Notification

pytestmark = pytest.mark.django_db


@pytest.fixture
def login():
    def make(user, lang: str = "en") -> Client:
        c = Client()
        c.force_login(user)
        c.cookies["django_language"] = lang
        return c

    return make


@pytest.fixture
def notes(make_user):
    alice = make_user("alice")
    services.notify(user_ids=[alice.pk], kind="review_requested", title="Review requested: IMSDK-1 群组权限",
                    url="/requirements/1/", body="请评审")  # fmt: skip
    services.notify(
        user_ids=[alice.pk], kind="verdict_given", title="old verdict", url="https://evil.example/x"
    )
    old = Notification.objects.get(title="old verdict")
    Notification.objects.filter(pk=old.pk).update(read_at="2026-01-01T00:00:00Z")
    return alice


@pytest.mark.parametrize("lang,words", [("zh-hans", ["消息", "未读", "更早", "请求评审", "全部标为已读", "我的工作"]),
                                        ("en", ["Inbox", "Unread", "Earlier", "Review requested", "Mark all read"])])  # fmt: skip
def test_inbox_renders_unread_first_in_both_languages(notes, login, lang, words):
    body = login(notes, lang).get(reverse("notifications:inbox")).content.decode()
    for w in words:
        assert w in body
    assert body.index("IMSDK-1 群组权限") < body.index("old verdict")
    assert reverse("requirements:mine") in body


def test_open_marks_read_and_goes_to_the_object(notes, login):
    c = login(notes)
    note = Notification.objects.get(title__startswith="Review requested")
    r = c.get(reverse("notifications:open", args=[note.pk]))
    assert r.status_code == 302 and r["Location"] == "/requirements/1/"
    note.refresh_from_db()
    assert note.read_at is not None


def test_open_never_redirects_off_site(notes, login):
    note = Notification.objects.get(title="old verdict")
    r = login(notes).get(reverse("notifications:open", args=[note.pk]))
    assert r["Location"] == reverse("notifications:inbox")


def test_mark_one_and_all_read(notes, login, make_user):
    c = login(notes)
    note = Notification.objects.get(title__startswith="Review requested")
    assert c.post(reverse("notifications:read", args=[note.pk])).status_code == 302
    note.refresh_from_db()
    assert note.read_at is not None
    services.notify(user_ids=[notes.pk], kind="change_requested", title="a")
    services.notify(user_ids=[notes.pk], kind="change_requested", title="b")
    r = c.post(reverse("notifications:read_all"), follow=True)
    assert "2 notifications marked read" in r.content.decode()
    assert not Notification.objects.filter(user=notes, read_at__isnull=True).exists()
    assert "Nothing new" in c.get(reverse("notifications:inbox")).content.decode()


def test_badge_shows_the_unread_count(notes, login):
    r = login(notes).get(reverse("notifications:badge"), HTTP_HX_REQUEST="true")
    body = r.content.decode()
    assert r.status_code == 200 and "<html" not in body
    assert ">1</span>" in body and 'hx-trigger="every 60s"' in body


def test_nobody_sees_another_users_notifications(notes, login, make_user):
    bob = login(make_user("bob"))
    note = Notification.objects.get(title__startswith="Review requested")
    assert "群组权限" not in bob.get(reverse("notifications:inbox")).content.decode()
    assert bob.get(reverse("notifications:open", args=[note.pk])).status_code == 404
    assert bob.post(reverse("notifications:read", args=[note.pk])).status_code == 404
    note.refresh_from_db()
    assert note.read_at is None


def test_anonymous_is_sent_to_log_in():
    for name in ("notifications:inbox", "notifications:badge"):
        r = Client().get(reverse(name))
        assert r.status_code == 302 and "/accounts/login/" in r["Location"]


def test_inbox_query_count_is_bounded(notes, login, django_assert_max_num_queries):
    for i in range(40):
        services.notify(user_ids=[notes.pk], kind="review_decided", title=f"n{i}", url="/requirements/1/")
    c = login(notes)
    with django_assert_max_num_queries(10):
        assert c.get(reverse("notifications:inbox")).status_code == 200
