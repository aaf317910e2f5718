"""Account pages: log in/out with throttling, API tokens (shown once), users (site admins)."""

from __future__ import annotations

import hashlib
import re

import pytest
from django.urls import reverse

from pmloop.accounts.models import ApiToken, User

pytestmark = pytest.mark.django_db

PASSWORD = "pw-Secret-123"


def _lang(client, lang):
    client.cookies["django_language"] = lang
    return client


# ---- log in ------------------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "text"), [("zh-hans", "登录 pmloop"), ("en", "Log in to pmloop")])
def test_login_page_renders_in_both_languages(client, lang, text):
    r = _lang(client, lang).get(reverse("accounts:login"))
    assert r.status_code == 200
    html = r.content.decode()
    assert text in html
    assert 'autocomplete="current-password"' in html


def test_login_success_goes_home(client, owner):
    r = client.post(reverse("accounts:login"), {"username": "owner", "password": PASSWORD})
    assert r.status_code == 302
    assert r["Location"] == reverse("web:home")
    assert client.session["_auth_user_id"] == str(owner.pk)


def test_login_follows_a_safe_next_only(client, owner):
    r = client.post(reverse("accounts:login"), {"username": "owner", "password": PASSWORD, "next": "/audit/"})
    assert r["Location"] == "/audit/"
    client.logout()
    r = client.post(
        reverse("accounts:login"),
        {"username": "owner", "password": PASSWORD, "next": "https://evil.example/"},
    )
    assert r["Location"] == reverse("web:home")


@pytest.mark.parametrize(
    ("lang", "text"), [("zh-hans", "用户名或密码错误。"), ("en", "Wrong user name or password.")]
)
def test_wrong_password_is_refused_without_saying_which(client, owner, lang, text):
    r = _lang(client, lang).post(reverse("accounts:login"), {"username": "owner", "password": "nope"})
    assert r.status_code == 200
    assert text in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_empty_form_shows_field_errors(client):
    r = client.post(reverse("accounts:login"), {"username": "", "password": ""})
    html = r.content.decode()
    assert html.count('class="field-error"') == 2


def test_login_is_throttled_after_five_failures(client, owner):
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "owner", "password": "wrong"})
    r = client.post(reverse("accounts:login"), {"username": "owner", "password": PASSWORD})
    assert r.status_code == 429
    assert "Too many failed logins" in r.content.decode()
    assert "_auth_user_id" not in client.session


def test_throttle_message_in_chinese(client, owner):
    _lang(client, "zh-hans")
    for _ in range(5):
        client.post(reverse("accounts:login"), {"username": "owner", "password": "wrong"})
    r = client.post(reverse("accounts:login"), {"username": "owner", "password": PASSWORD})
    assert "登录失败次数过多" in r.content.decode()


def test_logged_in_user_skips_the_login_page(api_client, owner):
    r = api_client(owner).get(reverse("accounts:login"))
    assert r.status_code == 302


def test_logout_needs_a_post(api_client, owner):
    c = api_client(owner)
    r = c.get(reverse("accounts:logout"))
    assert r.status_code == 200
    assert "_auth_user_id" in c.session
    r = c.post(reverse("accounts:logout"))
    assert r.status_code == 302
    assert r["Location"] == reverse("accounts:login")
    assert "_auth_user_id" not in c.session


# ---- tokens ------------------------------------------------------------------------------
@pytest.mark.parametrize(("lang", "text"), [("zh-hans", "我的令牌"), ("en", "Your tokens")])
def test_tokens_page_renders(api_client, owner, lang, text):
    r = _lang(api_client(owner), lang).get(reverse("accounts:tokens"))
    assert r.status_code == 200
    assert text in r.content.decode()


def test_token_is_shown_once(api_client, owner):
    c = api_client(owner)
    r = c.post(reverse("accounts:tokens"), {"name": "CI", "scope": "write", "expires_in_days": "30"})
    assert r.status_code == 200
    html = r.content.decode()
    raw = re.search(r'value="(pml_[^"]+)"', html).group(1)
    token = ApiToken.objects.get(user=owner)
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.scope == "write"
    assert token.expires_at is not None
    # Never again: not on the next page view.
    again = c.get(reverse("accounts:tokens")).content.decode()
    assert raw not in again
    assert f"pml_{token.prefix}" in again


