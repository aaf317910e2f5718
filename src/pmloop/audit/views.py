"""The operation-log page (操作留痕): filters, pagination, before → after of each change.

The query parameters carry the names of the API's AuditFilters (product_id, object_type,
object_id, actor_id, action, since, until, page), so a page URL and an API URL agree.

audit sits below products in the layer order, so this page does not import them: the
product filter offers the shell's product list (web.context), and the selector keeps every
entry of a product the user may not see out anyway."""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

from django import forms
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import FieldDoesNotExist
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from pmloop.accounts import selectors as account_selectors
from pmloop.audit import selectors
from pmloop.core.errors import NotFound
from pmloop.core.http import actor_of
from pmloop.core.pagination import paginate

PAGE_SIZE = 50

# Readable names of the actions recorded so far; an action not listed shows its code.
ACTION_LABELS: dict[str, Any] = {
    "accounts.user_created": _("User created"),
    "accounts.password_changed": _("Password changed"),
    "accounts.user_activated": _("User activated"),
    "accounts.user_deactivated": _("User deactivated"),
    "accounts.token_created": _("API token created"),
    "accounts.token_revoked": _("API token revoked"),
    "accounts.member_added": _("Member added"),
    "accounts.member_role_changed": _("Member role changed"),
    "accounts.member_removed": _("Member removed"),
    "products.created": _("Product created"),
    "products.updated": _("Product changed"),
    "products.archived": _("Product archived"),
    "products.restored": _("Product restored"),
    "products.module_created": _("Module added"),
    "products.module_updated": _("Module renamed or described"),
    "products.module_moved": _("Module moved"),
    "products.module_deleted": _("Module deleted"),
}

ACTION_PREFIXES = [
    ("", _("Any action")),
    ("products.", _("Products and modules")),
    ("accounts.", _("Accounts, members and tokens")),
]

VIA_LABELS: dict[str, Any] = {
    "web": _("web"),
    "api": _("API"),
    "cli": _("command line"),
    "automation": _("automation"),
    "import": _("import"),
    "system": _("system"),
}


class AuditFilterForm(forms.Form):
    product_id = forms.IntegerField(label=_("Product"), required=False, min_value=1)
    object_type = forms.ChoiceField(label=_("Object type"), required=False)
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    actor_id = forms.TypedChoiceField(label=_("Actor"), coerce=int, required=False, empty_value=None)
    action = forms.CharField(
        label=_("Action"),
        max_length=80,
        required=False,
        help_text=_("An action or its start, e.g. products. or products.module_moved"),
    )
    since = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(
        label=_("To (inclusive)"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    page = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)

    def __init__(self, *args, users=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["actor_id"].choices = [("", _("Anyone"))] + [(u.pk, u.username) for u in users]
        self.fields["object_type"].choices = [("", _("Any type"))] + [
            (label, _type_label(label)) for label in _audited_types()
        ]

    def clean(self):
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("The end date is before the start date."))
        return data


def _audited_types() -> list[str]:
    """Model labels of the models that declare audit_fields (the ones the log describes)."""
    return sorted(m._meta.label_lower for m in apps.get_models() if getattr(m, "audit_fields", None))


def _model(object_type: str):
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def _type_label(object_type: str) -> str:
    model = _model(object_type)
    return str(model._meta.verbose_name) if model is not None else object_type


def _start_of(day: datetime.date) -> datetime.datetime:
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time.min))


def _show(value: Any, field, names: dict[int, str]) -> str:
    if value is None or value == "":
        return "—"
    if field is not None and getattr(field, "choices", None):
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if field is not None and field.is_relation and field.related_model is get_user_model():
        return names.get(value, f"#{value}")
    if isinstance(value, bool):
        return str(_("yes") if value else _("no"))
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


# Names for audited fields whose model gives none (Django then uses the bare field name).
FIELD_LABELS: dict[str, Any] = {
    "position": _("position"),
    "version": _("version"),
    "user": _("user"),
    "product": _("product"),
    "parent": _("parent"),
    "revoked_at": _("revoked"),
    "is_active": _("active"),
    "is_superuser": _("site admin"),
}


def _label(field, name: str) -> str:
    if field is None:
        return str(FIELD_LABELS.get(name, name))
    if str(field.verbose_name) == field.name.replace("_", " ") and field.name in FIELD_LABELS:
        return str(FIELD_LABELS[field.name])
    return str(field.verbose_name)


@dataclass
class Change:
    field: str
    before: str
    after: str


def _changes(entry, names: dict[int, str]) -> list[Change]:
    """The fields an entry changed. A creation lists the values it was created with (no
    empty ones, no version); a deletion the values it had."""
    model = _model(entry.object_type)
    created = entry.before is None and entry.after
    out = []
    for name, before, after in entry.changed_fields:
        if created and (after in (None, "", [], {}) or name == "version"):
            continue
        if name == "product_id" and entry.product_id is not None and entry.product_id in (before, after):
            continue  # the object column already names the product
        field = None
        if model is not None:
            try:
                field = model._meta.get_field(name)  # also finds a foreign key by "owner_id"
            except FieldDoesNotExist:
                field = None
        out.append(
            Change(
                field=_label(field, name),
                before=_show(before, field, names),
                after=_show(after, field, names),
            )
        )
    return out


def describe(entry, names: dict[int, str] | None = None) -> dict[str, Any]:
    """What the page shows of one entry (also used by the home page's recent activity).
    ``names`` maps user ids to user names, for fields that point at a user."""
    names = names or {}
    return {
        "entry": entry,
        "action_label": ACTION_LABELS.get(entry.action, entry.action),
        "type_label": _type_label(entry.object_type) if entry.object_type else "",
        "via_label": VIA_LABELS.get(entry.via, entry.via),
        "changes": _changes(entry, names),
        "created": entry.before is None,
        "deleted": entry.after == {},
    }


@login_required
def entry_list(request):
    actor = actor_of(request)
    users = list(account_selectors.list_users(actor=actor))
    names = {u.pk: u.username for u in users}
    form = AuditFilterForm(request.GET or None, users=users)
    page = None
    rows: list[dict[str, Any]] = []
    status = 200
    if form.is_bound and not form.is_valid():
        status = 422
    else:
        data = form.cleaned_data if form.is_bound else {}
        since, until = data.get("since"), data.get("until")
        try:
            qs = selectors.list_entries(
                actor=actor,
                product_id=data.get("product_id"),
                object_type=data.get("object_type") or None,
                object_id=(data.get("object_id") or "").strip() or None,
                actor_id=data.get("actor_id"),
                action=(data.get("action") or "").strip() or None,
                since=_start_of(since) if since else None,
                until=_start_of(until + datetime.timedelta(days=1)) if until else None,
            )
        except NotFound as exc:  # a product the user may not see: said at the filter
            form.add_error("product_id" if data.get("product_id") else None, exc.message)
            status = exc.status
        else:
            page = paginate(qs, page=data.get("page") or 1, page_size=PAGE_SIZE)
            rows = [describe(e, names) for e in page.items]
    filtered = form.is_bound and any(v not in (None, "") for k, v in form.data.items() if k != "page")
    return render(
        request,
        "audit/list.html",
        {
            "form": form,
            "page": page,
            "rows": rows,
            "filtered": filtered,
            "action_prefixes": ACTION_PREFIXES,
            "known_actions": sorted(ACTION_LABELS),
        },
        status=status,
    )
