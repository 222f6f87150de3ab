from django.apps import AppConfig


class AccountsConfig(AppConfig):
    name = "hallops.accounts"
    label = "accounts"
