from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PlansConfig(AppConfig):
    name = "pmloop.plans"
    label = "plans"
    verbose_name = _("Plans and releases")

    def ready(self) -> None:
        from pmloop.core import events
        from pmloop.plans import (
            permissions,  # noqa: F401
            subscribers,
        )

        # A higher app reacts to a lower one through core.events: requirements never imports plans.
        events.subscribe("requirements.change_requested", subscribers.on_change_requested)
