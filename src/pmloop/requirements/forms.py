"""Forms of the requirement pages. They check shape only (required, length, type); every rule
(what a status allows, who may, what the PRD needs) stays in requirements.services, whose
refusals are put on the form with ``add_domain_error``.

The PRD sections (spec.SECTIONS) become fields named ``spec_<key>``: text sections are
textareas (Markdown), list sections one item per line, and row sections (scenarios,
performance, competitors) small tables posted as ``spec_<key>-<row>-<column>``."""

from __future__ import annotations

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from pmloop.accounts.forms import ServiceForm
from pmloop.core.errors import DomainError
from pmloop.products.forms import VersionField
from pmloop.requirements import spec as prd
from pmloop.requirements.choices import Category, CloseReason, LinkKind, Priority, Stage
from pmloop.reviews.choices import Verdict

SPEC_PREFIX = "spec_"

COLUMN_LABELS: dict[str, Any] = {
    "title": _("Scenario"),
    "industry": _("Industry"),
    "customer_type": _("Customer type"),
    "description": _("Description"),
    "metric": _("Metric"),
    "target": _("Target"),
    "boundary": _("Boundary values"),
    "competitor": _("Competitor"),
    "solution": _("Their solution"),
    "pricing": _("Their pricing"),
    "difference": _("Differences"),
    "advantage": _("Our advantage"),
}

KEY_HELP = _("A key like IMSDK-12, or just its number.")


class RowsWidget(forms.Widget):
    """Reads a small table posted as ``<name>-<row>-<column>``; the template draws it."""

    def __init__(self, columns: tuple[str, ...], attrs=None):
        super().__init__(attrs)
        self.columns = columns

    def value_from_datadict(self, data, files, name):
        prefix = f"{name}-"
        rows: dict[int, dict[str, str]] = {}
        for key in data:
            if not key.startswith(prefix):
                continue
            index, _sep, column = key[len(prefix) :].partition("-")
            if index.isdigit() and column in self.columns and len(index) < 6:
                rows.setdefault(int(index), {})[column] = data.get(key) or ""
        return [rows[i] for i in sorted(rows)]

    def value_omitted_from_data(self, data, files, name):
        return False

    def render(self, name, value, attrs=None, renderer=None):  # drawn by the page template
        return ""


class RowsField(forms.Field):
    def __init__(self, *, columns: tuple[str, ...], **kwargs):
        self.columns = columns
        kwargs.setdefault("required", False)
        super().__init__(widget=RowsWidget(columns), **kwargs)

    def to_python(self, value):
        rows = []
        for row in value or []:
            clean = {c: str(row.get(c) or "").strip() for c in self.columns}
            if any(clean.values()):
                rows.append(clean)
        if len(rows) > prd.LIST_MAX:
            raise ValidationError(_("At most %(n)s rows.") % {"n": prd.LIST_MAX})
        if any(len(v) > prd.ITEM_MAX for row in rows for v in row.values()):
            raise ValidationError(_("A cell may have at most %(n)s characters.") % {"n": prd.ITEM_MAX})
        return rows

    def has_changed(self, initial, data):
        return self.to_python(initial) != self.to_python(data)


