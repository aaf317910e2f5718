"""Forms of the launch-kit page: shape only; rules stay in deliverables.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pmloop.accounts.forms import ServiceForm
from pmloop.deliverables.choices import CheckCategory
from pmloop.products.forms import VersionField


class KitForm(ServiceForm):
    training_goal = forms.CharField(label=_("Training goal"), required=False, max_length=5000,
                                    widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


class ChecklistItemForm(ServiceForm):
    category = forms.ChoiceField(
        label=_("Category"), choices=CheckCategory.choices, initial=CheckCategory.OTHER
    )
    title = forms.CharField(label=_("Item"), max_length=200)
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = [(u.pk, str(u)) for u in members]


class OwnerForm(ServiceForm):
    version = VersionField()
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int)

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner_id"].choices = [(u.pk, str(u)) for u in members]


class SignOffForm(ServiceForm):
    version = VersionField()
    note = forms.CharField(label=_("Note"), required=False, max_length=500)


class RevokeForm(ServiceForm):
    version = VersionField()
    reason = forms.CharField(label=_("Reason"), max_length=500)


class SessionForm(ServiceForm):
    title = forms.CharField(label=_("Session"), max_length=200)
    starts_at = forms.DateTimeField(label=_("Starts at"),
                                    widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))  # fmt: skip
    duration_minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=1440, initial=60)
    location = forms.CharField(label=_("Location"), required=False, max_length=200)
    audience = forms.CharField(label=_("Audience"), required=False, max_length=200)
    trainer_id = forms.TypedChoiceField(label=_("Trainer"), coerce=int, required=False, empty_value=None)
    agenda = forms.CharField(label=_("Agenda"), required=False, max_length=20000,
                             widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["trainer_id"].choices = [("", "—")] + [(u.pk, str(u)) for u in members]


class AttendeeForm(ServiceForm):
    name = forms.CharField(label=_("Full name"), max_length=100)
    organisation = forms.CharField(label=_("Organisation"), required=False, max_length=200)
    contact = forms.CharField(label=_("Contact"), required=False, max_length=200)
