"""Forms of the product pages: shape only (required, length, type). Rules stay in
products.services and accounts.services; their refusals are put on the form with
``add_domain_error``."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pmloop.accounts.forms import ServiceForm
from pmloop.accounts.roles import Role
from pmloop.products.choices import ReviewRule


class VersionField(forms.IntegerField):
    """The version the user loaded, sent back so a stale edit is refused (no lost update)."""

    widget = forms.HiddenInput

    def __init__(self, **kwargs):
        kwargs.setdefault("min_value", 1)
        super().__init__(**kwargs)


class ProductCreateForm(ServiceForm):
    code = forms.CharField(
        label=_("Code"),
        max_length=20,
        help_text=_("2–20 capital letters, digits, '-' or '_', starting with a letter, e.g. IMSDK."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "spellcheck": "false"}),
    )
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=20000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Who the product is for and what it does, in a few sentences."),
    )
    review_rule = forms.ChoiceField(
        label=_("Review rule"),
        choices=ReviewRule.choices,
        initial=ReviewRule.ALL_PASS,
        help_text=_("How the verdicts of a requirement review (评审) are combined."),
    )


class ProductSettingsForm(ServiceForm):
    version = VersionField()
    name = forms.CharField(label=_("Name"), max_length=100)
    description = forms.CharField(
        label=_("Description"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 5})
    )
    review_rule = forms.ChoiceField(label=_("Review rule"), choices=ReviewRule.choices)
    owner_id = forms.TypedChoiceField(
        label=_("Accountable owner"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("Choose among the members who hold the product owner role."),
    )

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = [(u.pk, str(u)) for u in owners]


class ArchiveForm(forms.Form):
    version = VersionField()
    archived = forms.BooleanField(required=False)


class MemberAddForm(ServiceForm):
    user_id = forms.TypedChoiceField(label=_("Person"), coerce=int)
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices, initial=Role.VIEWER)

    def __init__(self, *args, candidates=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user_id"].choices = [("", "—")] + [
            (u.pk, f"{u.display_name} ({u.username})" if u.display_name else u.username) for u in candidates
        ]


class MemberRoleForm(ServiceForm):
    role = forms.ChoiceField(label=_("Role"), choices=Role.choices)


class ModuleAddForm(ServiceForm):
    name = forms.CharField(label=_("Module name"), max_length=100)
    # Not a ChoiceField: the service decides which parents are valid and says why not.
    parent_id = forms.IntegerField(label=_("Under"), required=False)


class ModuleRenameForm(ServiceForm):
    version = VersionField()
    name = forms.CharField(label=_("New name"), max_length=100)


class ModuleMoveForm(ServiceForm):
    version = VersionField()
    parent_id = forms.IntegerField(label=_("New parent"), required=False)
    position = forms.IntegerField(
        label=_("Position"),
        required=False,
        min_value=1,
        help_text=_("1 puts it first among its new siblings; leave empty to put it last."),
    )


class VersionForm(forms.Form):
    version = VersionField()
