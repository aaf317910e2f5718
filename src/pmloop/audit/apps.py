from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "pmloop.audit"
    label = "audit"
    verbose_name = _("Operation log")

    def ready(self) -> None:
        from pmloop.audit import permissions  # noqa: F401
