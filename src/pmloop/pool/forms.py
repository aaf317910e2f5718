"""Forms of the pool pages: shape only (required, length, type); rules stay in services.

Choice lists (sources, customers, modules) come from selectors in the view and are passed
in, so a form never reads the database itself."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from pmloop.accounts.forms import ServiceForm
from pmloop.pool.choices import BulkAction, Importance
from pmloop.pool.normalise import TEXT_MAX, TITLE_MAX


def module_choices(modules) -> list[tuple]:
    """(id, indented name) from flattened module-tree nodes."""
    return [(n.module.pk, f"{'— ' * n.depth}{n.module.name}") for n in modules]


class ChoicesMixin:
    def set_choices(self, *, sources=(), customers=(), modules=(), auto_source: bool = True) -> None:
        fields = self.fields  # type: ignore[attr-defined]
        if "source" in fields:
            first = [("", _("Automatic (from your role, or 'customer')"))] if auto_source else []
            fields["source"].choices = [*first, *[(s.code, s.label) for s in sources]]
        if "customer_id" in fields:
            fields["customer_id"].choices = [("", _("No customer")), *[(c.pk, c.name) for c in customers]]
        if "module_id" in fields:
            fields["module_id"].choices = [("", _("No module guess")), *module_choices(modules)]


class PoolItemForm(ChoicesMixin, ServiceForm):
    text = forms.CharField(
        label=_("What was asked"),
        max_length=TEXT_MAX,
        widget=forms.Textarea(attrs={"rows": 6, "autofocus": True}),
        help_text=_("The words as they were said or written. One need per item."),
    )
    title = forms.CharField(
        label=_("Title"),
        max_length=TITLE_MAX,
        required=False,
        help_text=_("Optional: a short line. Empty: the first sentence of the text."),
    )
    source = forms.ChoiceField(label=_("Source"), required=False)
    customer_id = forms.TypedChoiceField(label=_("Customer"), coerce=int, required=False, empty_value=None)
    module_id = forms.TypedChoiceField(
        label=_("Module (guess)"), coerce=int, required=False, empty_value=None
    )
    importance = forms.ChoiceField(
        label=_("Importance"), choices=Importance.choices, initial=Importance.MEDIUM
    )
    tags = forms.CharField(
        label=_("Tags"), max_length=640, required=False, help_text=_("Separated by commas, e.g. api, 群聊")
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class TriageForm(ChoicesMixin, ServiceForm):
    module_id = forms.TypedChoiceField(
        label=_("Module (guess)"), coerce=int, required=False, empty_value=None
    )
    importance = forms.ChoiceField(label=_("Importance"), choices=Importance.choices)
    tags = forms.CharField(label=_("Tags"), max_length=640, required=False)
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class DeclineForm(ServiceForm):
    # Not required here: the service refuses an empty reason with the message to show.
    reason = forms.CharField(
        label=_("Reason"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Required. The people who asked will read it."),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class MergeForm(ServiceForm):
    target = forms.CharField(
        label=_("Duplicate of"),
        max_length=40,
        required=False,
        help_text=_("The item it repeats, e.g. P12"),
    )
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)
    field_aliases = {"merge_into_id": "target"}


class ReopenForm(ServiceForm):
    version = forms.IntegerField(required=False, widget=forms.HiddenInput)


class BulkForm(forms.Form):
    action = forms.ChoiceField(choices=BulkAction.choices)
    ids = forms.TypedMultipleChoiceField(coerce=int, required=False)
    reason = forms.CharField(max_length=2000, required=False)
    target = forms.CharField(max_length=40, required=False)
    importance = forms.ChoiceField(choices=[("", ""), *Importance.choices], required=False)
    next = forms.CharField(max_length=2000, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # Any whole number is acceptable here; the service says which ids do not exist.
        self.fields["ids"].valid_value = lambda value: str(value).isdigit()  # type: ignore[attr-defined]


class SourceForm(ServiceForm):
    code = forms.CharField(
        label=_("Code"), max_length=40, help_text=_("Lower-case letters, digits, - or _, e.g. trade_show")
    )
    label_en = forms.CharField(label=_("English label"), max_length=60)
    label_zh = forms.CharField(label=_("Chinese label"), max_length=60)
