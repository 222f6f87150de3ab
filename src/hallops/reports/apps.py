from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "hallops.reports"
    label = "reports"
    verbose_name = "reports"
