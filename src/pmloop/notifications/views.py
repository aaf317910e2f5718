"""The notification inbox: unread first, mark read (one or all), open the object it is about,
and the unread-count badge the shell polls (htmx).

notifications sits low in the layer order, so these pages import no domain app; links to
other pages are URL names resolved in the templates."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST

from pmloop.core.errors import NotFound
from pmloop.core.http import actor_of
from pmloop.core.pagination import paginate
from pmloop.notifications import selectors, services

UNREAD_SHOWN = 200
PAGE_SIZE = 30


def _page_number(request) -> int:
    try:
        return max(1, int(request.GET.get("page", 1)))
    except ValueError:
        return 1


def _rows(items) -> list[dict]:
    """Each notification with its text rendered now, in the reader's language."""
    return [{"n": n, "text": n.rendered()} for n in items]


@login_required
def inbox(request):
    actor = actor_of(request)
    unread = list(selectors.inbox(actor=actor, unread_only=True)[:UNREAD_SHOWN])
    earlier = paginate(selectors.inbox(actor=actor).filter(read_at__isnull=False), page=_page_number(request),
                       page_size=PAGE_SIZE)  # fmt: skip
    context = {
        "unread": _rows(unread),
        "unread_count": selectors.unread_count(actor=actor),
        "earlier": _rows(earlier.items),
        "page": earlier,
    }
    return render(request, "notifications/inbox.html", context)


@login_required
@require_GET
def open_notification(request, notification_id: int):
    """Mark one read and go to what it is about (only to an address on this site)."""
    actor = actor_of(request)
    note = selectors.inbox(actor=actor).filter(pk=notification_id).first()
    if note is None:
        raise NotFound(_("No such notification."))
    if note.read_at is None:
        services.mark_read(actor=actor, notification_ids=[note.pk])
    target = note.rendered().url or ""
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_read(request, notification_id: int):
    services.mark_read(actor=actor_of(request), notification_ids=[notification_id])
    return redirect("notifications:inbox")


@login_required
@require_POST
def mark_all_read(request):
    n = services.mark_read(actor=actor_of(request))
    messages.success(
        request, ngettext("%(n)s notification marked read.", "%(n)s notifications marked read.", n) % {"n": n}
    )
    return redirect("notifications:inbox")


@login_required
@require_GET
def badge(request):
    """htmx: the bell with the unread count, polled by the shell."""
    count = selectors.unread_count(actor=actor_of(request))
    return render(request, "notifications/_badge.html", {"shell_unread": count})
