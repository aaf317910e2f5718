from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from pmloop.notifications.kinds import render_notification


class Notification(models.Model):
    """One message in a user's in-app inbox. E-mail copies are sent after commit."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=60)  # a key of notifications.kinds.KINDS (or an old free-form one)
    # What happened (ids, keys, titles, names); the text is rendered from kind + params when read.
    # NULL on rows written before kinds had params: those show their stored title.
    params = models.JSONField(null=True, blank=True, default=dict)
    title = models.CharField(max_length=300)  # in the site language; the fallback for old/unknown kinds
    body = models.TextField(blank=True)  # the sender's own words (note, comment, reason), never translated
    url = models.CharField(max_length=300, blank=True)
    product_id = models.BigIntegerField(null=True, blank=True)
    object_type = models.CharField(max_length=80, blank=True)
    object_id = models.CharField(max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("notification")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at", "-created_at"], name="notif_inbox_idx")]

    def __str__(self) -> str:
        return self.rendered().title

    def rendered(self):
        """Title, body, link and kind label in the active language (see notifications.kinds)."""
        return render_notification(self)
