"""A user's language is theirs: stored when they switch, used on any device and in e-mails."""

import pytest
from django.test import Client

from pmloop.accounts import services
from pmloop.accounts.models import User
from pmloop.audit.models import AuditEntry
from pmloop.core.errors import InvalidInput, PermissionDenied

pytestmark = pytest.mark.django_db


def test_service_stores_the_language_and_logs_it(owner, actor_for):
    user = services.set_language(actor=actor_for(owner), user_id=owner.pk, language="en")
    assert user.language == "en" and User.objects.get(pk=owner.pk).language == "en"
    entry = AuditEntry.objects.filter(action="accounts.language_changed").get()
    assert str(entry.object_id) == str(owner.pk)


def test_service_refuses_unknown_language_and_other_users(owner, make_user, actor_for):
    with pytest.raises(InvalidInput, match="fr"):
        services.set_language(actor=actor_for(owner), user_id=owner.pk, language="fr")
    other = make_user("other")
    with pytest.raises(PermissionDenied):
        services.set_language(actor=actor_for(owner), user_id=other.pk, language="en")
    assert User.objects.get(pk=owner.pk).language == "" and User.objects.get(pk=other.pk).language == ""


def test_switch_on_the_page_is_remembered_on_a_new_device(owner):
    first = Client()
    first.force_login(owner)
    first.post("/i18n/setlang/", {"language": "en", "next": "/"})
    assert User.objects.get(pk=owner.pk).language == "en"
    second = Client()  # no language cookie: the stored preference applies
    second.force_login(owner)
    assert second.get("/").headers["Content-Language"] == "en"
    second.cookies["django_language"] = "zh-hans"  # the device's own choice wins
    assert second.get("/").headers["Content-Language"] == "zh-hans"


def test_anonymous_switch_only_sets_the_cookie(owner):
    c = Client()
    response = c.post("/i18n/setlang/", {"language": "en", "next": "/accounts/login/"})
    assert response.status_code == 302 and c.cookies["django_language"].value == "en"
    assert User.objects.get(pk=owner.pk).language == ""


def test_bad_language_on_the_page_changes_nothing(owner):
    c = Client()
    c.force_login(owner)
    c.post("/i18n/setlang/", {"language": "xx", "next": "/"})
    assert User.objects.get(pk=owner.pk).language == ""


def test_api_reads_and_sets_the_language(owner, token_client):
    client, _token = token_client(owner)
    assert client.get("/api/v1/accounts/me").json()["language"] == ""
    r = client.patch("/api/v1/accounts/me", {"language": "en"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["language"] == "en"
    r = client.patch("/api/v1/accounts/me", {"language": "klingon"}, content_type="application/json")
    assert r.status_code in (400, 422) and User.objects.get(pk=owner.pk).language == "en"


def test_email_language_is_the_stored_preference(owner, make_user, actor_for, settings):
    from pmloop.notifications import services as notifications

    reader = make_user("reader")
    reader.email = "reader@example.com"
    reader.save()
    services.set_language(actor=actor_for(reader), user_id=reader.pk, language="en")
    settings.LANGUAGE_CODE = "zh-hans"
    assert notifications.language_of(User.objects.get(pk=reader.pk)) == "en"


def test_api_language_choices_are_the_sites_languages(settings):
    from typing import get_args

    from pmloop.accounts.schemas import Language

    assert set(get_args(Language)) == {code for code, _name in settings.LANGUAGES}
