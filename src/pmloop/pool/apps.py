from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PoolConfig(AppConfig):
    name = "pmloop.pool"
    label = "pool"
    verbose_name = _("Requirement pool")

    def ready(self) -> None:
        from pmloop.customers import panels
        from pmloop.pool import permissions  # noqa: F401  registers the action vocabulary

        def asks(actor, customer):
            from pmloop.pool import selectors

            return {
                "pool_items": list(selectors.list_for_customer(actor=actor, customer_id=customer.pk)[:200])
            }

        panels.register(slot="asks", key="pool.asks", template="pool/_customer_items.html", context=asks)
