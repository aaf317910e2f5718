from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "pmloop.customers"
    label = "customers"
    verbose_name = _("Customers")

    def ready(self) -> None:
        from pmloop.customers import permissions  # noqa: F401  registers the action vocabulary
