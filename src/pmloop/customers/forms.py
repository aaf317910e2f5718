"""Forms of the customer pages: shape only (required, length, type); rules stay in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pmloop.accounts.forms import ServiceForm
from pmloop.customers.choices import Industry, Tier


class CustomerFilterForm(forms.Form):
    q = forms.CharField(label=_("Search"), max_length=100, required=False)
    industry = forms.ChoiceField(label=_("Industry"), required=False)
    tier = forms.ChoiceField(label=_("Tier"), required=False)
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    archived = forms.BooleanField(label=_("Include archived customers"), required=False)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["industry"].choices = [("", _("Any industry")), *Industry.choices]
        self.fields["tier"].choices = [("", _("Any tier")), *Tier.choices]
        self.fields["owner_id"].choices = [("", _("Anyone")), *[(u.pk, str(u)) for u in owners]]


class CustomerForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=200, widget=forms.TextInput(attrs={"autofocus": True}))
    industry = forms.ChoiceField(label=_("Industry"), choices=Industry.choices, initial=Industry.OTHER)
    tier = forms.ChoiceField(
        label=_("Tier"),
        choices=Tier.choices,
        initial=Tier.STANDARD,
        help_text=_("Sets the default weight: strategic 10, key 5, standard 2, small 1."),
    )
    weight = forms.IntegerField(
        label=_("Weight"),
        min_value=1,
        max_value=100,
        required=False,
        help_text=_("1–100. Leave empty to use the tier's weight."),
    )
    owner_id = forms.TypedChoiceField(
        label=_("Owner"),
        coerce=int,
        required=False,
        empty_value=None,
        help_text=_("The member who looks after this customer (usually sales)."),
    )
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 4})
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, owners=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = [("", _("Nobody yet")), *[(u.pk, str(u)) for u in owners]]


class ContactForm(ServiceForm):
    name = forms.CharField(label=_("Name"), max_length=100)
    title = forms.CharField(label=_("Job title"), max_length=100, required=False)
    email = forms.CharField(label=_("E-mail"), max_length=254, required=False)
    phone = forms.CharField(label=_("Phone"), max_length=50, required=False)
    notes = forms.CharField(
        label=_("Notes"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 2})
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
