"""Forms of the plan and release pages: shape only; rules stay in plans.services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pmloop.accounts.forms import ServiceForm
from pmloop.plans.choices import GroupBy, MilestoneStatus
from pmloop.products.forms import VersionField

DATE = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class PlanForm(ServiceForm):
    title = forms.CharField(label=_("Title"), max_length=200,
                            widget=forms.TextInput(attrs={"placeholder": _("e.g. 2026 Q4, or Sprint 1")}))  # fmt: skip
    start_date = forms.DateField(label=_("Start"), widget=DATE)
    end_date = forms.DateField(label=_("End"), widget=DATE)
    capacity = forms.DecimalField(label=_("Capacity (person-days)"), required=False, min_value=0, max_digits=8,
                                  decimal_places=1, help_text=_("Compared with the sum of the estimates."))  # fmt: skip
    description = forms.CharField(label=_("Goal"), required=False, max_length=20000,
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    parent_id = forms.TypedChoiceField(label=_("Inside plan"), coerce=int, required=False, empty_value=None,
                                       help_text=_("A sprint lies within its quarter."))  # fmt: skip

    def __init__(self, *args, parents=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["parent_id"].choices = [("", _("— top level —"))] + [(p.pk, p.title) for p in parents]


class PlanEditForm(ServiceForm):
    version = VersionField()
    title = forms.CharField(label=_("Title"), max_length=200)
    start_date = forms.DateField(label=_("Start"), widget=DATE)
    end_date = forms.DateField(label=_("End"), widget=DATE)
    capacity = forms.DecimalField(label=_("Capacity (person-days)"), required=False, min_value=0, max_digits=8,
                                  decimal_places=1)  # fmt: skip
    description = forms.CharField(label=_("Goal"), required=False, max_length=20000,
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


class MilestoneForm(ServiceForm):
    name = forms.CharField(label=_("Milestone"), max_length=200,
                           widget=forms.TextInput(attrs={"placeholder": _("e.g. 提测, 上线")}))  # fmt: skip
    date = forms.DateField(label=_("Date"), widget=DATE)
    status = forms.ChoiceField(
        label=_("Status"), choices=MilestoneStatus.choices, initial=MilestoneStatus.OPEN
    )


class MilestoneStatusForm(ServiceForm):
    version = VersionField()
    status = forms.ChoiceField(label=_("Status"), choices=MilestoneStatus.choices)


class ItemsForm(ServiceForm):
    requirement_ids = forms.TypedMultipleChoiceField(label=_("Requirements"), coerce=int,
                                                     widget=forms.SelectMultiple(attrs={"size": 8}))  # fmt: skip
    field_aliases = {"requirement_ids": "requirement_ids"}

    def __init__(self, *args, requirements=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["requirement_ids"].choices = [(r.pk, f"{r.key} {r.title} · {r.get_stage_display()}")
                                                  for r in requirements]  # fmt: skip


class MoveForm(ServiceForm):
    to_plan_id = forms.TypedChoiceField(label=_("Move to"), coerce=int)

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["to_plan_id"].choices = [(p.pk, p.title) for p in plans]


class ReleaseForm(ServiceForm):
    version_name = forms.CharField(label=_("Version"), max_length=50,
                                   widget=forms.TextInput(attrs={"placeholder": "v3.2"}))  # fmt: skip
    planned_date = forms.DateField(label=_("Planned date"), required=False, widget=DATE)
    title = forms.CharField(label=_("Title"), required=False, max_length=200)
    description = forms.CharField(label=_("Description"), required=False, max_length=20000,
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    plan_id = forms.TypedChoiceField(label=_("Plan"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args, plans=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["plan_id"].choices = [("", "—")] + [(p.pk, p.title) for p in plans]


class PublishForm(ServiceForm):
    version = VersionField()
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class RoadmapForm(forms.Form):
    group_by = forms.ChoiceField(label=_("Group by"), choices=GroupBy.choices, required=False)
