"""Notifications store what happened (kind + params) and are worded when read, in the reader's
language: the inbox page and the API in the request's, e-mails in the recipient's. Rows of an
unknown kind, and rows written before kinds had params, show the title they were stored with."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext_lazy

from pmloop.notifications import services
from pmloop.notifications.kinds import KINDS, render
from pmloop.notifications.models import Notification

pytestmark = pytest.mark.django_db

API = "/api/v1/notifications"
PARAMS = {"requirement_id": 42, "key": "IMSDK-42", "title": "群组权限"}
EN_TITLE = "Review requested: IMSDK-42 群组权限"
ZH_TITLE = "请求评审：IMSDK-42 群组权限"


def client(user, lang: str) -> Client:
    c = Client()
    c.force_login(user)
    c.cookies["django_language"] = lang
    return c


@pytest.fixture
def reader(make_user):
    return make_user("reader", email="reader@example.com")


@pytest.fixture
def sent_in_chinese(reader, django_capture_on_commit_callbacks):
    """A zh-Hans sender asks the reader for a review."""
    with translation.override("zh-hans"), django_capture_on_commit_callbacks(execute=True):
        services.notify(user_ids=[reader.pk], kind="review_requested", params=PARAMS, body="请看第三节")
    return Notification.objects.get(user=reader)


def test_a_new_row_keeps_what_happened(sent_in_chinese):
    n = sent_in_chinese
    assert (n.kind, n.params, n.body) == ("review_requested", PARAMS, "请看第三节")
    assert n.url == "/requirements/42/"


@pytest.mark.parametrize(("lang", "title", "label"), [("en", EN_TITLE, "Review requested"),
                                                      ("zh-hans", ZH_TITLE, "请求评审")])  # fmt: skip
def test_inbox_page_reads_in_the_readers_language(sent_in_chinese, reader, lang, title, label):
    body = client(reader, lang).get(reverse("notifications:inbox")).content.decode()
    assert title in body and label in body and "请看第三节" in body
    other = ZH_TITLE if lang == "en" else EN_TITLE
    assert other not in body


@pytest.mark.parametrize(("lang", "title"), [("en", EN_TITLE), ("zh-hans", ZH_TITLE)])
def test_api_reads_in_the_requests_language(sent_in_chinese, reader, lang, title):
    item = client(reader, lang).get(API).json()["items"][0]
    assert item["title"] == title
    assert (item["kind"], item["params"], item["url"]) == ("review_requested", PARAMS, "/requirements/42/")
    accept = Client(HTTP_ACCEPT_LANGUAGE=lang)
    accept.force_login(reader)
    assert accept.get(API).json()["items"][0]["title"] == title


@pytest.mark.parametrize(("site", "subject"), [("en", EN_TITLE), ("zh-hans", ZH_TITLE)])
def test_email_is_in_the_recipients_language_not_the_senders(
    settings, reader, django_capture_on_commit_callbacks, site, subject
):
    settings.LANGUAGE_CODE = site  # no stored preference: the site default
    sender = "en" if site == "zh-hans" else "zh-hans"
    with translation.override(sender), django_capture_on_commit_callbacks(execute=True):
        services.notify(user_ids=[reader.pk], kind="review_requested", params=PARAMS, body="请看第三节")
    assert [m.subject for m in mail.outbox] == [f"[pmloop] {subject}"]
    assert "请看第三节" in mail.outbox[0].body and "/requirements/42/" in mail.outbox[0].body


def test_a_stored_language_preference_wins_over_the_site_default(settings):
    settings.LANGUAGE_CODE = "zh-hans"
    assert services.language_of(SimpleNamespace(language="en")) == "en"
    assert services.language_of(SimpleNamespace(language="xx")) == "zh-hans"
    assert services.language_of(SimpleNamespace()) == "zh-hans"


def test_choice_labels_in_params_are_translated_for_each_reader(reader):
    services.notify(user_ids=[reader.pk], kind="verdict_given",
                    params={**PARAMS, "who": "李雷", "verdict": gettext_lazy("Pass")})  # fmt: skip
    n = Notification.objects.get(user=reader)
    assert n.params["verdict"] == {"_msgid": "Pass"}
    with translation.override("en"):
        assert Notification.objects.get(pk=n.pk).rendered().title == "李雷: Pass on IMSDK-42 群组权限"
    with translation.override("zh-hans"):
        assert (
            Notification.objects.get(pk=n.pk).rendered().title == "李雷 对 IMSDK-42 群组权限 的评审结论：通过"
        )


def test_a_fixed_body_is_translated_and_the_senders_words_are_kept(reader):
    services.notify(user_ids=[reader.pk], kind="requirement_released_customer", params=PARAMS)
    n = Notification.objects.get(user=reader)
    with translation.override("zh-hans"):
        assert n.rendered().body == "你的客户提出的产品需求已发布。"
    n = Notification.objects.get(user=reader)
    with translation.override("en"):
        assert n.rendered().body == "A requirement your customer asked for has been released."


def test_unknown_and_legacy_kinds_show_their_stored_title(reader):
    services.notify(user_ids=[reader.pk], kind="custom_broadcast", title="系统维护通知", url="/x/")
    Notification.objects.create(user=reader, kind="review_requested", params=None,
                                title="Review requested: IMSDK-1 旧标题", url="/requirements/1/")  # fmt: skip
    for lang in ("en", "zh-hans"):
        titles = [i["title"] for i in client(reader, lang).get(API).json()["items"]]
        assert titles == ["Review requested: IMSDK-1 旧标题", "系统维护通知"]
        page = client(reader, lang).get(reverse("notifications:inbox")).content.decode()
        assert "旧标题" in page and "系统维护通知" in page


def test_params_that_do_not_fit_the_template_fall_back_to_the_stored_title():
    assert render("review_requested", {"key": "A-1"}, title="stored").title == "stored"
    assert render("nonexistent", {"a": 1}, title="stored", url="/s/").url == "/s/"


def test_every_kind_renders_in_both_languages():
    params = {**PARAMS, "who": "w", "verdict": "v", "outcome": "o", "reason": "r", "plan_id": 3, "plan": "Q3",
              "item": "文案", "release_id": 5, "version": "v2.0"}  # fmt: skip
    for kind in KINDS:
        for lang in ("en", "zh-hans"):
            with translation.override(lang):
                out = render(kind, params, title="STORED")
            assert out.title != "STORED" and out.url.startswith("/"), (kind, lang)
            if lang == "zh-hans":
                assert any("\u4e00" <= ch <= "\u9fff" for ch in out.title.replace("群组权限", "")), kind


@pytest.mark.django_db(transaction=True)
def test_the_migration_keeps_old_rows_readable(make_user):
    from django.db import connection
    from django.db.migrations.executor import MigrationExecutor

    user = make_user("old")
    executor = MigrationExecutor(connection)
    executor.migrate([("notifications", "0001_initial")])
    old_apps = executor.loader.project_state([("notifications", "0001_initial")]).apps
    OldNotification = old_apps.get_model("notifications", "Notification")
    OldNotification.objects.create(user_id=user.pk, kind="review_requested", title="Review requested: IMSDK-7 旧",
                                   url="/requirements/7/")  # fmt: skip
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(executor.loader.graph.leaf_nodes())
    n = Notification.objects.get(user=user)
    assert n.params is None
    with translation.override("zh-hans"):
        assert (n.rendered().title, n.rendered().url) == ("Review requested: IMSDK-7 旧", "/requirements/7/")
        assert n.rendered().kind_label == "请求评审"
