"""Abstract bases shared by every domain app. No concrete models live here."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from pmloop.core.errors import Conflict


class TimestampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class VersionedModel(TimestampedModel):
    """Optimistic concurrency: every update names the version it read; a stale one is refused."""

    version = models.PositiveIntegerField(default=1)

    class Meta:
        abstract = True

    def ensure_version(self, expected: int | None) -> None:
        if expected is None:
            raise Conflict(
                _("Say which version you are changing (field 'version'); it is now %(v)s.")
                % {"v": self.version},
                code="version_required",
                field="version",
            )
        if int(expected) != self.version:
            raise Conflict(
                _(
                    "Someone else changed this %(what)s since you loaded it (you had version "
                    "%(old)s, it is now %(new)s). Reload and apply your change again."
                )
                % {"what": self._meta.verbose_name, "old": expected, "new": self.version},
                code="stale_version",
                field="version",
            )

    def bump_version(self) -> None:
        self.version += 1
