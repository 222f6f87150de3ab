from django.apps import AppConfig


class BookingConfig(AppConfig):
    name = "hallops.booking"
    label = "booking"
