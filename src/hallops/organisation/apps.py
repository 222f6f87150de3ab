from django.apps import AppConfig


class OrganisationConfig(AppConfig):
    name = "hallops.organisation"
    verbose_name = "Organisation"
