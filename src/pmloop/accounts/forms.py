"""Forms of the account pages. They check shape only (required, length, type); every rule
stays in accounts.services.

``ServiceForm`` is the base of every page form in pmloop: ``add_domain_error`` puts a
service's DomainError next to the field it names (or at the top of the form)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pmloop.accounts.models import TokenScope
from pmloop.core.errors import DomainError


class ServiceForm(forms.Form):
    # Service argument names that differ from the form's field names.
    field_aliases: dict[str, str] = {}

    def add_domain_error(self, exc: DomainError) -> None:
        placed = False
        for name, message in exc.fields.items():
            name = self.field_aliases.get(name, name)
            if name in self.fields and not self.fields[name].widget.is_hidden:
                self.add_error(name, str(message))
                placed = True
        if not placed:
            self.add_error(None, exc.message)


class LoginForm(forms.Form):
    username = forms.CharField(
        label=_("User name"),
        max_length=150,
        widget=forms.TextInput(attrs={"autocomplete": "username", "autofocus": True}),
    )
    password = forms.CharField(
        label=_("Password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )


class TokenForm(ServiceForm):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("What the token is for, e.g. “CI pipeline” or “ZenTao sync”."),
    )
    scope = forms.ChoiceField(label=_("Scope"), choices=TokenScope.choices, initial=TokenScope.READ)
    expires_in_days = forms.IntegerField(
        label=_("Expires after (days)"),
        required=False,
        min_value=1,
        max_value=3650,
        help_text=_("Leave empty for a token that does not expire."),
    )


class UserCreateForm(ServiceForm):
    username = forms.CharField(label=_("User name"), max_length=150)
    display_name = forms.CharField(label=_("Display name"), max_length=100, required=False)
    email = forms.EmailField(label=_("E-mail"), required=False)
    password = forms.CharField(
        label=_("Initial password"),
        max_length=200,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_("At least 8 characters, not only digits, not a common password."),
    )
    is_admin = forms.BooleanField(label=_("Site admin"), required=False)
