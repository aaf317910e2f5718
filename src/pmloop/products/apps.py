from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ProductsConfig(AppConfig):
    name = "pmloop.products"
    label = "products"
    verbose_name = _("Products")

    def ready(self) -> None:
        from pmloop.products import permissions  # noqa: F401
