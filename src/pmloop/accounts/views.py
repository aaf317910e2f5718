"""Account pages: log in and out, your API tokens, and the users page of site admins."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import login, logout
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as HttpForbidden
from django.shortcuts import redirect, render, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from pmloop.accounts import permissions as acl
from pmloop.accounts import selectors, services
from pmloop.accounts.forms import LoginForm, TokenForm, UserCreateForm
from pmloop.core.errors import DomainError
from pmloop.core.http import actor_of


def _safe_next(request, fallback: str) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(fallback)


# ---- log in / log out --------------------------------------------------------------------
def login_view(request):
    if request.user.is_authenticated:
        return redirect(_safe_next(request, settings.LOGIN_REDIRECT_URL))
    form = LoginForm(request.POST or None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            user = services.login_check(
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password"],
                ip=request.META.get("REMOTE_ADDR", ""),
            )
        except DomainError as exc:
            form.add_error(None, exc.message)
            status = 429 if exc.code == "throttled" else 200
        else:
            login(request, user)
            return redirect(_safe_next(request, settings.LOGIN_REDIRECT_URL))
    next_url = request.POST.get("next") or request.GET.get("next") or ""
    return render(request, "accounts/login.html", {"form": form, "next": next_url}, status=status)


def logout_view(request):
    if request.method == "POST":
        logout(request)
        messages.info(request, _("You are logged out."))
        return redirect(settings.LOGOUT_REDIRECT_URL)
    if not request.user.is_authenticated:
        return redirect(settings.LOGIN_URL)
    return render(request, "accounts/logout.html")


# ---- API tokens --------------------------------------------------------------------------
def _tokens_page(request, form, *, new_token=None, status=200):
    tokens = selectors.list_tokens(actor=actor_of(request))
    return render(
        request,
        "accounts/tokens.html",
        {"form": form, "tokens": tokens, "new_token": new_token},
        status=status,
    )


@login_required
def tokens(request):
    if request.method != "POST":
        return _tokens_page(request, TokenForm())
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _tokens_page(request, form, status=422)
    try:
        new = services.create_api_token(actor=actor_of(request), **form.cleaned_data)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _tokens_page(request, form, status=exc.status)
    # The secret is rendered in this one response and kept nowhere else.
    return _tokens_page(request, TokenForm(), new_token=new)


@login_required
@require_POST
def revoke_token(request, token_id: int):
    try:
        token = services.revoke_api_token(actor=actor_of(request), token_id=token_id)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("Token “%(name)s” is revoked.") % {"name": token.name})
    return redirect("accounts:tokens")


# ---- users (site admins) -----------------------------------------------------------------
def _require_admin(request):
    if not acl.can(actor_of(request), acl.MANAGE_USERS):
        raise HttpForbidden(_("Only a site admin may manage users."))


def _users_page(request, form, status=200):
    q = request.GET.get("q", "")[:100]
    users = selectors.list_users(actor=actor_of(request), q=q)
    return render(request, "accounts/users.html", {"form": form, "users": users, "q": q}, status=status)


@login_required
def users(request):
    _require_admin(request)
    if request.method != "POST":
        return _users_page(request, UserCreateForm())
    form = UserCreateForm(request.POST)
    if not form.is_valid():
        return _users_page(request, form, status=422)
    try:
        user = services.create_user(actor=actor_of(request), **form.cleaned_data)
    except DomainError as exc:
        form.add_domain_error(exc)
        return _users_page(request, form, status=exc.status)
    messages.success(request, _("User “%(name)s” is created.") % {"name": user.username})
    return redirect("accounts:users")


@login_required
@require_POST
def set_user_active(request, user_id: int):
    _require_admin(request)
    active = request.POST.get("active") == "1"
    try:
        user = services.set_user_active(actor=actor_of(request), user_id=user_id, active=active)
    except DomainError as exc:
        messages.error(request, exc.message)
    else:
        if active:
            messages.success(request, _("%(name)s can log in again.") % {"name": user.username})
        else:
            messages.success(request, _("%(name)s is deactivated.") % {"name": user.username})
    return redirect("accounts:users")


@require_POST
def set_language(request):
    """The shell's language switch: Django's own view (cookie, redirect to ``next``), and for a
    logged-in user the choice is stored too, so another device and e-mails follow it."""
    from django.views.i18n import set_language as django_set_language

    response = django_set_language(request)
    language = request.POST.get("language", "")
    if request.user.is_authenticated and language in dict(settings.LANGUAGES):  # else: Django ignored it
        services.set_language(actor=actor_of(request), user_id=request.user.pk, language=language)
    return response
