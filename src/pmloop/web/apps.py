from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "pmloop.web"
    label = "web"
