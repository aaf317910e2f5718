from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RequirementsConfig(AppConfig):
    name = "pmloop.requirements"
    label = "requirements"
    verbose_name = _("Requirements")

    def ready(self) -> None:
        from pmloop.requirements import permissions  # noqa: F401
