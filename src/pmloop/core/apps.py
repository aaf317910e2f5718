from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "pmloop.core"
    label = "core"