class LinesField(forms.CharField):
    """One item per line (bullets like '-' or '•' are dropped); cleans to a list."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("widget", forms.Textarea(attrs={"rows": 4}))
        super().__init__(**kwargs)

    def prepare_value(self, value):
        if isinstance(value, list):
            return "\n".join(value)
        return value

    def to_python(self, value):
        text = super().to_python(value)
        items = [line.strip().lstrip("-*• ").strip() for line in (text or "").splitlines()]
        items = [i for i in items if i]
        if len(items) > prd.LIST_MAX:
            raise ValidationError(_("At most %(n)s items, one per line.") % {"n": prd.LIST_MAX})
        if any(len(i) > prd.ITEM_MAX for i in items):
            raise ValidationError(_("An item may have at most %(n)s characters.") % {"n": prd.ITEM_MAX})
        return items


def spec_field(section: prd.Section) -> forms.Field:
    if section.kind == "text":
        rows = 2 if section.key == "summary" else 3
        return forms.CharField(
            label=section.label, help_text=section.help, required=False, max_length=prd.TEXT_MAX,
            widget=forms.Textarea(attrs={"rows": rows}),
        )  # fmt: skip
    if section.kind == "list":
        return LinesField(label=section.label, help_text=section.help)
    return RowsField(label=section.label, help_text=section.help, columns=section.columns)


def spec_initial(spec: dict[str, Any] | None) -> dict[str, Any]:
    spec = spec or {}
    return {
        f"{SPEC_PREFIX}{s.key}": spec.get(s.key) or ("" if s.kind == "text" else []) for s in prd.SECTIONS
    }


class DomainForm(ServiceForm):
    """ServiceForm that also places errors about a PRD section ("spec.summary",
    "spec.scenarios.title") and about the parent/duplicate keys."""

    field_aliases = {"parent_id": "parent", "duplicate_of_id": "duplicate_of", "target_id": "target"}

    def add_domain_error(self, exc: DomainError) -> None:
        fields = {}
        for name, message in exc.fields.items():
            if name.startswith("spec.") and name.count(".") >= 1:
                name = SPEC_PREFIX + name.split(".")[1]
            fields[name] = message
        exc.fields = fields
        super().add_domain_error(exc)


class SpecFieldsMixin:
    """Adds the PRD section fields; ``spec()`` gives the service its dict."""

    def add_spec_fields(self) -> None:
        for section in prd.SECTIONS:
            self.fields[f"{SPEC_PREFIX}{section.key}"] = spec_field(section)

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            s.key: data.get(f"{SPEC_PREFIX}{s.key}") or ("" if s.kind == "text" else []) for s in prd.SECTIONS
        }


class RequirementForm(SpecFieldsMixin, DomainForm):
    """Create or edit a requirement. ``with_spec=False`` leaves out the title and the PRD
    text (an active requirement's text changes through a change request)."""

    version = VersionField(required=False)
    title = forms.CharField(label=_("Title"), max_length=200,
                            widget=forms.TextInput(attrs={"autocomplete": "off"}))  # fmt: skip
    module_id = forms.TypedChoiceField(label=_("Module"), coerce=int, required=False, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), choices=Category.choices, initial=Category.FEATURE)
    priority = forms.TypedChoiceField(label=_("Priority"), coerce=int, choices=Priority.choices,
                                      initial=Priority.P3)  # fmt: skip
    estimate = forms.DecimalField(
        label=_("Estimate (person-days)"), required=False, min_value=0, max_value=100000, decimal_places=1,
        widget=forms.NumberInput(attrs={"step": "0.5", "min": "0"}),
    )  # fmt: skip
    owner_id = forms.TypedChoiceField(label=_("Owner"), coerce=int, required=False, empty_value=None)
    reviewer_ids = forms.TypedMultipleChoiceField(
        label=_("Reviewers"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Members whose role may review (研发, 测试, 架构 …)."),
    )  # fmt: skip
    parent = forms.CharField(label=_("Parent requirement"), required=False, max_length=60, help_text=KEY_HELP,
                             widget=forms.TextInput(attrs={"list": "req-lookup", "autocomplete": "off"}))  # fmt: skip
    note = forms.CharField(label=_("Note on this version"), required=False, max_length=300)

    def __init__(self, *args, modules=(), members=(), reviewers=(), with_spec=True, **kwargs):
        super().__init__(*args, **kwargs)
        self.with_spec = with_spec
        self.fields["module_id"].choices = [("", _("— no module —"))] + [
            (n.module.pk, "\u3000" * n.depth + n.module.name) for n in modules
        ]
        self.fields["owner_id"].choices = [("", _("— me —"))] + [(u.pk, label_of(u)) for u in members]
        self.fields["reviewer_ids"].choices = [(u.pk, label_of(u)) for u in reviewers]
        if with_spec:
            self.add_spec_fields()
        else:
            del self.fields["title"]


class ChangeForm(SpecFieldsMixin, DomainForm):
    """A change request (变更): why, what it affects, and the edited sections."""

    version = VersionField()
    reason = forms.CharField(label=_("Reason for the change"), max_length=5000,
                             widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    impact = forms.CharField(
        label=_("Impact"), required=False, max_length=20000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Which modules, customers, plans, documents and children it affects."),
    )  # fmt: skip
    title = forms.CharField(label=_("Title"), max_length=200)
    reviewer_ids = forms.TypedMultipleChoiceField(label=_("Reviewers of the change"), coerce=int, required=False,
                                                  widget=forms.CheckboxSelectMultiple)  # fmt: skip
    submit = forms.BooleanField(label=_("Submit the change for review now"), required=False, initial=True)

    def __init__(self, *args, reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer_ids"].choices = [(u.pk, label_of(u)) for u in reviewers]
        self.add_spec_fields()


class SubmitForm(DomainForm):
    version = VersionField()
    reviewer_ids = forms.TypedMultipleChoiceField(label=_("Reviewers"), coerce=int, required=False,
                                                  widget=forms.CheckboxSelectMultiple)  # fmt: skip
    skip_review = forms.BooleanField(label=_("Skip review: make it active now"), required=False)
    note = forms.CharField(label=_("Note to the reviewers"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip

    def __init__(self, *args, reviewers=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["reviewer_ids"].choices = [(u.pk, label_of(u)) for u in reviewers]


class VerdictForm(DomainForm):
    verdict = forms.ChoiceField(label=_("Verdict"), choices=Verdict.choices, widget=forms.RadioSelect)
    comment = forms.CharField(
        label=_("Comment"), required=False, max_length=5000, widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed for anything but a pass: say what the author should do."),
    )  # fmt: skip

    def __init__(self, *args, change_round=False, **kwargs):
        super().__init__(*args, **kwargs)
        if not change_round:
            self.fields["verdict"].choices = [c for c in Verdict.choices if c[0] != Verdict.REVERT]


class VersionNoteForm(DomainForm):
    version = VersionField()
    note = forms.CharField(label=_("Note"), required=False, max_length=2000)


class ReopenForm(DomainForm):
    version = VersionField()
    note = forms.CharField(label=_("Why reopen it?"), required=False, max_length=2000)


class StageForm(DomainForm):
    version = VersionField()
    stage = forms.ChoiceField(label=_("Move to stage"), choices=Stage.choices)
    note = forms.CharField(label=_("Note"), required=False, max_length=300)


class CloseForm(DomainForm):
    version = VersionField()
    reason = forms.ChoiceField(label=_("Close reason"), choices=CloseReason.choices, initial=CloseReason.DONE)
    duplicate_of = forms.CharField(
        label=_("Duplicate of"), required=False, max_length=60,
        help_text=_("Only when closing as duplicate: the requirement it repeats (e.g. IMSDK-12)."),
        widget=forms.TextInput(attrs={"list": "req-lookup", "autocomplete": "off"}),
    )  # fmt: skip
    note = forms.CharField(label=_("Note"), required=False, max_length=2000,
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip


class VerifyForm(forms.Form):
    verified = forms.BooleanField(required=False)


class LinkForm(DomainForm):
    kind = forms.ChoiceField(label=_("Link"), choices=LinkKind.choices, initial=LinkKind.RELATES_TO)
    target = forms.CharField(label=_("Requirement"), max_length=60, help_text=KEY_HELP,
                             widget=forms.TextInput(attrs={"list": "req-lookup", "autocomplete": "off"}))  # fmt: skip


class PoolLinkForm(DomainForm):
    pool_item_ids = forms.TypedMultipleChoiceField(label=_("Pool items"), coerce=int)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # The service checks the items (product, visibility); here: only that they are ids.
        raw = self.data.getlist("pool_item_ids") if hasattr(self.data, "getlist") else []
        self.fields["pool_item_ids"].choices = [(v, v) for v in raw if str(v).isdigit()]


class AttachmentForm(DomainForm):
    file = forms.FileField(label=_("File"))


class SettingsForm(DomainForm):
    version = VersionField()
    required_sections = forms.MultipleChoiceField(
        label=_("Required PRD sections"), required=False, widget=forms.CheckboxSelectMultiple,
        choices=[(s.key, s.label) for s in prd.SECTIONS],
        help_text=_("A requirement goes to review only when these sections are filled."),
    )  # fmt: skip
    skip_review_user_ids = forms.TypedMultipleChoiceField(
        label=_("May skip review"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("These members may make their requirements active without a review."),
    )  # fmt: skip
    force_review_user_ids = forms.TypedMultipleChoiceField(
        label=_("Always need review"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
        help_text=_("Never allowed to skip review, whatever else is set."),
    )  # fmt: skip

    def __init__(self, *args, members=(), **kwargs):
        super().__init__(*args, **kwargs)
        choices = [(u.pk, label_of(u)) for u in members]
        self.fields["skip_review_user_ids"].choices = choices
        self.fields["force_review_user_ids"].choices = choices


def label_of(user) -> str:
    if user is None:
        return ""
    return f"{user.display_name} ({user.username})" if getattr(user, "display_name", "") else user.username
