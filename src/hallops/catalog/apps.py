from django.apps import AppConfig


class CatalogConfig(AppConfig):
    name = "hallops.catalog"
    label = "catalog"
