"""Who is told what. Higher apps call ``notify`` inside their transaction; the inbox rows
commit with the change, and the e-mail copies go out only after the commit."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from pmloop.accounts.models import User
from pmloop.audit import services as audit
from pmloop.core.actor import Actor
from pmloop.core.errors import NotFound, PermissionDenied
from pmloop.notifications import kinds
from pmloop.notifications.kinds import KINDS, store_params
from pmloop.notifications.models import Notification

log = logging.getLogger(__name__)


def _send_emails(rows: list[tuple[str, str, str]]) -> None:
    for email, subject, body in rows:
        try:
            send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [email], fail_silently=False)
        except Exception:  # mail trouble must never undo the change that caused it
            log.exception("could not e-mail %s", email)


LANGUAGE_FIELD = "language"  # a user's stored UI language, once accounts.User has one


def _has_language_field() -> bool:
    return any(f.name == LANGUAGE_FIELD for f in User._meta.get_fields())


def language_of(user: User) -> str:
    """The language a user reads e-mail in: their stored preference if the user model keeps
    one (``User.language``), otherwise the site default (``LANGUAGE_CODE``)."""
    codes = {code for code, _name in settings.LANGUAGES}
    preferred = getattr(user, LANGUAGE_FIELD, "") or ""
    return preferred if preferred in codes else settings.LANGUAGE_CODE


def notify(
    *,
    user_ids: Iterable[int],
    kind: str,
    params: dict[str, Any] | None = None,
    title: str = "",
    body: str = "",
    url: str = "",
    product_id: int | None = None,
    obj=None,
    exclude_user_id: int | None = None,
) -> list[Notification]:
    """Queue a notification to each user (once each; not to the actor who caused it).

    Give a registered ``kind`` (``notifications.kinds.KINDS``) and its ``params``: the title
    and link are rendered from them when read, in the reader's language. ``body`` is the
    sender's own words (a note, a comment), shown as written. ``title``/``url`` are only for
    kinds the registry does not know (free-form messages)."""
    ids = {uid for uid in user_ids if uid and uid != exclude_user_id}
    if not ids:
        return []
    fields = ["id", "email"] + ([LANGUAGE_FIELD] if _has_language_field() else [])
    users = list(User.objects.filter(pk__in=ids, is_active=True).only(*fields))
    stored = store_params(params) if kind in KINDS or params else None
    with override(settings.LANGUAGE_CODE):  # the stored copy: for old readers and the fallback
        site = kinds.render(kind, stored, title=title, body=body, url=url)
    rows = [
        Notification(
            user_id=u.pk,
            kind=kind,
            params=stored,
            title=site.title[:300],
            body=body,
            url=site.url[:300],
            product_id=product_id,
            object_type=obj._meta.label_lower if obj is not None else "",
            object_id=str(obj.pk) if obj is not None else "",
        )
        for u in users
    ]
    Notification.objects.bulk_create(rows)
    mails, by_language = [], {}
    for u in users:
        if not u.email:
            continue
        lang = language_of(u)
        if lang not in by_language:
            with override(lang):  # in the recipient's language, not the sender's
                by_language[lang] = kinds.render(kind, stored, title=title, body=body, url=url)
        text = by_language[lang]
        mails.append((u.email, f"[pmloop] {text.title}", f"{text.body}\n\n{text.url}".strip()))
    if mails:
        transaction.on_commit(lambda: _send_emails(mails))
    return rows


def _own(actor: Actor) -> int:
    if not actor.is_authenticated or actor.user is None:
        raise PermissionDenied(_("Log in first."), code="unauthenticated")
    return actor.user.pk


@transaction.atomic
def mark_read(*, actor: Actor, notification_ids: list[int] | None = None) -> int:
    """Mark some (or, with None, all) of the actor's notifications read. Returns how many."""
    uid = _own(actor)
    if actor.read_only:
        raise PermissionDenied(
            _("This API token is read-only; marking notifications read needs a read-write token."),
            code="read_only_token",
        )
    qs = Notification.objects.filter(user_id=uid, read_at__isnull=True)
    if notification_ids is not None:
        found = set(
            Notification.objects.filter(user_id=uid, pk__in=notification_ids).values_list("pk", flat=True)
        )
        missing = set(notification_ids) - found
        if missing:
            raise NotFound(_("No such notification: %(ids)s") % {"ids": ", ".join(map(str, sorted(missing)))})
        qs = qs.filter(pk__in=notification_ids)
    ids = list(qs.values_list("pk", flat=True))
    count = qs.update(read_at=timezone.now())
    if count:  # one batch entry: every write is in the operation log
        audit.record(actor=actor, action="notifications.marked_read", object_type="notifications.notification",
                     object_id="", object_repr=f"{count} notification(s)", after={"ids": ids})  # fmt: skip
    return count
