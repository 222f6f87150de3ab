from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "hallops.notifications"
    label = "notifications"
