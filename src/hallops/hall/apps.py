from django.apps import AppConfig


class HallConfig(AppConfig):
    name = "hallops.hall"
    label = "hall"
