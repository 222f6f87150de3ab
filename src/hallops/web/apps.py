from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "hallops.web"
    label = "web"
