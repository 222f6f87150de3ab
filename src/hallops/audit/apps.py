from django.apps import AppConfig


class AuditConfig(AppConfig):
    name = "hallops.audit"
    label = "audit"