def test_token_form_errors_sit_next_to_the_field(api_client, owner):
    r = api_client(owner).post(
        reverse("accounts:tokens"), {"name": "", "scope": "read", "expires_in_days": "0"}
    )
    assert r.status_code == 422
    assert not ApiToken.objects.exists()
    assert r.content.decode().count('class="field-error"') == 2


def test_revoke_own_token(api_client, owner, token_client):
    _, new = token_client(owner)
    c = api_client(owner)
    r = c.post(reverse("accounts:revoke_token", args=[new.token.pk]), follow=True)
    assert r.status_code == 200
    new.token.refresh_from_db()
    assert new.token.revoked_at is not None
    assert "is revoked" in r.content.decode()


def test_cannot_revoke_someone_elses_token(api_client, owner, make_user, token_client):
    _, new = token_client(make_user("stranger"))
    r = api_client(owner).post(reverse("accounts:revoke_token", args=[new.token.pk]), follow=True)
    new.token.refresh_from_db()
    assert new.token.revoked_at is None
    assert "No such token." in r.content.decode()


def test_revoke_needs_post(api_client, owner, token_client):
    _, new = token_client(owner)
    assert api_client(owner).get(reverse("accounts:revoke_token", args=[new.token.pk])).status_code == 405


# ---- users (site admins) -----------------------------------------------------------------
def test_users_page_is_for_site_admins_only(api_client, owner):
    assert api_client(owner).get(reverse("accounts:users")).status_code == 403
    assert api_client(owner).post(reverse("accounts:users"), {"username": "x"}).status_code == 403
    assert not User.objects.filter(username="x").exists()


@pytest.mark.parametrize(("lang", "text"), [("zh-hans", "创建用户"), ("en", "Create a user")])
def test_users_page_lists_users(api_client, admin, owner, lang, text):
    r = _lang(api_client(admin), lang).get(reverse("accounts:users"))
    assert r.status_code == 200
    html = r.content.decode()
    assert text in html
    assert "owner" in html


def test_admin_creates_a_user(api_client, admin):
    r = api_client(admin).post(
        reverse("accounts:users"),
        {"username": "carol", "display_name": "Carol", "email": "c@example.com", "password": "Long-enough-9"},
    )
    assert r.status_code == 302
    carol = User.objects.get(username="carol")
    assert carol.check_password("Long-enough-9")
    assert not carol.is_superuser


def test_weak_password_shows_next_to_the_field_and_creates_nobody(api_client, admin):
    r = api_client(admin).post(reverse("accounts:users"), {"username": "dave", "password": "12345678"})
    assert r.status_code == 422
    html = r.content.decode()
    assert "field has-error" in html
    assert not User.objects.filter(username="dave").exists()


def test_taken_user_name_is_refused(api_client, admin, owner):
    r = api_client(admin).post(reverse("accounts:users"), {"username": "OWNER", "password": "Long-enough-9"})
    assert r.status_code == 422
    assert "is taken" in r.content.decode()


def test_admin_deactivates_and_reactivates(api_client, admin, owner):
    c = api_client(admin)
    c.post(reverse("accounts:set_user_active", args=[owner.pk]), {"active": "0"})
    owner.refresh_from_db()
    assert not owner.is_active
    c.post(reverse("accounts:set_user_active", args=[owner.pk]), {"active": "1"})
    owner.refresh_from_db()
    assert owner.is_active


def test_admin_cannot_deactivate_themselves(api_client, admin):
    r = api_client(admin).post(
        reverse("accounts:set_user_active", args=[admin.pk]), {"active": "0"}, follow=True
    )
    admin.refresh_from_db()
    assert admin.is_active
    assert "You cannot deactivate yourself." in r.content.decode()
