from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DeliverablesConfig(AppConfig):
    name = "pmloop.deliverables"
    label = "deliverables"
    verbose_name = _("Launch kits")

    def ready(self) -> None:
        from pmloop.deliverables import permissions  # noqa: F401
